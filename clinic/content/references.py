"""A page's references: structured entries, the citations `[1]`, `[2, 5]`, `[3–5]` into them,
and the checks that every citation has its reference and every reference is cited."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from urllib.parse import urlsplit

# One citation: numbers, ranges (3–5 or 3-5) and lists (2, 5) between square brackets.
CITATION = re.compile(
    r"\[(\d{1,3}(?:\s*[–-]\s*\d{1,3})?(?:\s*,\s*\d{1,3}(?:\s*[–-]\s*\d{1,3})?)*)\]"
)
_RANGE = re.compile(r"\s*[–-]\s*")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
PMID = re.compile(r"^\d{1,9}$")
FIELD_MAX = {"authors": 500, "year": 10, "title": 500, "source": 300, "doi": 200, "pmid": 12}
URL_MAX = 1000

# The old source format: a "## References" section of numbered entries ending the body.
_OLD_SECTION = re.compile(r"^##\s+References\s*$", re.MULTILINE | re.IGNORECASE)
_OLD_ENTRY = re.compile(r"^\s*(\d+)\.\s+(.*)$")
_ANGLE_URL = re.compile(r"<(https?://[^>\s]+)>")
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\S+)$", re.IGNORECASE)
_PUBMED_URL = re.compile(r"^https?://pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/?$", re.IGNORECASE)


@dataclass(frozen=True)
class Reference:
    authors: str = ""
    year: str = ""
    title: str = ""
    source: str = ""  # journal with volume and pages, or publisher
    doi: str = ""
    pmid: str = ""
    url: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> Reference:
        names = {f.name for f in fields(cls)}
        values = {
            key: " ".join(str(value).split())
            for key, value in data.items()
            if key in names and value is not None
        }
        return cls(**values)

    @property
    def blank(self) -> bool:
        return not any(asdict(self).values())

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""

    @property
    def url_host(self) -> str:
        return urlsplit(self.url).netloc.removeprefix("www.") if self.url else ""


def to_json(references: list[Reference]) -> str:
    return json.dumps([asdict(ref) for ref in references], ensure_ascii=False)


def from_json(text: str | None) -> list[Reference]:
    return [Reference.from_dict(item) for item in json.loads(text or "[]")]


def reference_problems(reference: Reference) -> list[str]:
    """What keeps one reference from being shown with working links (empty when none)."""
    problems = []
    if not reference.title:
        problems.append("a title")
    if not (reference.doi or reference.pmid or reference.url):
        problems.append("a DOI, a PubMed id or a web address")
    for name, longest in FIELD_MAX.items():
        if len(getattr(reference, name)) > longest:
            problems.append(f"a shorter {name} (at most {longest} characters)")
    if reference.doi and not DOI.match(reference.doi):
        problems.append("a DOI like 10.1136/ard-2023-224762 (without https://doi.org/)")
    if reference.pmid and not PMID.match(reference.pmid):
        problems.append("a PubMed id of digits only, like 38381673")
    if reference.url and not _web_address(reference.url):
        problems.append("a web address starting https:// or http://")
    return problems


def _web_address(url: str) -> bool:
    parts = urlsplit(url)
    return len(url) <= URL_MAX and parts.scheme in ("http", "https") and bool(parts.netloc)


def citation_numbers(match: re.Match[str]) -> list[int]:
    """Every number one citation names, ranges expanded: "[3–5]" → 3, 4, 5."""
    numbers: list[int] = []
    for item in match.group(1).split(","):
        ends = [int(n) for n in _RANGE.split(item.strip())]
        numbers += list(range(ends[0], ends[-1] + 1)) if len(ends) == 2 else ends
    return numbers


def cited_numbers(markdown: str) -> set[int]:
    return {n for match in CITATION.finditer(markdown) for n in citation_numbers(match)}


def citation_problems(markdown: str, count: int) -> list[str]:
    """Citations of references that don't exist, and references never cited."""
    cited = cited_numbers(markdown)
    problems = [
        f"the text cites [{n}], but there is no reference {n}"
        for n in sorted(cited)
        if not 1 <= n <= count
    ]
    problems += [
        f"reference {n} is never cited in the text" for n in range(1, count + 1) if n not in cited
    ]
    return problems


def split_old_reference_list(markdown: str) -> tuple[str, list[Reference]] | None:
    """A body in the old format ends with a "## References" numbered list: the body without it
    and the list as references, the entry's text as the title, its links as DOI, PubMed id or
    web address. None when the body has no such section."""
    heading = _OLD_SECTION.search(markdown)
    if heading is None:
        return None
    rest = markdown[heading.end() :]
    following = re.search(r"^#{1,2}\s", rest, re.MULTILINE)
    section = rest[: following.start()] if following else rest
    references = [_old_entry(text) for _, text in _old_entries(section)]
    body = markdown[: heading.start()] + (rest[following.start() :] if following else "")
    return body.rstrip() + "\n", references


def _old_entries(section: str) -> list[tuple[int, str]]:
    entries: list[tuple[int, str]] = []
    for line in section.splitlines():
        entry = _OLD_ENTRY.match(line)
        if entry:
            entries.append((int(entry.group(1)), entry.group(2).strip()))
        elif line.strip() and entries:
            number, text = entries[-1]
            entries[-1] = (number, f"{text} {line.strip()}")
    return entries


def _old_entry(text: str) -> Reference:
    doi = pmid = url = ""
    for address in _ANGLE_URL.findall(text):
        if (found := _DOI_URL.match(address)) and not doi:
            doi = found.group(1)
        elif (found := _PUBMED_URL.match(address)) and not pmid:
            pmid = found.group(1)
        elif not url:
            url = address
    title = " ".join(_ANGLE_URL.sub("", text).split()).rstrip(" .") + "."
    return Reference(title=title, doi=doi, pmid=pmid, url=url)
