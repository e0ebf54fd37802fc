"""Markdown to safe HTML, with heading anchors for the table of contents and citations linked
to the numbered references. The editor's preview and the public page go through `render_page`,
so what an editor sees is what patients will read (the preview adds only the claim marks)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

from clinic.content.claims import mark_sentences
from clinic.content.references import CITATION, citation_numbers

_markdown = (
    MarkdownIt("commonmark", {"html": False, "typographer": True})
    .enable(["table", "replacements", "smartquotes"])
    .use(anchors_plugin, min_level=2, max_level=3, permalink=False)
)

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "ol": {"start"},
    "th": {"align", "scope"},
    "td": {"align"},
}

_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.S)
_TAG = re.compile(r"<[^>]+>")
_TAGS_AND_TEXT = re.compile(r"(<[^>]+>)")
# Text inside these is left as written: code shows "[1]" literally, and a link can't hold one.
_VERBATIM = {"a", "code", "pre"}
REFERENCES_ANCHOR = "references"


@dataclass(frozen=True)
class RenderedPage:
    body_html: str
    toc: list[dict[str, str]]


def render_markdown(source: str) -> tuple[str, list[dict[str, str]]]:
    """Render and sanitise one page; return its HTML and its h2 outline for the contents list."""
    raw_html = _markdown.render(source)
    safe_html = nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
    toc = [
        {"id": anchor, "title": nh3.clean(_TAG.sub("", title), tags=set())}
        for anchor, title in _H2.findall(safe_html)
    ]
    return safe_html, toc


def render_page(
    body_markdown: str, reference_count: int, *, mark_claims: bool = False
) -> RenderedPage:
    """A page's body as patients see it: sanitised, citations linked to their references, and
    the references in the contents list. With `mark_claims` (the editor's preview), sentences
    the claim checker flags are wrapped in <mark>."""
    body_html, toc = render_markdown(body_markdown)
    body_html = _each_text(body_html, mark_sentences) if mark_claims else body_html
    body_html = _each_text(body_html, lambda text: _link_citations(text, reference_count))
    if reference_count:
        toc.append({"id": REFERENCES_ANCHOR, "title": "References"})
    return RenderedPage(body_html, toc)


def _each_text(html: str, change) -> str:
    """Apply `change` to the text between tags, outside links and code."""
    parts = _TAGS_AND_TEXT.split(html)
    verbatim = 0
    for index, part in enumerate(parts):
        if part.startswith("<"):
            name = part.strip("</>").split()[0].lower() if part.strip("</>") else ""
            if name in _VERBATIM and not part.endswith("/>"):
                verbatim += -1 if part.startswith("</") else 1
        elif part and not verbatim:
            parts[index] = change(part)
    return "".join(parts)


def _link_citations(text: str, count: int) -> str:
    def linked(match: re.Match[str]) -> str:
        if not all(1 <= n <= count for n in citation_numbers(match)):
            return match.group(0)
        return "[" + re.sub(r"\d+", _citation_link, match.group(1)) + "]"

    return CITATION.sub(linked, text)


def _citation_link(number: re.Match[str]) -> str:
    # A label, not hidden text inside the link: the link stays one small box to click.
    n = number.group(0)
    return f'<a class="cite" href="#ref-{n}" aria-label="Reference {n}">{n}</a>'
