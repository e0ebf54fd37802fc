"""Lists kept per worker: re-read once older than CLINIC_CONTENT_CACHE_SECONDS, never before."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinic import worker_cache
from clinic.extensions import db
from clinic.leads import conditions
from clinic.models import Article


@pytest.fixture
def renamed_lupus(ctx):
    """Lupus's label changed in this session only (rolled back afterwards)."""
    article = db.session.execute(select(Article).where(Article.slug == "lupus")).scalar_one()

    def rename(label: str) -> None:
        article.condition_name = label
        db.session.flush()

    yield rename
    db.session.rollback()


def test_the_condition_list_is_read_again_only_after_the_configured_seconds(
    app, renamed_lupus, monkeypatch
):
    app.config["CLINIC_CONTENT_CACHE_SECONDS"] = 10
    clock = [1000.0]
    monkeypatch.setattr(worker_cache.time, "monotonic", lambda: clock[0])
    assert conditions.names()["lupus"] == "Lupus"

    renamed_lupus("Systemic lupus")
    clock[0] += 9.9
    assert conditions.names()["lupus"] == "Lupus"
    clock[0] += 0.1
    assert conditions.names()["lupus"] == "Systemic lupus"


def test_with_zero_seconds_every_call_reads_the_database(app, renamed_lupus):
    app.config["CLINIC_CONTENT_CACHE_SECONDS"] = 0
    assert conditions.names()["lupus"] == "Lupus"
    renamed_lupus("Systemic lupus")
    assert conditions.names()["lupus"] == "Systemic lupus"
