"""`flask content sync`: load the shipped Markdown pages into the database, idempotently.

A fresh install gets every page, published so the site works, each as revision 1 written by
nobody at the clinic and marked "not yet reviewed by a clinician". Running it again gives a page
never edited in the browser its new shipped text as a new revision (published, still
unreviewed), and leaves alone every page someone edited in the browser: the report names them.

Sources use the front matter in docs (title, slug, kind, condition, summary, order, published,
sections, references). A body in the older format, ending with a "## References" numbered list
and no `references:` key, is accepted too: the list becomes structured references.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
from sqlalchemy import select

from clinic.content import references as refs
from clinic.content.review import publish
from clinic.content.revisions import PageSource, add_revision
from clinic.extensions import db
from clinic.models import Article, PageRevision, utcnow

PAGES_DIR = Path(__file__).resolve().parent / "pages"
REQUIRED_KEYS = ("title", "slug", "kind", "summary")


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # edited in the browser: left alone


class ContentError(ValueError):
    """A source file is missing something the site needs; the message names the file."""


@dataclass
class ShippedPage:
    slug: str
    kind: str
    position: int
    published: bool
    source: PageSource
    source_hash: str


def read_source(path: Path) -> ShippedPage:
    """One Markdown source, checked.

    :raise ContentError: naming the file and what it lacks (or which citation is wrong).
    """
    post = frontmatter.load(path)
    missing = [key for key in REQUIRED_KEYS if not post.get(key)]
    if missing:
        raise ContentError(f"{path.name}: front matter lacks {', '.join(missing)}")
    if post["kind"] not in ("condition", "page"):
        raise ContentError(f"{path.name}: kind must be 'condition' or 'page'")
    body = post.content
    listed = post.get("references")
    if listed is None:
        old_format = refs.split_old_reference_list(body)
        body, references = old_format if old_format else (body, [])
    elif isinstance(listed, list) and all(isinstance(item, dict) for item in listed):
        references = [refs.Reference.from_dict(item) for item in listed]
        for number, reference in enumerate(references, start=1):
            problems = refs.reference_problems(reference)
            if problems:
                raise ContentError(f"{path.name}: reference {number} needs {', '.join(problems)}")
    else:
        raise ContentError(f"{path.name}: references must be a list of entries with a title")
    for problem in refs.citation_problems(body, len(references)):
        raise ContentError(f"{path.name}: {problem}")
    sections = post.get("sections") or []
    source = PageSource(
        title=str(post["title"]),
        summary=str(post["summary"]),
        body_markdown=body,
        condition_name=post.get("condition"),
        sections=[str(s) for s in sections] if isinstance(sections, list) else [],
        references=references,
    ).cleaned()
    shipped = {
        "slug": str(post["slug"]).strip("/"),
        "kind": str(post["kind"]),
        "position": int(post.get("order", 100)),
        "published": bool(post.get("published", True)),
    }
    digest = hashlib.sha256(
        json.dumps([shipped, source.as_columns()], sort_keys=True).encode()
    ).hexdigest()
    return ShippedPage(**shipped, source=source, source_hash=digest)


def edited_in_browser(article: Article) -> bool:
    """Someone at the clinic saved a revision of the page: the shipped text no longer rules."""
    query = select(PageRevision.id).where(
        PageRevision.article_id == article.id, PageRevision.author_id.is_not(None)
    )
    return db.session.execute(query.limit(1)).first() is not None


def sync_content(pages_dir: Path = PAGES_DIR) -> SyncReport:
    """Create new pages, update changed ones never edited in the browser, unpublish those whose
    source was removed; skip (and report) every page edited in the browser."""
    report = SyncReport()
    sources = [read_source(path) for path in sorted(pages_dir.rglob("*.md"))]
    slugs = [page.slug for page in sources]
    duplicates = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicates:
        raise ContentError(f"slug used by more than one source: {', '.join(sorted(duplicates))}")

    existing = {a.slug: a for a in db.session.execute(select(Article)).scalars()}
    for page in sources:
        article = existing.pop(page.slug, None)
        if article is None:
            article = Article(
                slug=page.slug,
                kind=page.kind,
                title=page.source.title,
                summary=page.source.summary,
                body_html="",
                source_hash="",
                updated_at=utcnow(),
            )
            db.session.add(article)
            _load(article, page)
            report.created.append(page.slug)
        elif (article.source_hash, article.published) == (page.source_hash, page.published):
            report.unchanged.append(page.slug)
        elif edited_in_browser(article):
            report.skipped.append(page.slug)
        elif article.source_hash == page.source_hash:
            article.published = page.published
            article.updated_at = utcnow()
            report.updated.append(page.slug)
        else:
            _load(article, page)
            report.updated.append(page.slug)
    for article in existing.values():
        if article.published and edited_in_browser(article):
            report.skipped.append(article.slug)
        elif article.published:
            article.published = False
            article.updated_at = utcnow()
            report.unpublished.append(article.slug)
    db.session.commit()
    return report


def _load(article: Article, page: ShippedPage) -> None:
    article.kind = page.kind
    article.position = page.position
    article.published = page.published
    article.source_hash = page.source_hash
    db.session.flush()
    revision = add_revision(article, page.source, None, "Shipped with the site")
    publish(article, revision, None)
