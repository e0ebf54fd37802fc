"""The inbox opens on the person's own choice of whose leads (coordinators on theirs, admins on
everyone's, then whatever each last chose), and every row says how to reach the person, what is
booked and how late the follow-up is, with the bulk actions above the rows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from clinic.extensions import db
from clinic.leads import inbox
from clinic.models import Appointment, StaffUser
from tests.conftest import CLINIC_TZ, FROZEN_AT
from tests.lead_helpers import StatementLog, make_lead, signed_in
from tests.staff_helpers import make_staff, sign_in


@pytest.fixture
def people(app):
    """A coordinator (signed in on ``client`` by the tests), a colleague and one lead each,
    plus one nobody owns."""
    with app.app_context():
        casey = make_staff("casey@clinic.test", name="Casey Coord")
        sam = make_staff("sam@clinic.test", name="Sam Colleague")
        make_lead("Mine Mia", owner_id=casey.id)
        make_lead("Theirs Theo", owner_id=sam.id)
        make_lead("Nobodys Nina")
        return {"casey": casey.id, "sam": sam.id}


ROW_NAME = re.compile(
    r'<tr class="lead-row[^"]*">.*?<th scope="row"><a href="[^"]+">([^<]+)</a>', re.S
)
CURRENT_OWNER = re.compile(
    r'class="owner-switch__choice" href="[^"]*" aria-current="page">([^<]+)<'
)


def names_listed(html: str) -> list[str]:
    return ROW_NAME.findall(html)


def current_owner(html: str) -> str:
    [choice] = CURRENT_OWNER.findall(html)
    return choice


def switch_link(html: str, label: str) -> str:
    [href] = re.findall(rf'class="owner-switch__choice" href="([^"]*)"[^>]*>{label}<', html)
    return href.replace("&amp;", "&")


def kept_owner(app, user_id: int) -> str | None:
    with app.app_context():
        return db.session.get(StaffUser, user_id).inbox_owner


def test_a_coordinator_starts_on_their_own_leads_and_an_admin_on_everyones(app, client, people):
    assert sign_in(client, "casey@clinic.test").status_code == 302
    html = client.get("/staff/leads").get_data(as_text=True)
    assert names_listed(html) == ["Mine Mia"]
    assert current_owner(html) == "Mine"
    assert '<option selected value="me">Mine</option>' in html
    # The tabs and paging keep the owner the page shows.
    assert 'href="/staff/leads?status=new&amp;owner=me"' in html

    admin = app.test_client()
    signed_in(app, admin, "boss@clinic.test", role="admin", name="Boss Admin")
    html = admin.get("/staff/leads").get_data(as_text=True)
    assert sorted(names_listed(html)) == ["Mine Mia", "Nobodys Nina", "Theirs Theo"]
    assert current_owner(html) == "Everyone"


def test_choosing_whose_leads_is_kept_for_the_next_plain_visit(app, client, people):
    sign_in(client, "casey@clinic.test")
    html = client.get("/staff/leads").get_data(as_text=True)
    response = client.get(switch_link(html, "Unassigned"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/leads?owner=none"
    assert kept_owner(app, people["casey"]) == "unassigned"
    html = client.get("/staff/leads").get_data(as_text=True)
    assert names_listed(html) == ["Nobodys Nina"]
    assert current_owner(html) == "Unassigned"

    # The way back to everyone's leads is one click, and it is kept too.
    response = client.get(switch_link(html, "Everyone"))
    assert response.headers["Location"] == "/staff/leads?owner=anyone"
    assert kept_owner(app, people["casey"]) == "anyone"
    html = client.get("/staff/leads").get_data(as_text=True)
    assert sorted(names_listed(html)) == ["Mine Mia", "Nobodys Nina", "Theirs Theo"]


def test_a_colleague_chosen_in_the_filters_is_kept_and_named(app, client, people):
    sign_in(client, "casey@clinic.test")
    sam = people["sam"]
    form = f"q=&status=&condition=&owner={sam}&owner_was=me&source=&view=&sort=newest"
    response = client.get(f"/staff/leads?{form}")
    assert response.headers["Location"] == f"/staff/leads?owner={sam}"
    assert kept_owner(app, people["casey"]) == str(sam)
    html = client.get("/staff/leads").get_data(as_text=True)
    assert names_listed(html) == ["Theirs Theo"]
    assert current_owner(html) == "Sam Colleague"


def test_only_a_changed_owner_is_written_and_only_once(app, client, people):
    sign_in(client, "casey@clinic.test")
    with app.app_context():
        engine = db.engine

    def writes(path: str) -> list[str]:
        with StatementLog(engine) as log:
            client.get(path)
        return [s for s in log.statements if s.startswith("UPDATE staff_users")]

    # Links that carry an owner (Today's, the tabs') and a search that keeps the owner shown.
    assert writes("/staff/leads?owner=none&status=new") == []
    assert writes("/staff/leads?q=mia&owner=me&owner_was=me") == []
    assert kept_owner(app, people["casey"]) is None
    assert len(writes("/staff/leads?owner=none&owner_was=me")) == 1
    # The same choice again (another tab, a second click) finds it kept already.
    assert writes("/staff/leads?owner=none&owner_was=me") == []
    assert writes("/staff/leads") == []
    assert kept_owner(app, people["casey"]) == "unassigned"


def test_a_kept_owner_the_inbox_does_not_know_falls_back_to_the_role(app, client, people):
    with app.app_context():
        casey = db.session.get(StaffUser, people["casey"])
        casey.inbox_owner = "everybody"
        db.session.commit()
    sign_in(client, "casey@clinic.test")
    assert names_listed(client.get("/staff/leads").get_data(as_text=True)) == ["Mine Mia"]


@pytest.mark.parametrize(
    ("stored", "is_admin", "owner"),
    [
        (None, False, "me"),
        (None, True, "anyone"),
        ("unassigned", False, "none"),
        ("anyone", False, "anyone"),
        ("me", True, "me"),
        ("42", False, "42"),
        ("none", True, "none"),
        ("bob", True, "anyone"),
        ("99999999999999999999", False, "me"),
    ],
)
def test_starting_owner(stored, is_admin, owner):
    assert inbox.starting_owner(stored, is_admin=is_admin) == owner


def test_the_owner_is_not_a_filter_to_clear(app, client, people):
    sign_in(client, "casey@clinic.test")
    html = client.get("/staff/leads").get_data(as_text=True)
    assert "(filtered)" not in html and "Clear filters" not in html
    html = client.get("/staff/leads?owner=me&condition=lupus").get_data(as_text=True)
    assert "(filtered)" in html
    assert 'href="/staff/leads?owner=me">Clear filters</a>' in html


def test_searching_ones_own_leads_offers_everyones(app, client, people):
    sign_in(client, "casey@clinic.test")
    html = client.get("/staff/leads?q=theo&owner=me").get_data(as_text=True)
    assert names_listed(html) == []
    assert "Searching your leads only." in html
    link = re.search(r'<a href="([^"]+)">Search everyone’s leads</a>', html)[1]
    assert names_listed(client.get(link.replace("&amp;", "&")).get_data(as_text=True)) == [
        "Theirs Theo"
    ]


def test_each_row_offers_click_to_call_text_and_mail(app, client, people):
    sign_in(client, "casey@clinic.test")
    with app.app_context():
        make_lead(
            "Texting Tess",
            phone="(212) 555-0147",
            email="tess@example.com",
            owner_id=people["casey"],
            preferred_contact="sms",
        )
        make_lead("Calling Cal", phone="(646) 555-0182", owner_id=people["casey"])
    html = client.get("/staff/leads").get_data(as_text=True)
    tess = html.split("Texting Tess</a>", 1)[1].split("</th>", 1)[0]
    assert (
        '<a class="reach__link reach__link--call" href="tel:+12125550147">'
        '<span class="visually-hidden">Call Texting Tess on </span>+1 212-555-0147</a>'
    ) in tess
    assert 'href="sms:+12125550147">Text<span class="visually-hidden"> Texting Tess</span>' in tess
    assert 'href="mailto:tess@example.com"' in tess
    cal = html.split("Calling Cal</a>", 1)[1].split("</th>", 1)[0]
    assert 'href="tel:+16465550182"' in cal
    assert "sms:" not in cal  # no text messages without having asked for them


def test_bulk_actions_come_before_the_rows(app, client, people):
    sign_in(client, "casey@clinic.test")
    html = client.get("/staff/leads").get_data(as_text=True)
    form = html.split('<form method="post" action="/staff/leads/bulk"', 1)[1].split("</form>")[0]
    assert form.index("Assign selected") < form.index('<tr class="lead-row')
    assert 'type="checkbox" name="bulk-lead_ids"' in form


def book(lead_id: int, starts_at: datetime, *, status: str = "booked", kind: str = "video"):
    db.session.add(
        Appointment(
            lead_id=lead_id,
            starts_at=starts_at,
            duration_minutes=30,
            kind=kind,
            status=status,
            booked_via="staff",
        )
    )
    db.session.commit()


def test_a_booked_consultation_shows_on_its_row(frozen_clock, app, client, people):
    sign_in(client, "casey@clinic.test")
    with app.app_context():
        owner = {"owner_id": people["casey"], "status": "consult_booked"}
        booked = make_lead("Booked Bea", **owner).id
        cancelled = make_lead("Cancelled Cy", **owner).id
        over = make_lead("Over Olly", **owner).id
        tomorrow = FROZEN_AT + timedelta(days=1)
        book(booked, tomorrow)
        book(booked, tomorrow + timedelta(days=3))  # a later one: the next is shown
        book(cancelled, tomorrow, status="cancelled")
        book(over, FROZEN_AT - timedelta(hours=2))
    html = client.get("/staff/leads").get_data(as_text=True)
    row = html.split("Booked Bea</a>", 1)[1].split("</tr>", 1)[0]
    assert "Video consultation tomorrow at 10:00" in row
    assert "Sunday at 10:00" not in row
    for name in ("Cancelled Cy", "Over Olly"):
        assert "consultation" not in html.split(f"{name}</a>", 1)[1].split("</tr>", 1)[0]


def test_booked_appointments_reads_a_page_at_once(frozen_clock, ctx):
    lead = make_lead().id
    other = make_lead().id
    now = datetime.now(CLINIC_TZ)
    book(lead, now - timedelta(minutes=20))  # under way: it counts
    book(lead, now + timedelta(hours=2))
    found = inbox.booked_appointments([lead, other], now)
    assert list(found) == [lead]
    assert found[lead].starts_at == now - timedelta(minutes=20)
    assert inbox.booked_appointments([], now) == {}


def test_the_due_view_is_open_follow_ups_up_to_today(ctx):
    me = make_staff("me@clinic.test")
    clinic_today = FROZEN_AT.date()
    due = [
        make_lead(owner_id=me.id, follow_up_on=clinic_today - timedelta(days=1)).id,
        make_lead(owner_id=me.id, follow_up_on=clinic_today).id,
    ]
    make_lead(owner_id=me.id, follow_up_on=clinic_today + timedelta(days=1))
    make_lead(owner_id=me.id, follow_up_on=clinic_today, status="treated")
    params = inbox.parse_params(MultiDict({"view": "due", "sort": "follow_up", "owner": "me"}))
    context = inbox.InboxContext(user_id=me.id, now=FROZEN_AT, stale_days=7, region="US")
    assert [lead.id for lead in inbox.fetch_page(params, context).leads] == due
    counts = inbox.status_counts(params, context)
    assert counts["new"] == 2 and counts["new"].exact


def test_the_kept_owner_is_stored_as_the_model_documents(ctx):
    casey = make_staff("casey@clinic.test")
    assert inbox.remember_owner(casey, "none") is True
    assert inbox.remember_owner(casey, "none") is False
    assert inbox.remember_owner(casey, "bob") is False
    stored = db.session.execute(select(StaffUser.inbox_owner).where(StaffUser.id == casey.id))
    assert stored.scalar_one() == "unassigned"
