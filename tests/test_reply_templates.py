"""Saved replies: admins write them, coordinators copy them, outcome claims are flagged."""

from __future__ import annotations

import pytest

from clinic.automation import reply_templates
from clinic.extensions import db
from tests.conftest import csrf_token_from
from tests.lead_helpers import make_lead
from tests.staff_helpers import make_staff, sign_in

CLAIMING = "Our stem cell therapy is proven to heal joints. Results guaranteed!"
NEUTRAL = "Thank you for writing. A coordinator will call you to arrange a consultation."


@pytest.mark.parametrize(
    ("text", "claims"),
    [
        (CLAIMING, ["proven", "heal", "guaranteed"]),
        ("This treatment CURES arthritis and can reverse ageing.", ["cures", "reverse"]),
        ("A miracle? No: a consultation.", ["miracle"]),
        (NEUTRAL, []),
        ("Securely scheduled; a healthy discussion about procurement.", []),  # no false hits
    ],
)
def test_outcome_claims_are_found_as_whole_words(text, claims):
    assert reply_templates.outcome_claims(text) == claims


def test_templates_are_validated_with_specific_messages(ctx):
    admin = make_staff("admin@clinic.test", role="admin", name="Admin")
    with pytest.raises(reply_templates.ReplyTemplateError, match="Write the text"):
        reply_templates.save_template(
            None, title="Hi", channel="email", subject="", body="  ", active=True, author=admin
        )
    with pytest.raises(reply_templates.ReplyTemplateError, match="at most 640 characters"):
        reply_templates.save_template(
            None, title="SMS", channel="sms", subject="", body="x" * 700, active=True, author=admin
        )
    saved = reply_templates.save_template(
        None, title="SMS", channel="sms", subject="ignored", body=NEUTRAL, active=True, author=admin
    )
    assert saved.subject == ""  # texts have no subject
    assert saved.updated_by_id == admin.id


def test_admin_saves_a_claiming_template_and_sees_the_reminder(app, client):
    with app.app_context():
        make_staff("admin@clinic.test", role="admin", name="Admin")
    assert sign_in(client, "admin@clinic.test").status_code == 302
    page = client.get("/staff/automation/templates/new").get_data(as_text=True)
    empty = client.post(
        "/staff/automation/templates/new",
        data={"csrf_token": csrf_token_from(page), "title": "First reply", "channel": "email"},
    )
    assert empty.status_code == 400
    assert "Write the text of the reply." in empty.get_data(as_text=True)
    response = client.post(
        "/staff/automation/templates/new",
        data={
            "csrf_token": csrf_token_from(page),
            "title": "First reply",
            "channel": "email",
            "subject": "Your consultation",
            "body": CLAIMING,
            "active": "y",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "makes treatment-outcome claims (proven, heal, guaranteed)" in html
    assert "The FTC has taken action against stem-cell clinics" in html
    with app.app_context():
        [template] = reply_templates.all_templates()
        assert template.body == CLAIMING


def test_coordinators_copy_templates_on_the_lead_page_but_cannot_edit(app, client):
    with app.app_context():
        admin = make_staff("admin@clinic.test", role="admin", name="Admin")
        make_staff("c@clinic.test", name="Casey")
        for title, body, active in [
            ("Claims", CLAIMING, True),
            ("Neutral", NEUTRAL, True),
            ("Retired <b>old</b>", NEUTRAL, False),
        ]:
            reply_templates.save_template(
                None,
                title=title,
                channel="email",
                subject="",
                body=body,
                active=active,
                author=admin,
            )
        db.session.commit()
        lead_id = make_lead().id
    assert sign_in(client, "c@clinic.test").status_code == 302
    html = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert "Reply templates" in html
    assert f"readonly>{NEUTRAL}</textarea>" in html
    assert "check wording" in html
    assert "Retired" not in html
    assert client.get("/staff/automation/templates/new").status_code == 403
