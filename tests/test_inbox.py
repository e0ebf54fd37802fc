"""The inbox: every filter and the search, keyset paging that never skips or repeats a lead,
the query budget, status tabs, bulk changes and the Today page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from clinic.extensions import db
from clinic.leads import conditions, inbox, today
from clinic.leads.erasure import erase_lead
from clinic.leads.intake import Attribution
from clinic.models import Article, Lead, StaffUser, utcnow
from tests.conftest import FROZEN_AT
from tests.lead_helpers import StatementLog, events_of, make_lead, signed_in, token_from
from tests.staff_helpers import make_staff

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def me(ctx):
    return make_staff("me@clinic.test", name="Morgan Me")


def context(user: StaffUser, now: datetime | None = None) -> inbox.InboxContext:
    return inbox.InboxContext(user_id=user.id, now=now or utcnow(), stale_days=7, region="US")


def listed(user: StaffUser, now: datetime | None = None, **args) -> list[int]:
    params = inbox.parse_params(MultiDict({k: str(v) for k, v in args.items()}))
    assert params.errors == ()
    return [lead.id for lead in inbox.fetch_page(params, context(user, now)).leads]


# --- filters --------------------------------------------------------------------------------


def test_default_shows_open_leads_newest_first(me):
    older = make_lead(ago=timedelta(hours=3)).id
    newer = make_lead(ago=timedelta(hours=1)).id
    make_lead(status="treated")
    make_lead(status="lost", lost_reason="cost")
    erased = make_lead()
    erase_lead(erased, me)
    keep = make_lead(ago=timedelta(hours=2)).id
    duplicate = make_lead(merged_into_id=keep)
    db.session.commit()
    assert duplicate.id not in listed(me)
    assert listed(me) == [newer, keep, older]


def test_status_filter_and_scopes(me):
    new = make_lead().id
    contacted = make_lead(status="contacted").id
    lost = make_lead(status="lost", lost_reason="cost").id
    assert listed(me, status="contacted") == [contacted]
    assert listed(me, status="lost") == [lost]
    assert listed(me, status="open") == [contacted, new]
    assert listed(me, status="all") == [lost, contacted, new]


def test_condition_owner_and_source_filters(me):
    colleague = make_staff("sam@clinic.test", name="Sam")
    mine = make_lead(condition="lupus", owner_id=me.id).id
    theirs = make_lead(condition="multiple-sclerosis", owner_id=colleague.id).id
    nobodys = make_lead(condition="lupus", attribution=Attribution(utm_source="newsletter")).id
    assert listed(me, condition="lupus") == [nobodys, mine]
    assert listed(me, owner="me") == [mine]
    assert listed(me, owner="none") == [nobodys]
    assert listed(me, owner="anyone") == listed(me) == [nobodys, theirs, mine]
    assert listed(me, owner=colleague.id) == [theirs]
    assert listed(me, source="newsletter") == [nobodys]
    assert listed(me, source="direct") == [theirs, mine]


def test_patients_choose_among_published_conditions_and_staff_see_every_one(me):
    lupus = db.session.execute(select(Article).where(Article.slug == "lupus")).scalar_one()
    lupus.published = False
    db.session.flush()
    public = conditions.choices(published_only=True)
    staff = conditions.choices(published_only=False)
    assert "lupus" not in dict(public) and dict(staff)["lupus"] == "Lupus"
    assert set(public) < set(staff)
    assert public[-1] == staff[-1] == ("other", "Another condition, or not sure")
    assert conditions.names() == dict(staff)
    assert (conditions.label("lupus"), conditions.label("retired-slug")) == (
        "Lupus",
        "retired-slug",
    )
    db.session.rollback()


def test_received_dates_are_clinic_days(me):
    # 03:30 UTC on 10 March is 23:30 on 9 March in New York.
    late_evening = make_lead(at=datetime(2026, 3, 10, 3, 30, tzinfo=UTC)).id
    next_morning = make_lead(at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC)).id
    assert listed(me, created_from="2026-03-09", created_to="2026-03-09") == [late_evening]
    assert listed(me, created_from="2026-03-10") == [next_morning]
    assert listed(me, created_to="2026-03-10") == [next_morning, late_evening]


def test_overdue_view_is_open_leads_with_a_past_follow_up(me):
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 10 March in New York
    overdue = make_lead(follow_up_on=date(2026, 3, 9)).id
    make_lead(follow_up_on=date(2026, 3, 10))
    make_lead(follow_up_on=date(2026, 3, 1), status="treated")
    make_lead()
    assert listed(me, now, view="overdue") == [overdue]


def test_unassigned_and_stale_views(me):
    now = utcnow()
    quiet = make_lead(ago=timedelta(days=8), owner_id=me.id).id
    make_lead(ago=timedelta(days=6), owner_id=me.id)
    make_lead(ago=timedelta(days=20), status="treated")
    unowned = make_lead().id
    assert listed(me, now, view="unassigned") == [unowned]
    assert listed(me, now, view="stale") == [quiet]


def test_sorts(me):
    first = make_lead(ago=timedelta(days=3), follow_up_on=date(2030, 1, 5)).id
    second = make_lead(ago=timedelta(days=2)).id
    third = make_lead(ago=timedelta(days=1), follow_up_on=date(2030, 1, 2)).id
    assert listed(me, sort="oldest") == [first, second, third]
    assert listed(me, sort="follow_up") == [third, first, second]


def test_unknown_parameters_are_ignored_with_a_message():
    params = inbox.parse_params(
        MultiDict(
            {
                "status": "archived",
                "view": "everything",
                "owner": "bob",
                "created_from": "10/03/2026",
                "sort": "random",
            }
        )
    )
    assert (params.status, params.view, params.owner, params.created_from) == ("", "", "", None)
    assert params.sort == "newest"
    assert len(params.errors) == 5
    assert any("2026-01-31" in error for error in params.errors)


def test_dates_in_the_wrong_order_are_refused():
    params = inbox.parse_params(
        MultiDict({"created_from": "2026-03-10", "created_to": "2026-03-01"})
    )
    assert params.created_from is None and params.created_to is None
    assert "before" in params.errors[0]


# --- search ---------------------------------------------------------------------------------


@pytest.fixture
def zoe(me):
    make_lead("Other Person", email="other@example.org", phone="+1 646 555 0199")
    return make_lead(
        "Zoë Núñez",
        email="Zoe.Nunez@Example.com",
        phone="(212) 555-0142",
        message="My kidneys hurt since the flare.",
        status="treated",
    ).id


@pytest.mark.parametrize(
    "query",
    [
        "(212) 555-0142",
        "212.555.0142",
        "+12125550142",
        "2125550142",
        "+1 212 555 0142",
        "555-0142",
        "0142",
        "nunez@exa",
        "zoe.nunez",
        "EXAMPLE.COM",
        "Núñez",
        "nunez",
        "NUNEZ",
        "zoe nunez",
        "nunez zoë",
        "kidneys",
        "KIDNEYS flare",
    ],
)
def test_search_finds_the_same_lead_however_it_is_typed(me, zoe, query):
    assert listed(me, q=query) == [zoe]


@pytest.mark.parametrize("query", ["%", "_", "nunez%", "212-555-0143", "kidney stones"])
def test_search_does_not_match_everything(me, zoe, query):
    assert zoe not in listed(me, q=query)


def test_search_combines_with_filters(me, zoe):
    assert listed(me, q="nunez", status="open") == []
    assert listed(me, q="nunez", status="treated") == [zoe]


# --- keyset paging --------------------------------------------------------------------------


def page_through(user, size, direction="after", **args):
    """Every id in listing order, following next links (and inserting new leads meanwhile)."""
    seen, cursor = [], ""
    while True:
        params = inbox.parse_params(MultiDict({**args, direction: cursor} if cursor else args))
        page = inbox.fetch_page(params, context(user), size=size)
        seen.extend(lead.id for lead in page.leads)
        make_lead()  # a new lead arrives between every page
        cursor = page.next_cursor
        if not cursor:
            return seen


def test_paging_never_skips_or_repeats_while_leads_arrive(me):
    same_moment = utcnow() - timedelta(days=1)
    original = [make_lead(ago=timedelta(minutes=n)).id for n in range(40)]
    original += [make_lead(at=same_moment).id for _ in range(15)]  # ties broken by id
    seen = page_through(me, size=7)
    assert len(seen) == len(set(seen))
    assert set(original) <= set(seen)
    oldest_first = page_through(me, size=9, sort="oldest")
    assert len(oldest_first) == len(set(oldest_first))
    assert set(original) <= set(oldest_first)


def test_follow_up_order_pages_through_dates_and_leads_without_one(me):
    ids = [
        make_lead(follow_up_on=date(2030, 1, 1) + timedelta(days=n % 4) if n % 3 else None).id
        for n in range(30)
    ]
    seen = page_through(me, size=4, sort="follow_up")
    assert len(seen) == len(set(seen))
    assert set(ids) <= set(seen)
    days = [db.session.get(Lead, lead_id).follow_up_on for lead_id in seen if lead_id in ids]
    dated = [day for day in days if day]
    assert dated == sorted(dated)
    assert days[len(dated) :] == [None] * (len(days) - len(dated))


def test_previous_pages_walk_back_to_the_first(me):
    ids = [make_lead(ago=timedelta(minutes=n)).id for n in range(25)]
    ctx = context(me)
    forward, params, pages = [], inbox.parse_params(MultiDict()), []
    while True:
        page = inbox.fetch_page(params, ctx, size=10)
        pages.append([lead.id for lead in page.leads])
        forward.extend(pages[-1])
        if not page.next_cursor:
            break
        params = inbox.parse_params(MultiDict({"after": page.next_cursor}))
    assert forward == ids
    assert page.previous_cursor
    back = inbox.fetch_page(
        inbox.parse_params(MultiDict({"before": page.previous_cursor})), ctx, 10
    )
    assert [lead.id for lead in back.leads] == pages[1]
    top = inbox.fetch_page(inbox.parse_params(MultiDict({"before": back.previous_cursor})), ctx, 10)
    assert [lead.id for lead in top.leads] == pages[0]
    assert top.previous_cursor is None


def test_a_broken_cursor_shows_the_first_page(me):
    lead = make_lead().id
    assert listed(me, after="not-a-cursor") == [lead]


# --- the page itself ------------------------------------------------------------------------


def me_signed_in(app, client):
    return signed_in(app, client, "me@clinic.test", name="Morgan Me")


def test_inbox_rows_show_what_a_coordinator_needs(frozen_clock, app, client):
    user = me_signed_in(app, client)
    with app.app_context():
        waiting_long = make_lead("Late Larry", ago=timedelta(hours=3)).id
        make_lead("Quick Quinn", ago=timedelta(minutes=5))
        make_lead(
            "Owned Olga",
            status="contacted",
            owner_id=user.id,
            attempts=2,
            follow_up_on=FROZEN_AT.date() - timedelta(days=3),
            first_contacted_at=utcnow(),
        )
    response = client.get("/staff/leads?owner=anyone")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert f'href="/staff/leads/{waiting_long}"' in html
    with app.app_context():
        source = db.session.get(Lead, waiting_long).source
    assert f'href="/staff/leads?source={source}&amp;status=all"' in html
    assert "waiting 3 h" in html and "waiting--late" in html
    assert "waiting 5 min" in html
    assert '<span class="badge badge--status-contacted">Contacted</span>' in html
    assert "Morgan Me" in html
    assert 'Overdue 3 days</span> <span class="follow-up__date">6 December 2026' in html
    assert "received 3 h ago" in html and "received 5 min ago" in html
    assert "2 attempts" in html and "0 attempts" in html
    assert html.count('<th scope="col">') >= 9
    assert 'aria-current="page">All open <span class="tab__count">3</span>' in html
    assert 'Contacted <span class="tab__count">1</span>' in html


def test_inbox_escapes_what_patients_typed(app, client):
    me_signed_in(app, client)
    with app.app_context():
        make_lead(
            '<script>alert("x")</script>',
            attribution=Attribution(utm_source='"><img src=x onerror=alert(1)>'),
        )
    html = client.get("/staff/leads?owner=anyone").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_next_link_keeps_the_filters(app, client):
    me_signed_in(app, client)
    with app.app_context():
        for n in range(55):
            make_lead(ago=timedelta(minutes=n), condition="lupus")
    html = client.get("/staff/leads?condition=lupus").get_data(as_text=True)
    assert html.count('class="lead-row') == 50
    assert 'rel="next" href="/staff/leads?condition=lupus&amp;after=' in html
    next_url = html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert second.count('class="lead-row') == 5
    assert 'rel="prev"' in second


def test_bad_parameters_show_a_message_not_an_error_page(app, client):
    me_signed_in(app, client)
    response = client.get("/staff/leads?created_from=yesterday&status=%3Cb%3E")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "must be a date such as 2026-01-31" in html
    assert "<b>" not in html


def test_inbox_needs_a_signed_in_user(client):
    response = client.get("/staff/leads")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_inbox_query_count_does_not_grow_with_the_page(app, client):
    user = me_signed_in(app, client)
    counts = []
    for total in (3, 60):
        with app.app_context():
            for n in range(total):
                make_lead(owner_id=user.id if n % 2 else None, follow_up_on=date(2020, 1, 1))
            engine = db.engine
        with StatementLog(engine) as counter:
            assert client.get("/staff/leads").status_code == 200
        counts.append(len(counter.statements))
        # One query for the page of leads and one counting the coordinator's follow-ups due
        # (one line on the plain inbox); the status-tab counts come from lead_counts, never a
        # count over the leads table; the page's booked consultations in one query.
        assert len(counter.touching_leads()) == 2, counter.touching_leads()
        assert sum("FROM lead_counts" in s for s in counter.statements) == 1
        assert sum("FROM appointments" in s for s in counter.statements) == 1
    assert counts[0] == counts[1]
    # Eight at most to show the page, plus the audit row of who saw which leads: one INSERT,
    # in a transaction of its own (its BEGIN is a statement on SQLite), and nothing read for it.
    audit_row = [s for s in counter.statements if s.startswith("INSERT INTO audit_entries")]
    shown = [s for s in counter.statements if s not in audit_row and s != "BEGIN IMMEDIATE"]
    assert len(audit_row) == 1
    assert len(shown) <= 8, counter.statements


def confirmed(client, data: dict):
    """Post a bulk change from the inbox, then press the confirmation page's button, sending
    what the page holds, as a browser does; returns the confirmation's response."""
    page = client.post("/staff/leads/bulk", data=data).get_data(as_text=True)
    form = page.split('class="bulk-confirm__form"')[1].split("</form>")[0]
    fields = re.findall(
        r'<input (?:id="[^"]*" )?name="([^"]+)" type="hidden" value="([^"]*)">', form
    )
    fields += re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    posted = MultiDict(fields)
    return client.post("/staff/leads/bulk/confirm", data=posted)


