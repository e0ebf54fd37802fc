"""Content sync: Markdown sources become sanitised pages, idempotently."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from clinic.content.loader import ContentError, sync_content
from clinic.content.render import render_markdown
from clinic.content.revisions import PageSource, latest_revision, save_revision
from clinic.deploy_checks import check_unreviewed_pages
from clinic.extensions import db
from clinic.models import Article, PageReview, PageRevision
from tests.staff_helpers import make_staff

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


def empty_content() -> None:
    for model in (PageReview, PageRevision, Article):
        db.session.execute(model.__table__.delete())
    db.session.commit()


@pytest.fixture
def scratch_content(ctx):
    """Empty content tables for the test; the shipped content comes back afterwards."""
    empty_content()
    yield
    db.session.rollback()
    empty_content()
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
    assert lupus.published_revision == 1 and lupus.reviewed_at is None  # shipped, unreviewed
    text = lupus.body_html
    for fact in ("SLEDAI", "regulatory T cells", 'href="#ref-3"'):
        assert fact in text, fact
    cited = {ref["doi"] for ref in json.loads(lupus.references_json)}
    assert "10.1136/annrheumdis-2017-211073" in cited  # Deng 2017, the controlled trial
    assert "suppress T regulatory" not in text
    titles = [a.title for a in pages.values()]
    summaries = [a.summary for a in pages.values()]
    assert len(set(titles)) == len(titles)
    assert len(set(summaries)) == len(summaries)
    assert len(json.loads(lupus.toc_json)) >= 4


OLD_FORMAT = """---
title: "Old format"
slug: old-format
kind: page
summary: "A page in the format before structured references."
---
## Text

A finding [1] and another [2].

## References

1. Deng D, et al. A randomised trial. Ann Rheum Dis 2017. <https://doi.org/10.1136/x-1>
2. A leaflet. <https://pubmed.ncbi.nlm.nih.gov/123/>
"""

NEW_FORMAT = """---
title: "New format"
slug: new-format
kind: page
summary: "A page with structured references."
references:
  - authors: "Müller F, et al."
    year: 2024
    title: "A case series"
    source: "N Engl J Med 2024;390(8):687–700"
    doi: "10.1056/NEJMoa2308917"
    pmid: "38381673"
---
A finding [1].
"""


def test_both_source_formats_become_structured_references(scratch_content, tmp_path):
    write(tmp_path, "old.md", OLD_FORMAT)
    write(tmp_path, "new.md", NEW_FORMAT)
    sync_content(tmp_path)
    pages = articles()
    old = json.loads(pages["old-format"].references_json)
    assert [(r["title"], r["doi"], r["pmid"]) for r in old] == [
        ("Deng D, et al. A randomised trial. Ann Rheum Dis 2017.", "10.1136/x-1", ""),
        ("A leaflet.", "", "123"),
    ]
    assert "## References" not in latest_revision(pages["old-format"]).body_markdown
    [new] = json.loads(pages["new-format"].references_json)
    assert (new["authors"], new["year"], new["pmid"]) == ("Müller F, et al.", "2024", "38381673")
    assert 'href="#ref-1"' in pages["new-format"].body_html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A finding [1] and [2].", "new.md: the text cites [2], but there is no reference 2"),
        ("No citation.", "new.md: reference 1 is never cited in the text"),
    ],
)
def test_a_wrong_citation_is_refused_naming_file_and_number(ctx, tmp_path, body, message):
    write(tmp_path, "new.md", NEW_FORMAT.replace("A finding [1].", body))
    with pytest.raises(ContentError, match=re.escape(message)):
        sync_content(tmp_path)


def test_sync_never_overwrites_a_page_edited_in_the_browser(scratch_content, tmp_path, runner):
    page = write(tmp_path, "test.md", PAGE)
    sync_content(tmp_path)
    editor = make_staff("ed@clinic.test", role="editor", name="Eddie Editor")
    article = articles()["test-condition"]
    source = PageSource.of(latest_revision(article))
    source.body_markdown += "\nAn editor's sentence.\n"
    save_revision(article, source, editor)
    db.session.commit()

    page.write_text(PAGE.replace("Plain text", "Shipped change"), encoding="utf-8")
    report = sync_content(tmp_path)
    assert report.skipped == ["test-condition"] and report.updated == []
    assert latest_revision(articles()["test-condition"]).body_markdown.endswith(
        "An editor's sentence.\n"
    )
    # Its source gone from the shipped folder, the page edited in the browser stays published.
    result = runner.invoke(args=["content", "sync"])
    assert "skipped test-condition: edited in the browser" in result.output
    assert articles()["test-condition"].published


def test_cli_names_the_pages_it_skipped(app, runner):
    with app.app_context():
        editor = make_staff("ed@clinic.test", role="editor", name="Eddie Editor")
        article = articles()["faq"]
        source = PageSource.of(latest_revision(article))
        save_revision(article, PageSource(**{**source.__dict__, "title": "FAQ"}), editor)
        article.source_hash = "changed upstream"
        db.session.commit()
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 0
    assert "skipped faq: edited in the browser" in result.output
    assert "1 skipped (edited in the browser)" in result.output


def test_check_deploy_refuses_published_condition_pages_without_approval(ctx):
    [finding] = check_unreviewed_pages()
    assert finding.blocking and "lupus" in finding.problem
    assert "no clinician's approval" in finding.problem
