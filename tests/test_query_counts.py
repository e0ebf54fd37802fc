"""The pages coordinators open all day run a fixed number of queries, whatever a lead's history
or a page's size: no query per row (N+1) that would grow with a million leads."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.appointments import AppointmentDetails, book_appointment
from clinic.models import Lead, WebhookEndpoint
from tests.conftest import csrf_token_from, form_token_from, valid_inquiry
from tests.lead_helpers import StatementLog, make_lead, signed_in
from tests.staff_helpers import make_staff


def statements_for(app, client, path: str) -> list[str]:
    with app.app_context():
        engine = db.engine
    with StatementLog(engine) as log:
        assert client.get(path).status_code == 200
    return log.statements


def test_lead_record_queries_do_not_grow_with_its_timeline(app, client):
    user = signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        short = make_lead("Short History").id
        long = make_lead("Long History")
        for n in range(30):
            actions.add_note(long, f"Note {n}", user)
            actions.log_contact(long, "call", "no_answer", user)
        actions.assign_owner(long, user, user)
        actions.set_follow_up(long, date(2030, 1, 1), user)
        for day in (1, 2, 3):
            consultation = AppointmentDetails(
                starts_at=datetime(2030, 1, day, 15, tzinfo=UTC), duration_minutes=30,
                kind="video", host_id=user.id,
            )  # fmt: skip
            book_appointment(long, consultation, user)
        db.session.commit()
        long = long.id
    few = statements_for(app, client, f"/staff/leads/{short}")
    many = statements_for(app, client, f"/staff/leads/{long}")
    assert len(few) == len(many) <= 14, many
    assert sum("FROM lead_events" in s for s in many) == 1
    assert sum("FROM inquiries" in s for s in many) == 1
    assert sum("FROM appointments" in s for s in many) == 1


def test_a_searched_inbox_page_queries_do_not_grow_with_the_page(app, client):
    signed_in(app, client, "casey@clinic.test")
    counts = []
    for total in (2, 40):
        with app.app_context():
            for n in range(total):
                make_lead(f"Maria Number {n}", message="Question about insurance")
        statements = statements_for(app, client, "/staff/leads?q=maria")
        counts.append(len(statements))
        # The matching ids once, the page once, the tab counts once.
        assert sum("FROM leads" in s for s in statements) <= 3, statements
        # Plus one INSERT (the audit row: who saw which leads), in a transaction of its own
        # (a BEGIN on SQLite), and no read for it.
        writes = [s for s in statements if not s.startswith(("SELECT", "BEGIN"))]
        assert len(writes) == 1 and writes[0].startswith("INSERT INTO audit_entries"), writes
        assert not any("FROM audit_entries" in s for s in statements)
    assert counts[0] == counts[1]


def test_the_today_page_queries_do_not_grow_with_the_leads_shown(app, client):
    user = signed_in(app, client, "casey@clinic.test")
    counts = []
    for total in (1, 30):
        with app.app_context():
            for _ in range(total):
                lead = make_lead(owner_id=user.id, follow_up_on=date(2020, 1, 1))
                make_lead()  # new and unassigned
                assert db.session.get(Lead, lead.id).owner_id == user.id
        counts.append(len(statements_for(app, client, "/staff/")))
    assert counts[0] == counts[1]


_WRITE = re.compile(r"^(INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)")
_READ = re.compile(r"\bFROM\s+(\w+)")


def shapes(statements: list[str]) -> list[tuple[str, str]]:
    """Each statement as (verb, main table), so a changed list reads as what changed."""
    found = []
    for statement in statements:
        statement = statement.lstrip()
        if write := _WRITE.match(statement):
            found.append((write[1].split()[0], write[2]))
        else:
            read = _READ.search(statement)
            found.append((statement.split()[0].upper(), read[1] if read else ""))
    return found


def inquiry_statements(app, client, **overrides) -> list[str]:
    """The statements one POST of the inquiry form sends, the form loaded first as a browser
    would."""
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(
        csrf_token=csrf_token_from(html), form_token=form_token_from(html), **overrides
    )
    with app.app_context():
        engine = db.engine
    with StatementLog(engine) as log:
        assert client.post("/inquire", data=data).status_code == 303
    # Leave out what differs by database: SQLite's BEGIN, PostgreSQL's advisory locks.
    return [s for s in log.statements if not s.startswith("BEGIN") and "advisory" not in s]


@pytest.fixture
def clinic_with_everything_on(app):
    """Automatic assignment, staff notification, acknowledgement and a webhook all on, so an
    inquiry runs every statement it can; Ana Lima is a known person."""
    app.config.update(
        CLINIC_AUTO_ASSIGN=True,
        CLINIC_NOTIFY_EMAILS=["coordinators@clinic.test"],
        CLINIC_SEND_ACKNOWLEDGEMENT=True,
    )
    with app.app_context():
        coordinator = make_staff("casey@clinic.test")
        db.session.add(
            WebhookEndpoint(name="CRM", url="https://crm.example.com/hook", secret="s" * 32,
                            events="lead.created")
        )  # fmt: skip
        make_lead("Ana Lima", email="ana@example.com", phone="(212) 555-0142",
                  owner_id=coordinator.id)  # fmt: skip
        db.session.commit()
    return app


def test_an_inquiry_costs_the_same_whoever_sends_it(clinic_with_everything_on, client):
    """A new person, a possible same person and a returning one: a fixed list of statements
    each, and the returning person's lead is updated only in its counts and preferences, never
    in who it is (clinic.leads.identity)."""
    app = clinic_with_everything_on
    # The first inquiry writes the assignment turn's row; every later one updates it.
    inquiry_statements(app, client, email="first@example.com", phone="(212) 555-0111")
    new = inquiry_statements(app, client, email="new@example.com", phone="(212) 555-0100")
    possible = inquiry_statements(app, client, email="m@example.com", phone="(212) 555-0142")
    returning = inquiry_statements(app, client, email="ana@example.com", phone="(212) 555-0142")

    assert shapes(new) == NEW_INQUIRY, shapes(new)
    assert possible == new  # the mark is a value in the lead's insert, nothing more
    assert shapes(returning) == RETURNING_INQUIRY, shapes(returning)
    # The reference the thanks page gives is a value in the inquiry's own insert, nothing more.
    for statements in (new, returning):
        [insert] = [s for s in statements if s.startswith("INSERT INTO inquiries")]
        assert "reference" in insert.split(" VALUES ")[0], insert
    [join] = [s for s in returning if s.startswith("UPDATE leads")]
    changed = set(re.findall(r"(\w+)=", join.split(" WHERE ")[0]))
    assert changed == {
        "updated_at", "inquiry_count", "last_inquiry_at", "last_activity_at",
        "preferred_contact", "best_time", "payment",
    }  # fmt: skip


def test_the_inbox_default_page_runs_these_statements(app, client):
    """The page coordinators open most (their own leads, and how many of their follow-ups are
    due): once its caches are warm, a fixed list whatever the page holds."""
    user = signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        for n in range(3):
            make_lead(f"Maria Number {n}", owner_id=user.id, follow_up_on=date(2020, 1, n + 1))
    statements_for(app, client, "/staff/leads")  # the first request fills the caches
    warm = [s for s in statements_for(app, client, "/staff/leads") if not s.startswith("BEGIN")]
    assert shapes(warm) == INBOX_DEFAULT_PAGE, shapes(warm)


# Set from a run of the tests above after the intake refactor; a diff says what changed.
NEW_INQUIRY = [
    ("SELECT", "articles"),
    ("SELECT", "inquiries"),
    ("SELECT", "leads"),
    ("SELECT", "assignment_rules"),
    ("SELECT", "staff_users"),
    ("SELECT", "assignment_cursors"),
    ("UPDATE", "assignment_cursors"),
    ("INSERT", "leads"),
    ("INSERT", "lead_counts"),
    ("INSERT", "inquiries"),
    ("INSERT", "lead_events"),
    ("DELETE", "search_messages"),
    ("INSERT", "search_messages"),
    ("INSERT", "lead_events"),
    ("SELECT", "outbox_messages"),
    # Whether any time is free to book: the acknowledgement offers the booking link only then.
    ("SELECT", "weekly_hours"),
    ("SELECT", "availability_exceptions"),
    ("INSERT", "outbox_messages"),
    ("INSERT", "outbox_messages"),
    ("SELECT", "webhook_endpoints"),
    ("SELECT", "leads"),
    ("SELECT", "webhook_endpoints"),
    ("INSERT", "outbox_messages"),
]
RETURNING_INQUIRY = [
    ("SELECT", "articles"),
    ("SELECT", "inquiries"),
    ("SELECT", "leads"),
    ("UPDATE", "leads"),
    ("INSERT", "inquiries"),
    ("INSERT", "lead_events"),
    ("DELETE", "search_messages"),
    ("INSERT", "search_messages"),
    ("SELECT", "outbox_messages"),
    ("SELECT", "weekly_hours"),
    ("SELECT", "availability_exceptions"),
    ("INSERT", "outbox_messages"),
    ("INSERT", "outbox_messages"),
    ("SELECT", "staff_users"),
    ("SELECT", "leads"),
    ("SELECT", "staff_users"),
]
INBOX_DEFAULT_PAGE = [
    ("SELECT", "staff_users"),
    ("SELECT", "leads"),  # the page
    ("SELECT", "lead_counts"),
    ("SELECT", "leads"),  # how many of the coordinator's follow-ups are due
    ("SELECT", "staff_users"),
    ("SELECT", "articles"),
    ("SELECT", "appointments"),  # the page's booked consultations
    ("INSERT", "audit_entries"),
]
