"""Content sync: Markdown sources become sanitised pages, idempotently."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from clinic.content.loader import ContentError, sync_content
from clinic.content.render import render_markdown
from clinic.extensions import db
from clinic.models import Article

PAGE = """---
title: "Test condition"
slug: test-condition
kind: condition
condition: Test condition
summary: "A page used by the content tests."
last_reviewed: 2026-11-01
order: 50
---
## What it is

Plain text with a [link](https://doi.org/10.1000/xyz).

<script>alert(1)</script>

[bad](javascript:alert(1))
"""


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def articles():
    return {a.slug: a for a in db.session.execute(select(Article)).scalars()}


@pytest.fixture
def scratch_content(ctx):
    """An empty articles table for the test; the shipped content comes back afterwards."""
    db.session.execute(Article.__table__.delete())
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(Article.__table__.delete())
    db.session.commit()
    sync_content()


def test_sync_is_idempotent_updates_changes_and_unpublishes_removed(scratch_content, tmp_path):
    page = write(tmp_path, "test.md", PAGE)
    write(
        tmp_path,
        "other.md",
        PAGE.replace("test-condition", "other-page").replace("kind: condition", "kind: page"),
    )

    first = sync_content(tmp_path)
    assert sorted(first.created) == ["other-page", "test-condition"]
    second = sync_content(tmp_path)
    assert second.created == second.updated == second.unpublished == []
    assert sorted(second.unchanged) == ["other-page", "test-condition"]

    page.write_text(PAGE.replace("Plain text", "Changed text"), encoding="utf-8")
    third = sync_content(tmp_path)
    assert third.updated == ["test-condition"]
    assert "Changed text" in articles()["test-condition"].body_html

    (tmp_path / "other.md").unlink()
    fourth = sync_content(tmp_path)
    assert fourth.unpublished == ["other-page"]
    assert articles()["other-page"].published is False

    write(
        tmp_path,
        "other.md",
        PAGE.replace("test-condition", "other-page").replace("kind: condition", "kind: page"),
    )
    assert sync_content(tmp_path).updated == ["other-page"]
    assert articles()["other-page"].published is True


def test_markdown_is_sanitised_and_outlined(ctx):
    html, toc = render_markdown(PAGE.split("---", 2)[2])
    assert "<script>" not in html
    assert 'href="javascript:' not in html
    assert '<h2 id="what-it-is">What it is</h2>' in html
    assert 'rel="noopener noreferrer"' in html
    assert toc == [{"id": "what-it-is", "title": "What it is"}]


def test_missing_front_matter_is_reported_by_file_name(ctx, tmp_path):
    write(tmp_path, "broken.md", "---\ntitle: x\n---\nbody")
    try:
        sync_content(tmp_path)
    except ContentError as error:
        assert "broken.md" in str(error)
        assert "slug" in str(error)
    else:
        raise AssertionError("a page without a slug was accepted")


def test_cli_sync_reports_counts(runner):
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 0
    assert "created" in result.output and "unchanged" in result.output


def test_shipped_content_has_the_required_pages(ctx):
    pages = articles()
    conditions = [a for a in pages.values() if a.kind == "condition" and a.published]
    assert len(conditions) >= 6
    for slug in ("about/stem-cell-therapy", "faq", "privacy", "disclaimer", "lupus"):
        assert slug in pages, slug
    lupus = pages["lupus"]
    assert lupus.last_reviewed is not None
    text = lupus.body_html
    for fact in ("SLEDAI", "regulatory T cells", "Deng", "https://doi.org/10.1136/"):
        assert fact in text, fact
    assert "suppress T regulatory" not in text
    titles = [a.title for a in pages.values()]
    summaries = [a.summary for a in pages.values()]
    assert len(set(titles)) == len(titles)
    assert len(set(summaries)) == len(summaries)
    assert len(json.loads(lupus.toc_json)) >= 4
