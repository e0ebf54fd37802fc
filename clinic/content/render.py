"""Markdown to safe HTML, with heading anchors for the table of contents."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

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
