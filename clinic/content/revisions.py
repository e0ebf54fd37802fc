"""Editing a page: every save is a new revision, restoring copies an old one, and any two can be
compared. Nothing here publishes: clinic.content.review does, on a clinician's approval.

Callers wrap the changing functions in `write_transaction()`, which commits the revision with
its audit row.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field

from sqlalchemy import func, select

from clinic import audit
from clinic.content import references as refs
from clinic.extensions import db
from clinic.models import Article, PageRevision, StaffUser, utcnow

TITLE_MAX = 200
SUMMARY_MAX = 300
CONDITION_MAX = 120
NOTE_MAX = 300
BODY_MAX = 200_000
SECTIONS_MAX = 20


class PageError(ValueError):
    """A page can't be saved as written: `problems` maps each field to what to fix."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(p for found in problems.values() for p in found))


@dataclass
class PageSource:
    """What an editor (or a shipped Markdown file) says a page is."""

    title: str
    summary: str
    body_markdown: str
    condition_name: str | None = None
    sections: list[str] = field(default_factory=list)
    references: list[refs.Reference] = field(default_factory=list)

    @classmethod
    def of(cls, revision: PageRevision) -> PageSource:
        return cls(
            title=revision.title,
            summary=revision.summary,
            body_markdown=revision.body_markdown,
            condition_name=revision.condition_name,
            sections=json.loads(revision.sections_json or "[]"),
            references=refs.from_json(revision.references_json),
        )

    def cleaned(self) -> PageSource:
        body = "\n".join(
            line.rstrip() for line in self.body_markdown.replace("\r\n", "\n").split("\n")
        )
        return PageSource(
            title=" ".join(self.title.split()),
            summary=" ".join(self.summary.split()),
            body_markdown=body.strip() + "\n",
            condition_name=" ".join((self.condition_name or "").split()) or None,
            sections=[" ".join(s.split()) for s in self.sections if s.strip()],
            references=[ref for ref in self.references if not ref.blank],
        )

    def problems(self) -> dict[str, list[str]]:
        """What keeps this source from being a page patients can read, by field."""
        found: dict[str, list[str]] = {}

        def problem(name: str, text: str) -> None:
            found.setdefault(name, []).append(text)

        if not self.title:
            problem("title", "Give the page a title.")
        elif len(self.title) > TITLE_MAX:
            problem("title", f"The title can be at most {TITLE_MAX} characters long.")
        if not self.summary:
            problem("summary", "Write a one-sentence summary; search engines show it.")
        elif len(self.summary) > SUMMARY_MAX:
            problem("summary", f"The summary can be at most {SUMMARY_MAX} characters long.")
        if self.condition_name and len(self.condition_name) > CONDITION_MAX:
            problem("condition_name", f"The condition can be at most {CONDITION_MAX} characters.")
        if len(self.sections) > SECTIONS_MAX or any(len(s) > 60 for s in self.sections):
            problem("sections", f"At most {SECTIONS_MAX} section labels of 60 characters each.")
        if not self.body_markdown.strip():
            problem("body_markdown", "Write the text of the page.")
        elif len(self.body_markdown) > BODY_MAX:
            problem("body_markdown", f"The text can be at most {BODY_MAX:,} characters long.")
        for number, reference in enumerate(self.references, start=1):
            missing = refs.reference_problems(reference)
            if missing:
                problem("references", f"Reference {number} needs {', '.join(missing)}.")
        for text in refs.citation_problems(self.body_markdown, len(self.references)):
            problem("body_markdown", text[0].upper() + text[1:] + ".")
        return found

    def as_columns(self) -> dict:
        return {
            "title": self.title,
            "summary": self.summary,
            "condition_name": self.condition_name,
            "sections_json": json.dumps(self.sections, ensure_ascii=False),
            "body_markdown": self.body_markdown,
            "references_json": refs.to_json(self.references),
        }


