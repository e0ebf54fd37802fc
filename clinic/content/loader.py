"""`flask content sync`: publish the Markdown sources into the articles table, idempotently."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import frontmatter
from sqlalchemy import select

from clinic.content.render import render_markdown
from clinic.extensions import db
from clinic.models import Article, utcnow

PAGES_DIR = Path(__file__).resolve().parent / "pages"
REQUIRED_KEYS = ("title", "slug", "kind", "summary")


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class ContentError(ValueError):
    """A source file is missing something the site needs; the message names the file."""


def read_source(path: Path) -> dict:
    post = frontmatter.load(path)
    missing = [key for key in REQUIRED_KEYS if not post.get(key)]
    if missing:
        raise ContentError(f"{path.name}: front matter lacks {', '.join(missing)}")
    if post["kind"] not in ("condition", "page"):
        raise ContentError(f"{path.name}: kind must be 'condition' or 'page'")
    body_html, toc = render_markdown(post.content)
    reviewed = post.get("last_reviewed")
    if isinstance(reviewed, str):
        reviewed = date.fromisoformat(reviewed)
    fields = {
        "slug": str(post["slug"]).strip("/"),
        "kind": post["kind"],
        "title": str(post["title"]),
        "condition_name": post.get("condition"),
        "summary": str(post["summary"]),
        "body_html": body_html,
        "toc_json": json.dumps(toc, ensure_ascii=False),
        "last_reviewed": reviewed,
        "position": int(post.get("order", 100)),
        "published": bool(post.get("published", True)),
    }
    digest = hashlib.sha256(json.dumps(fields, default=str, sort_keys=True).encode()).hexdigest()
    fields["source_hash"] = digest
    return fields


def sync_content(pages_dir: Path = PAGES_DIR) -> SyncReport:
    """Create new pages, update changed ones, unpublish those whose source was removed."""
    report = SyncReport()
    sources = [read_source(path) for path in sorted(pages_dir.rglob("*.md"))]
    slugs = [source["slug"] for source in sources]
    duplicates = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicates:
        raise ContentError(f"slug used by more than one source: {', '.join(sorted(duplicates))}")

    existing = {a.slug: a for a in db.session.execute(select(Article)).scalars()}
    for fields in sources:
        article = existing.pop(fields["slug"], None)
        if article is None:
            db.session.add(Article(**fields, updated_at=utcnow()))
            report.created.append(fields["slug"])
        elif (article.source_hash, article.published) != (
            fields["source_hash"],
            fields["published"],
        ):
            for name, value in fields.items():
                setattr(article, name, value)
            article.updated_at = utcnow()
            report.updated.append(fields["slug"])
        else:
            report.unchanged.append(fields["slug"])
    for article in existing.values():
        if article.published:
            article.published = False
            article.updated_at = utcnow()
            report.unpublished.append(article.slug)
    db.session.commit()
    return report
