"""The educational pages patients read: content, metadata, privacy and error pages."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest

PUBLIC_PAGES = [
    "/",
    "/conditions/",
    "/conditions/lupus",
    "/about/stem-cell-therapy",
    "/faq",
    "/privacy",
    "/disclaimer",
    "/inquire",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_title_description_canonical_and_a_call_to_action(client, path):
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert re.search(r"<title>[^<]{5,}</title>", html)
    assert '<meta name="description" content="' in html
    assert '<link rel="canonical" href="http' in html
    assert "Request a consultation" in html
    assert html.count("<h1") == 1


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_third_party_scripts_fonts_or_trackers(client, path):
    html = client.get(path).get_data(as_text=True)
    for tag in re.findall(r"<(?:script|link|img|iframe)[^>]+(?:src|href)=\"([^\"]+)\"", html):
        assert (
            tag.startswith("/")
            or tag.startswith("http://127.0.0.1")
            or tag.startswith("http://localhost")
        ), f"{path} loads {tag} from another host"


def test_titles_are_unique_across_pages(client):
    titles = [
        re.search(r"<title>(.*?)</title>", client.get(p).get_data(as_text=True)).group(1)
        for p in PUBLIC_PAGES
    ]
    assert len(set(titles)) == len(titles)


def test_lupus_article_is_the_flagship(client):
    html = client.get("/conditions/lupus").get_data(as_text=True)
    assert "Not yet reviewed by a clinician at" in html  # shipped: no approval yet
    assert "not approved by the US Food and Drug Administration" in html  # disclaimer
    assert 'property="og:title"' in html
    ld = json.loads(re.search(r'application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["@type"] == "MedicalWebPage"
    assert ld["lastReviewed"] is None  # set from a clinician's approval (test_content_review)
    assert "References" in html
    assert "On this page" in html  # table of contents
    # The embedded form has lupus preselected and records the article it was sent from.
    assert re.search(r'<option selected value="lupus">|<option value="lupus" selected>', html)
    assert 'name="submitted_from" type="hidden" value="/conditions/lupus"' in html
    assert "What happens after you send this" in html


def test_condition_library_lists_at_least_six_articles(client):
    html = client.get("/conditions/").get_data(as_text=True)
    assert len(re.findall(r'href="/conditions/[a-z-]+"', html)) >= 6


def test_form_fields_have_labels_types_and_autocomplete(client):
    html = client.get("/inquire").get_data(as_text=True)
    for field in ("name", "email", "phone", "condition", "message", "best_time"):
        assert f'<label class="field__label" for="{field}"' in html, field
    assert 'type="email"' in html and 'autocomplete="email"' in html
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
    assert 'autocomplete="name"' in html
    assert "I agree that the clinic may store" in html  # the exact consent text is shown
    for choice in ("Self-pay", "Insurance", "Not sure yet"):
        assert choice in html


def test_unknown_page_is_a_friendly_404_in_the_layout(client):
    response = client.get("/conditions/no-such-thing")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "find that page" in html
    assert "condition library" in html
    assert "Traceback" not in html


def test_method_not_allowed_page(client):
    response = client.delete("/inquire")
    assert response.status_code == 405
    assert "available here" in response.get_data(as_text=True)


def test_sitemap_and_robots(client):
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    body = sitemap.get_data(as_text=True)
    assert "/conditions/lupus</loc>" in body
    assert "/privacy</loc>" in body
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /staff/" in robots
    assert "Sitemap: " in robots


@contextmanager
def unpublished(app, slug: str):
    """The article is unpublished for the block (as `content sync` would), then restored."""
    from clinic.extensions import db
    from clinic.models import Article

    def publish(published: bool) -> None:
        with app.app_context():
            article = db.session.execute(db.select(Article).filter_by(slug=slug)).scalar_one()
            article.published = published
            db.session.commit()

    publish(False)
    try:
        yield
    finally:
        publish(True)


def test_unpublished_page_is_gone(app, client):
    with unpublished(app, "faq"):
        assert client.get("/faq").status_code == 404
        assert "/faq</loc>" not in client.get("/sitemap.xml").get_data(as_text=True)


def test_each_visit_gets_its_own_tokens_from_the_workers_rendered_form(app, client):
    from tests.conftest import csrf_token_from, form_token_from

    first = client.get("/inquire").get_data(as_text=True)
    other_visitor = app.test_client().get("/inquire").get_data(as_text=True)
    assert form_token_from(first) != form_token_from(other_visitor)
    assert csrf_token_from(first) != csrf_token_from(other_visitor)
    for html in (first, other_visitor):
        assert "placeholder" not in html.split('name="form_token"')[1][:80]
        assert "clinic-" not in csrf_token_from(html) + form_token_from(html)
    # Apart from the tokens, every visitor sees the same page.
    assert re.sub(r'value="[^"]{32,}"', "", first) == re.sub(
        r'value="[^"]{32,}"', "", other_visitor
    )


def test_inquiry_page_preselects_a_known_condition_only(client):
    chosen = client.get("/inquire?condition=lupus").get_data(as_text=True)
    assert re.search(r'<option selected value="lupus">|<option value="lupus" selected>', chosen)
    odd = client.get('/inquire?condition="><script>x</script>').get_data(as_text=True)
    condition_options = odd.split('name="condition"')[1].split("</select>")[0]
    assert "<script>x" not in odd and "selected" not in condition_options


def test_inquiry_form_follows_a_condition_being_unpublished(app, client):
    assert 'value="lupus"' in client.get("/inquire").get_data(as_text=True)
    with unpublished(app, "lupus"):
        assert 'value="lupus"' not in client.get("/inquire").get_data(as_text=True)
    assert 'value="lupus"' in client.get("/inquire").get_data(as_text=True)


def test_inquiry_page_shows_a_waiting_flash_message(client):
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your session ended; please start again.")]
    html = client.get("/inquire").get_data(as_text=True)
    assert "Your session ended; please start again." in html
    assert "Your session ended" not in client.get("/inquire").get_data(as_text=True)