def revisions(article: Article) -> list[PageRevision]:
    """A page's revisions, newest first."""
    query = (
        select(PageRevision)
        .where(PageRevision.article_id == article.id)
        .order_by(PageRevision.number.desc())
    )
    return list(db.session.execute(query).scalars())


def revision(article: Article, number: int) -> PageRevision | None:
    query = select(PageRevision).where(
        PageRevision.article_id == article.id, PageRevision.number == number
    )
    return db.session.execute(query).scalar_one_or_none()


def latest_revision(article: Article) -> PageRevision | None:
    query = (
        select(PageRevision)
        .where(PageRevision.article_id == article.id)
        .order_by(PageRevision.number.desc())
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def add_revision(
    article: Article, source: PageSource, author: StaffUser | None, note: str = ""
) -> PageRevision:
    """The next revision of the page, as given (checked by the caller)."""
    last = db.session.execute(
        select(func.max(PageRevision.number)).where(PageRevision.article_id == article.id)
    ).scalar_one()
    added = PageRevision(
        article_id=article.id,
        number=(last or 0) + 1,
        author_id=author.id if author else None,
        created_at=utcnow(),
        note=" ".join(note.split())[:NOTE_MAX],
        **source.as_columns(),
    )
    db.session.add(added)
    db.session.flush()
    return added


def save_revision(
    article: Article, source: PageSource, author: StaffUser, note: str = ""
) -> PageRevision | None:
    """Save an editor's change as a new draft revision; None when nothing changed.

    :raise PageError: the source can't become a page (each problem named by field).
    """
    source = source.cleaned()
    problems = source.problems()
    if problems:
        raise PageError(problems)
    latest = latest_revision(article)
    if latest is not None and PageSource.of(latest) == source:
        return None
    saved = add_revision(article, source, author, note)
    audit.record("page_saved", detail=f"{article.slug}: revision {saved.number} saved")
    return saved


def restore_revision(article: Article, number: int, author: StaffUser) -> PageRevision:
    """A new draft revision with an old one's text: history is never rewritten.

    :raise LookupError: the page has no such revision.
    """
    old = revision(article, number)
    if old is None:
        raise LookupError(f"{article.slug} has no revision {number}")
    restored = add_revision(article, PageSource.of(old), author, f"Restored revision {number}")
    audit.record(
        "page_restored",
        detail=f"{article.slug}: revision {restored.number} restores revision {number}",
    )
    return restored


# --- comparing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "gap"
    text: str
    old_number: int | None = None
    new_number: int | None = None


def revision_lines(revision: PageRevision) -> list[str]:
    """A revision as lines of text, so a comparison shows every field an editor can change."""
    source = PageSource.of(revision)
    lines = [
        f"Title: {source.title}",
        f"Summary: {source.summary}",
        f"Condition: {source.condition_name or ''}",
        f"Sections: {', '.join(source.sections)}",
        "",
        *source.body_markdown.rstrip("\n").split("\n"),
    ]
    if source.references:
        lines += ["", "References:"]
        for number, ref in enumerate(source.references, start=1):
            parts = [ref.authors, f"({ref.year})" if ref.year else "", ref.title, ref.source]
            links = [f"doi:{ref.doi}" if ref.doi else "", f"PMID {ref.pmid}" if ref.pmid else ""]
            text = " ".join(p for p in [*parts, *links, ref.url] if p)
            lines.append(f"[{number}] {text}")
    return lines


def compare(old: PageRevision, new: PageRevision, context: int = 2) -> list[DiffLine]:
    """The lines that differ between two revisions, with a little unchanged text around them."""
    before, after = revision_lines(old), revision_lines(new)
    shown: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if shown:
            shown.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                shown += [
                    DiffLine("same", before[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2)
                ]
                continue
            shown += [DiffLine("removed", before[i], i + 1, None) for i in range(i1, i2)]
            shown += [DiffLine("added", after[j], None, j + 1) for j in range(j1, j2)]
    return shown
