"""The conditions a lead can be about: one list, one order and one label for every page.

A condition is an educational page of kind "condition", listed by its position on the public
site (then title), labelled by its condition name or else its title, with "another condition"
last. Patients choose among the published ones; staff pages also name unpublished ones, since
older leads still carry them. Kept per worker for CLINIC_CONTENT_CACHE_SECONDS, so a `flask
content sync` shows everywhere within that time.
"""

from __future__ import annotations

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Article
from clinic.worker_cache import cached

OTHER = "other"
OTHER_LABEL = "Another condition, or not sure"


def choices(*, published_only: bool) -> tuple[tuple[str, str], ...]:
    """(slug, label) pairs in the public site's order, "another condition" last."""
    key = "conditions:published" if published_only else "conditions:all"
    return cached(key, lambda: _read(published_only))


def names() -> dict[str, str]:
    """Every condition's label by slug, published or not."""
    return dict(choices(published_only=False))


def label(slug: str) -> str:
    """A condition's label; an unknown slug shows as itself."""
    return names().get(slug, slug)


def _read(published_only: bool) -> tuple[tuple[str, str], ...]:
    query = select(Article.slug, Article.condition_name, Article.title).where(
        Article.kind == "condition"
    )
    if published_only:
        query = query.where(Article.published.is_(True))
    rows = db.session.execute(query.order_by(Article.position, Article.title)).all()
    return (*((slug, name or title) for slug, name, title in rows), (OTHER, OTHER_LABEL))