def test_bulk_assign_and_status_change_are_on_each_timeline(app, client):
    user = me_signed_in(app, client)
    with app.app_context():
        ids = [make_lead().id for _ in range(3)]
    html = client.get("/staff/leads?condition=lupus").get_data(as_text=True)
    token = token_from(html)
    response = confirmed(
        client,
        {
            "bulk-csrf_token": token,
            "bulk-lead_ids": ids[:2],
            "bulk-owner": str(user.id),
            "bulk-assign": "Assign selected",
            "bulk-back": "condition=lupus&evil=1",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/leads?condition=lupus"
    response = confirmed(
        client,
        {
            "bulk-csrf_token": token,
            "bulk-lead_ids": ids[1:],
            "bulk-status": "lost",
            "bulk-lost_reason": "unreachable",
            "bulk-change_status": "Change status of selected",
        },
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Moved 2 leads to Lost (Unreachable)." in page
    with app.app_context():
        leads = [db.session.get(Lead, lead_id) for lead_id in ids]
        assert [lead.owner_id for lead in leads] == [user.id, user.id, None]
        assert [lead.status for lead in leads] == ["new", "lost", "lost"]
        assert [len(events_of(lead_id, "assign")) for lead_id in ids] == [1, 1, 0]
        assert [len(events_of(lead_id, "status")) for lead_id in ids] == [0, 1, 1]


def test_bulk_lost_without_reason_and_bulk_without_csrf_change_nothing(app, client):
    me_signed_in(app, client)
    with app.app_context():
        ids = [make_lead().id for _ in range(2)]
    token = token_from(client.get("/staff/leads").get_data(as_text=True))
    data = {"bulk-lead_ids": ids, "bulk-status": "lost", "bulk-change_status": "1"}
    response = client.post("/staff/leads/bulk", data={**data, "bulk-csrf_token": token})
    assert response.status_code == 302
    assert "Choose why the lead was lost." in client.get("/staff/leads").get_data(as_text=True)
    response = client.post(
        "/staff/leads/bulk",
        data={**data, "bulk-lost_reason": "spam"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert {db.session.get(Lead, lead_id).status for lead_id in ids} == {"new"}
        assert all(events_of(lead_id, "status") == [] for lead_id in ids)


# --- Today ----------------------------------------------------------------------------------


def test_speed_to_lead_is_the_median_of_this_weeks_first_contacts(me):
    wednesday = datetime(2026, 3, 11, 18, 0, tzinfo=UTC)
    for minutes in (4, 10, 60):
        inquired = wednesday - timedelta(hours=3)
        make_lead(at=inquired, first_contacted_at=inquired + timedelta(minutes=minutes))
    make_lead(at=wednesday - timedelta(hours=1))  # still waiting
    make_lead(at=datetime(2026, 3, 8, 12, tzinfo=UTC), first_contacted_at=wednesday)  # last week
    make_lead(at=datetime(2026, 2, 27, 12, tzinfo=UTC), first_contacted_at=wednesday)  # earlier
    speed = today.speed_to_lead(wednesday)
    assert speed.week_start == date(2026, 3, 9)
    assert (speed.median_minutes, speed.contacted, speed.waiting) == (10, 3, 1)
    last_week = speed.previous
    assert last_week.week_start == date(2026, 3, 2)
    assert (last_week.median_minutes, last_week.contacted, last_week.waiting) == (4680, 1, 0)


def test_speed_to_lead_on_a_monday_morning_shows_last_weeks_figure(frozen_clock, app, client):
    frozen_clock.move_to(datetime(2026, 12, 7, 8, 30, tzinfo=NEW_YORK))
    me_signed_in(app, client)
    now = datetime.now(NEW_YORK)
    last_week = now - timedelta(days=7)
    with app.app_context():
        for minutes in (5, 15):
            make_lead(at=last_week, first_contacted_at=last_week + timedelta(minutes=minutes))
        make_lead(at=last_week)
    html = client.get("/staff/").get_data(as_text=True)
    previous = html.split('class="speed-previous"')[1].split("</p>")[0]
    assert "10 min" in previous and "2 contacted, 1 not contacted yet" in " ".join(previous.split())
    this_week = html.split('id="speed-title"')[1].split('class="speed-previous"')[0]
    assert "No new leads since Monday" in this_week and "The aim is first contact" in this_week

    with app.app_context():
        make_lead(at=utcnow())  # this week's first lead, still waiting
    html = client.get("/staff/").get_data(as_text=True)
    this_week = html.split('id="speed-title"')[1].split('class="speed-previous"')[0]
    assert "has been contacted yet (1 waiting)" in this_week


def test_today_page_lists_my_follow_ups_new_leads_speed_and_counts(frozen_clock, app, client):
    user = me_signed_in(app, client)
    clinic_today = FROZEN_AT.date()
    with app.app_context():
        colleague = make_staff("sam@clinic.test", name="Sam")
        worked = {"owner_id": user.id, "status": "contacted"}
        make_lead("Overdue Olive", follow_up_on=clinic_today - timedelta(days=2), **worked)
        make_lead("Today Tara", follow_up_on=clinic_today, **worked)
        make_lead("Later Lou", follow_up_on=clinic_today + timedelta(days=2), **worked)
        make_lead("Theirs Theo", owner_id=colleague.id, follow_up_on=clinic_today)
        make_lead("Fresh Fay")
        make_lead("Treated Tom", status="treated")
    html = client.get("/staff/").get_data(as_text=True)
    overdue, rest = html.split("Due today", 1)
    assert "Overdue Olive" in overdue and "Follow-up overdue 2 days" in overdue
    assert "Today Tara" in rest.split("New leads nobody")[0]
    assert "Later Lou" not in html and "Theirs Theo" not in html
    assert "Fresh Fay" in html.split("New leads nobody")[1]
    assert "Speed to lead this week" in html
    assert "badge--status-treated" in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"bulk-owner": "", "bulk-assign": "1"}, "Tick at least one lead first."),
        ({"bulk-lead_ids": "LEAD", "bulk-owner": "999", "bulk-assign": "1"}, "Not a valid choice"),
        ({"bulk-lead_ids": "LEAD"}, "Press “Assign selected” or “Change status of selected”."),
        (
            {"bulk-lead_ids": "LEAD", "bulk-status": "archived", "bulk-change_status": "1"},
            "not a stage of the pipeline",
        ),
        (
            {"bulk-lead_ids": "LEAD", "bulk-status": "consult_booked", "bulk-change_status": "1"},
            "“Consult booked” needs each lead&#39;s consultation: "
            "book it on the lead&#39;s record.",
        ),
    ],
)
def test_bulk_mistakes_are_explained_and_change_nothing(app, client, fields, message):
    me_signed_in(app, client)
    with app.app_context():
        lead_id = make_lead().id
    data = {k: str(lead_id) if v == "LEAD" else v for k, v in fields.items()}
    data["bulk-csrf_token"] = token_from(client.get("/staff/leads").get_data(as_text=True))
    response = client.post("/staff/leads/bulk", data=data, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert events_of(lead_id) == events_of(lead_id, "inquiry")
        assert db.session.get(Lead, lead_id).owner_id is None


def test_the_filter_form_lands_on_a_short_bookmarkable_address(app, client):
    me_signed_in(app, client)
    response = client.get(
        "/staff/leads?q=+nunez+&status=&condition=lupus&owner=&source=&created_from="
        "&created_to=&view=&sort=newest"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/leads?q=nunez&condition=lupus"


def test_an_inquiry_from_the_public_form_is_found_by_phone_typed_differently(
    app, client, submit_inquiry
):
    assert submit_inquiry(phone="(212) 555-0142", name="Zoë Núñez").status_code == 303
    me_signed_in(app, client)
    for query in ("212.555.0142", "+12125550142", "nunez"):
        response = client.get(f"/staff/leads?q={query.replace('+', '%2B')}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Zoë Núñez" in html, query
        assert html.count('class="lead-row') == 1


@pytest.mark.parametrize(
    "query",
    [
        "owner=99999999999999999999",
        "after=99999999999999999999999999_1",
        "after=1_99999999999999999999",
        "before=x_y",
        "sort=follow_up&after=2026-13-45_3",
        "created_to=9999-12-31",
        "created_from=0001-01-01",
    ],
)
def test_out_of_range_values_in_the_address_never_break_the_page(app, client, query):
    me_signed_in(app, client)
    with app.app_context():
        make_lead("Still Listed")
    response = client.get(f"/staff/leads?{query}")
    assert response.status_code == 200
    assert "Still Listed" in response.get_data(as_text=True)


def test_out_of_range_lead_numbers_are_not_found(app, client):
    me_signed_in(app, client)
    assert client.get("/staff/leads/99999999999999999999").status_code == 404


def _stale_by_reading(now: datetime, days: int, owner_id: int | None = None) -> int:
    """The definition, counted row by row: what count_stale must equal."""
    from clinic.leads.stale import stale_clause

    query = db.select(db.func.count()).select_from(Lead).where(*stale_clause(now, days))
    if owner_id is not None:
        query = query.where(Lead.owner_id == owner_id)
    return db.session.execute(query).scalar_one()


def test_gone_quiet_counts_equal_the_definition_through_merges_and_erasure(me):
    from clinic.leads.merge import merge_leads
    from clinic.leads.stale import count_stale, count_stale_by_owner

    now = utcnow()
    sam = make_staff("sam@clinic.test", name="Sam")
    quiet = {"ago": timedelta(days=20)}
    mine = [make_lead(owner_id=me.id, **quiet) for _ in range(3)]
    make_lead(owner_id=sam.id, **quiet)
    make_lead(**quiet)  # nobody's
    make_lead(owner_id=me.id, ago=timedelta(days=2))  # worked on lately
    make_lead(owner_id=me.id, status="lost", **quiet)  # closed: never stale
    make_lead(owner_id=me.id, status="treated", **quiet)
    assert (count_stale(now, 7), count_stale(now, 7, me.id)) == (5, 3)

    # A merge closes the duplicate and is activity on the kept lead; an erased lead is unlisted.
    merge_leads(mine[0], mine[1], me)
    erase_lead(mine[2], me)
    db.session.commit()
    for days in (1, 7, 30):
        for owner in (None, me.id, sam.id):
            assert count_stale(now, days, owner) == _stale_by_reading(now, days, owner)
    assert (count_stale(now, 7), count_stale(now, 7, me.id)) == (2, 0)
    assert (count_stale(now, 1), count_stale(now, 1, me.id)) == (3, 1)
    for days in (1, 7):
        by_owner = count_stale_by_owner(now, days)
        assert by_owner[me.id] == count_stale(now, days, me.id)
        assert by_owner[sam.id] == count_stale(now, days, sam.id) == 1
        assert by_owner[None] == 1  # nobody's
        assert sum(by_owner.values()) == count_stale(now, days)


def test_speed_to_lead_is_kept_by_each_process_for_the_configured_time(app, me):
    now = datetime(2026, 3, 11, 18, 0, tzinfo=UTC)  # a Wednesday
    contacted = now - timedelta(minutes=30)
    app.config["CLINIC_SPEED_CACHE_SECONDS"] = 60
    make_lead(at=now - timedelta(minutes=40), first_contacted_at=contacted)
    first = today.speed_to_lead(now)
    make_lead(at=now - timedelta(minutes=20))
    assert today.speed_to_lead(now) == first  # worked out less than a minute ago
    app.config["CLINIC_SPEED_CACHE_SECONDS"] = 0
    again = today.speed_to_lead(now)
    assert (again.contacted, again.waiting) == (first.contacted, first.waiting + 1)


def test_the_gone_quiet_count_is_kept_by_each_process_for_the_configured_time(app, me):
    now = utcnow()
    make_lead(owner_id=me.id, ago=timedelta(days=20))
    app.config["CLINIC_STALE_COUNT_CACHE_SECONDS"] = 60
    assert today.gone_quiet(me.id, now, 7) == today.GoneQuiet(7, 1, 1)
    make_lead(owner_id=me.id, ago=timedelta(days=20))
    assert today.gone_quiet(me.id, now, 7).mine == 1  # counted less than a minute ago
    assert today.gone_quiet(me.id, now, 5).mine == 2  # another window: counted afresh
    app.config["CLINIC_STALE_COUNT_CACHE_SECONDS"] = 0
    assert today.gone_quiet(me.id, now, 7) == today.GoneQuiet(7, 2, 2)


def test_today_page_counts_leads_gone_quiet_with_links_to_them(app, client):
    user = me_signed_in(app, client)
    with app.app_context():
        colleague = make_staff("sam@clinic.test", name="Sam")
        for _ in range(2):
            make_lead(owner_id=user.id, ago=timedelta(days=40))
        make_lead(owner_id=colleague.id, ago=timedelta(days=40))
        make_lead(owner_id=user.id)  # fresh
    html = client.get("/staff/").get_data(as_text=True)
    section = html.split('id="quiet-title"', 1)[1].split("</section>", 1)[0]
    text = " ".join(section.split())
    mine = '2</span> <a class="stat__label" href="/staff/leads?owner=me&amp;view=stale">of mine'
    clinic = '3</span> <a class="stat__label" href="/staff/leads?view=stale">in the clinic'
    assert f'stat__value">{mine}' in text and f'stat__value">{clinic}' in text


def test_a_backlog_of_overdue_follow_ups_never_hides_todays(frozen_clock, app, client):
    user = me_signed_in(app, client)
    clinic_today = FROZEN_AT.date()
    with app.app_context():
        worked = {"owner_id": user.id, "status": "contacted"}
        for n in range(12):
            make_lead(f"Late {n:02}", follow_up_on=date(2024, 1, 1 + n), **worked)
        make_lead("Today Tara", follow_up_on=clinic_today, **worked)
        assert today.count_overdue(user.id, clinic_today) == 12
        assert today.count_due(user.id, clinic_today) == today.DueCount(12, 1)
        due = today.follow_ups_due(user.id, clinic_today, overdue_limit=3, today_limit=3)
        assert [lead.name for lead in due.overdue] == ["Late 00", "Late 01", "Late 02"]
        assert [lead.name for lead in due.today] == ["Today Tara"]
    html = client.get("/staff/").get_data(as_text=True)
    overdue, rest = html.split("Due today", 1)
    assert 'badge--danger">12</span>' in overdue and "The 10 overdue longest" in overdue
    assert "Late 09" in overdue and "Late 10" not in html
    assert "Today Tara" in rest
    assert "All my follow-ups due now (13)" in rest
    inbox_page = client.get("/staff/leads").get_data(as_text=True)
    line = inbox_page.split('<p class="due-first">', 1)[1].split("</p>", 1)[0]
    assert (
        '<a href="/staff/leads?owner=me&amp;view=due&amp;sort=follow_up">'
        "Your follow-ups due now: <strong>13</strong></a>"
    ) in line
    assert "12 overdue</span>, 1 due today)" in line
    assert "Late 00" not in inbox_page.split('aria-label="Whose leads"')[0]
