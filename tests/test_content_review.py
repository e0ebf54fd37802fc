"""Pages edited in the browser reach patients only on a clinician's approval, never the author's
own; flagged claims need a change or a recorded reason; revisions can be compared and restored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.content import review
from clinic.content.claims import flagged_sentences
from clinic.content.render import render_page
from clinic.content.revisions import (
    PageError,
    PageSource,
    compare,
    latest_revision,
    restore_revision,
    save_revision,
)
from clinic.extensions import db
from clinic.models import Article, PageReview, StaffUser
from tests.conftest import csrf_token_from
from tests.lead_helpers import audit_rows
from tests.staff_helpers import make_staff, sign_in

NEW_SENTENCE = "A new paragraph the editor wrote for this test."


def lupus() -> Article:
    return db.session.execute(select(Article).where(Article.slug == "lupus")).scalar_one()


def reviewer(email: str, name: str, *, role: str = "coordinator", degree: str = "MD") -> StaffUser:
    user = make_staff(email, name=name, role=role)
    user.is_clinical_reviewer = True
    user.degree = degree
    user.specialty = "Rheumatology"
    db.session.commit()
    db.session.refresh(user)  # readable after the app context ends
    return user


def edited(source: PageSource, **changes) -> PageSource:
    return PageSource(**{**source.__dict__, **changes})


def save(article: Article, author: StaffUser, **changes):
    source = edited(PageSource.of(latest_revision(article)), **changes)
    saved = save_revision(article, source, author, note="test change")
    db.session.commit()
    return saved


# --- the rules ------------------------------------------------------------------------------


def test_a_change_is_published_only_when_another_person_who_is_a_reviewer_approves(ctx):
    editor = make_staff("ed@clinic.test", name="Eddie Editor", role="editor")
    author_reviewer = reviewer("rita@clinic.test", "Rita Author")
    dana = reviewer("dana@clinic.test", "Dana Reyes")
    coordinator = make_staff("co@clinic.test", name="Casey Coord")
    page = lupus()
    body = PageSource.of(latest_revision(page)).body_markdown

    draft = save(page, editor, body_markdown=body + "\n" + NEW_SENTENCE + "\n")
    assert draft.number == 2
    assert NEW_SENTENCE not in lupus().body_html  # patients still read revision 1
    assert review.page_state(page).state == "awaiting_review"

    with pytest.raises(review.ReviewError, match="Only a clinical reviewer"):
        review.approve(page, draft, coordinator, claims_reason="x")
    # A reviewer who also saved a revision since the last approval can't approve the result.
    draft = save(page, author_reviewer, summary=page.summary + " Updated.")
    with pytest.raises(review.ReviewError, match="You wrote part of this change"):
        review.approve(page, draft, author_reviewer, claims_reason="x")
    assert review.authors_to_review(page, draft) == {editor.id, author_reviewer.id}

    review.approve(page, draft, dana, claims_reason="Each flagged sentence denies the claim.")
    db.session.commit()
    published = lupus()
    assert NEW_SENTENCE in published.body_html
    assert published.published_revision == draft.number
    line = review.byline(published)
    assert (line.written_by, line.reviewed_by) == ("Rita Author", "Dana Reyes, MD, Rheumatology")
    assert line.reviewed_on is not None and not line.due
    [approval] = db.session.execute(select(PageReview)).scalars().all()
    assert (approval.reviewer_id, approval.revision_id, approval.decision) == (
        dana.id,
        draft.id,
        "approved",
    )
    [approved] = audit_rows("page_approved")
    assert approved.detail.startswith("lupus: revision 3 approved and published")
    assert len(audit_rows("page_saved")) == 2


def test_a_flagged_claim_needs_the_reviewers_change_or_reason(ctx):
    editor = make_staff("ed@clinic.test", name="Eddie Editor", role="editor")
    dana = reviewer("dana@clinic.test", "Dana Reyes")
    page = db.session.execute(select(Article).where(Article.slug == "faq")).scalar_one()
    before = page.body_html
    body = PageSource.of(latest_revision(page)).body_markdown
    claim = "Our treatment has a 90% success rate and is proven to cure arthritis."
    draft = save(page, editor, body_markdown=body + "\n" + claim + "\n")
    flagged = [flag for flag in review.flags_of(draft) if flag.sentence == claim]
    assert flagged and flagged[0].phrases == ("90% success", "proven", "cure")

    with pytest.raises(review.ReviewError, match="flagged sentences"):
        review.approve(page, draft, dana)
    assert page.body_html == before

    # The reviewer rewords it (their own change, so now a third person must approve) …
    fixed = save(page, dana, body_markdown=body + "\nAsk us what the studies show.\n")
    assert not [f for f in review.flags_of(fixed) if "studies" in f.sentence]
    with pytest.raises(review.ReviewError, match="You wrote part"):
        review.approve(page, fixed, dana)
    # … or another reviewer records why the flagged sentences (if any remain) may stand.
    other = reviewer("omar@clinic.test", "Omar Haddad", degree="DO")
    review.approve(page, fixed, other, claims_reason="Remaining flags deny a cure.")
    db.session.commit()
    assert "Ask us what the studies show." in page.body_html
    stored = db.session.execute(select(PageReview)).scalar_one()
    remaining = review.flags_of(fixed)
    assert stored.claims_reason == ("Remaining flags deny a cure." if remaining else "")


def test_asking_for_changes_keeps_the_draft_unpublished_with_the_comment(ctx):
    editor = make_staff("ed@clinic.test", name="Eddie Editor", role="editor")
    dana = reviewer("dana@clinic.test", "Dana Reyes")
    page = lupus()
    draft = save(page, editor, title="Lupus: a retitled page")
    with pytest.raises(review.ReviewError, match="Say what should change"):
        review.request_changes(page, draft, dana, comment=" ")
    review.request_changes(page, draft, dana, comment="Keep the old title.")
    db.session.commit()
    state = review.page_state(page)
    assert (
        state.state == "changes_requested" and state.latest_review.comment == "Keep the old title."
    )
    assert lupus().title.startswith("Lupus (SLE)")


def test_saving_checks_citations_and_references(ctx):
    editor = make_staff("ed@clinic.test", name="Eddie Editor", role="editor")
    page = lupus()
    source = PageSource.of(latest_revision(page))
    with pytest.raises(PageError) as error:
        save_revision(
            page, edited(source, body_markdown=source.body_markdown + "\nSee [40].\n"), editor
        )
    assert (
        "The text cites [40], but there is no reference 40."
        in error.value.problems["body_markdown"]
    )
    broken = [
        *source.references[:-1],
        edited_reference(source.references[-1], doi="", pmid="", url=""),
    ]
    with pytest.raises(PageError) as error:
        save_revision(page, edited(source, references=broken), editor)
    assert error.value.problems["references"] == [
        f"Reference {len(broken)} needs a DOI, a PubMed id or a web address."
    ]
    assert save_revision(page, source, editor) is None  # nothing changed: no revision


def edited_reference(reference, **changes):
    return type(reference)(**{**reference.__dict__, **changes})


def test_restore_is_a_new_revision_and_any_two_revisions_compare(ctx):
    editor = make_staff("ed@clinic.test", name="Eddie Editor", role="editor")
    page = lupus()
    save(page, editor, summary="A shorter summary.")
    restored = restore_revision(page, 1, editor)
    db.session.commit()
    assert restored.number == 3 and restored.note == "Restored revision 1"
    first, second = (latest_revision(page), restored)
    lines = compare(
        db.session.execute(
            select(type(first)).filter_by(article_id=page.id, number=1)
        ).scalar_one(),
        db.session.execute(
            select(type(first)).filter_by(article_id=page.id, number=2)
        ).scalar_one(),
    )
    changed = [(line.kind, line.text) for line in lines if line.kind in ("added", "removed")]
    assert changed == [
        ("removed", "Summary: " + PageSource.of(second).summary),
        ("added", "Summary: A shorter summary."),
    ]
    assert [row.detail for row in audit_rows("page_restored")] == [
        "lupus: revision 3 restores revision 1"
    ]


def test_citations_link_to_references_that_exist():
    rendered = render_page("One [1]. Range [1–3]. List [2, 3]. Missing [4]. `code [1]`", 3)
    html = rendered.body_html
    assert html.count('href="#ref-1"') == 2
    assert '[<a class="cite" href="#ref-1" aria-label="Reference 1">1</a>–' in html
    assert html.count('href="#ref-3"') == 2 and "Missing [4]" in html
    assert "<code>code [1]</code>" in html
    assert rendered.toc[-1] == {"id": "references", "title": "References"}


def test_flagged_sentences_are_marked_in_the_preview_only():
    text = "Stem cells are studied. They cure everything! Ask your doctor."
    assert [f.sentence for f in flagged_sentences(text)] == ["They cure everything!"]
    marked = render_page(text, 0, mark_claims=True).body_html
    assert '<mark class="claim">They cure everything!</mark>' in marked
    assert "<mark" not in render_page(text, 0).body_html


def test_a_review_is_due_after_the_configured_months(app, frozen_clock):
    with app.app_context():
        dana = reviewer("dana@clinic.test", "Dana Reyes")
        page = lupus()
        assert page in review.pages_due()  # shipped: never reviewed
        review.approve(page, latest_revision(page), dana, claims_reason="Denials of claims.")
        db.session.commit()
        assert page not in review.pages_due()
        frozen_clock.shift(timedelta(days=366))
        assert review.review_due(page) and page in review.pages_due()
        assert review.byline(page).due


# --- the pages ------------------------------------------------------------------------------


def _sign_in(app, client, email, name, *, role="coordinator", is_reviewer=False):
    with app.app_context():
        user = (
            reviewer(email, name, role=role)
            if is_reviewer
            else make_staff(email, name=name, role=role)
        )
    assert sign_in(client, email).status_code == 302
    return user


def _form_fields(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    for name, text in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', html, re.S
    ):
        fields[name] = text
    return {
        k: v.replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        for k, v in fields.items()
    }


def test_an_editor_edits_in_the_browser_and_a_reviewer_publishes(app, client):
    with app.app_context():
        page_id = lupus().id
    _sign_in(app, client, "ed@clinic.test", "Eddie Editor", role="editor")
    assert client.get("/staff/").headers["Location"].endswith("/staff/content")
    listing = client.get("/staff/content").get_data(as_text=True)
    assert "Lupus (SLE)" in listing and "Published" in listing

    edit = client.get(f"/staff/content/{page_id}").get_data(as_text=True)
    fields = _form_fields(edit)
    with app.app_context():
        reference_count = len(PageSource.of(latest_revision(lupus())).references)
    assert fields["references-0-title"] and f"references-{reference_count - 1}-title" in fields
    fields["body_markdown"] += "\nThis therapy is proven to help [3].\n"
    fields["action"] = "preview"
    preview = client.post(f"/staff/content/{page_id}", data=fields).get_data(as_text=True)
    marked = '<mark class="claim">This therapy is proven to help [<a class="cite" href="#ref-3"'
    assert marked in preview

    fragment = client.post(
        "/staff/content/preview", data=fields, headers={"X-CSRFToken": fields["csrf_token"]}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert '<mark class="claim">This therapy is proven' in fragment.get_data(as_text=True)
    no_token = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert client.post("/staff/content/preview", data=no_token).status_code == 400

    fields["action"] = "add_reference"
    more = client.post(f"/staff/content/{page_id}", data=fields).get_data(as_text=True)
    assert f'name="references-{reference_count + 3}-title"' in more  # 3 blank rows, one more

    fields["action"] = "save"
    fields["note"] = "A sentence on evidence"
    saved = client.post(f"/staff/content/{page_id}", data=fields)
    assert saved.status_code == 302
    assert "proven to help" not in client.get("/conditions/lupus").get_data(as_text=True)
    history = client.get(f"/staff/content/{page_id}/history").get_data(as_text=True)
    assert "A sentence on evidence" in history and "Eddie Editor" in history
    diff = client.get(f"/staff/content/{page_id}/compare?old=1&new=2").get_data(as_text=True)
    assert "This therapy is proven to help [3]." in diff and "<ins>" in diff
    client.post("/staff/logout", data={"csrf_token": csrf_token_from(history)})

    _sign_in(app, client, "dana@clinic.test", "Dana Reyes", is_reviewer=True)
    today = client.get("/staff/").get_data(as_text=True)
    assert "Pages due for your review" in today
    form = client.get(f"/staff/content/{page_id}/review").get_data(as_text=True)
    assert "This therapy is proven to help" in form and "Why the flagged sentences stand" in form
    token = csrf_token_from(form)
    refused = client.post(
        f"/staff/content/{page_id}/review", data={"csrf_token": token, "decision": "approved"}
    )
    assert refused.status_code == 400
    assert "The claim checker flagged sentences" in refused.get_data(as_text=True)
    approved = client.post(
        f"/staff/content/{page_id}/review",
        data={
            "csrf_token": token,
            "decision": "approved",
            "claims_reason": "The new sentence cites the controlled trial; the rest deny cures.",
        },
    )
    assert approved.status_code == 302
    public = client.get("/conditions/lupus").get_data(as_text=True)
    assert "proven to help" in public
    assert (
        "Written by Eddie Editor · Medically reviewed by Dana Reyes, MD, Rheumatology on" in public
    )
    assert '<li id="ref-3">' in public and 'href="https://doi.org/10.' in public
    history = client.get(f"/staff/content/{page_id}/history").get_data(as_text=True)
    assert "the rest deny cures" in history


def test_the_public_byline_of_a_shipped_page_says_it_is_not_yet_reviewed(client):
    page = client.get("/conditions/lupus").get_data(as_text=True)
    assert "Not yet reviewed by a clinician at" in page
    assert 'id="references"' in page and 'href="#ref-1"' in page


def test_the_author_cannot_approve_in_the_browser(app, client):
    user = _sign_in(app, client, "rita@clinic.test", "Rita Reviewer", is_reviewer=True)
    with app.app_context():
        page = lupus()
        save(page, db.session.get(StaffUser, user.id), title="Lupus, retitled")
        page_id = page.id
    form = client.get(f"/staff/content/{page_id}/review").get_data(as_text=True)
    assert "You wrote part of this change" in form
    response = client.post(
        f"/staff/content/{page_id}/review",
        data={"csrf_token": csrf_token_from(form), "decision": "approved", "claims_reason": "x"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert lupus().title.startswith("Lupus (SLE)")


def test_the_review_form_is_refused_to_people_who_are_not_reviewers(app, client):
    _sign_in(app, client, "ed@clinic.test", "Eddie Editor", role="editor")
    with app.app_context():
        page_id = lupus().id
    form = client.get(f"/staff/content/{page_id}/review").get_data(as_text=True)
    assert "A clinical reviewer approves pages" in form
    response = client.post(
        f"/staff/content/{page_id}/review",
        data={"csrf_token": csrf_token_from(form), "decision": "approved"},
    )
    assert response.status_code == 403


def test_restoring_from_the_history_page_saves_a_new_draft(app, client):
    _sign_in(app, client, "ed@clinic.test", "Eddie Editor", role="editor")
    with app.app_context():
        article = lupus()
        article_id = article.id
        editor = db.session.execute(
            select(StaffUser).where(StaffUser.email == "ed@clinic.test")
        ).scalar_one()
        save(article, editor, title="A title nobody approved")
    history = client.get(f"/staff/content/{article_id}/history").get_data(as_text=True)
    assert 'name="number" type="hidden" value="1"' in history

    response = client.post(
        f"/staff/content/{article_id}/restore",
        data={"csrf_token": csrf_token_from(history), "number": "1"},
    )

    assert response.status_code == 302
    with app.app_context():
        newest = latest_revision(lupus())
        assert (newest.number, newest.note) == (3, "Restored revision 1")
        assert newest.title != "A title nobody approved"
    missing = client.post(
        f"/staff/content/{article_id}/restore",
        data={"csrf_token": csrf_token_from(history), "number": "99"},
    )
    assert missing.status_code == 404
