"""The pages coordinators open all day run a fixed number of queries, whatever a lead's history
or a page's size: no query per row (N+1) that would grow with a million leads."""

from __future__ import annotations

import re
from datetime import date

from clinic.extensions import db
from clinic.leads import actions
from clinic.models import Lead
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
        db.session.commit()
        long = long.id
    few = statements_for(app, client, f"/staff/leads/{short}")
    many = statements_for(app, client, f"/staff/leads/{long}")
    assert len(few) == len(many) <= 14, many
    assert sum("FROM lead_events" in s for s in many) == 1
    assert sum("FROM inquiries" in s for s in many) == 1


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


def test_an_inquiry_costs_the_same_whoever_sends_it(app, client):
    """A new person, a possible same person and a returning one: a fixed handful of statements
    each, and the returning person's lead is updated only in its counts and preferences, never
    in who it is (clinic.leads.identity)."""
    app.config["CLINIC_AUTO_ASSIGN"] = True
    with app.app_context():
        coordinator = make_staff("casey@clinic.test")
        make_lead("Ana Lima", email="ana@example.com", phone="(212) 555-0142",
                  owner_id=coordinator.id)  # fmt: skip
    # The first inquiry writes the assignment turn's row; every later one updates it.
    inquiry_statements(app, client, email="first@example.com", phone="(212) 555-0111")
    new = inquiry_statements(app, client, email="new@example.com", phone="(212) 555-0100")
    possible = inquiry_statements(app, client, email="m@example.com", phone="(212) 555-0142")
    returning = inquiry_statements(app, client, email="ana@example.com", phone="(212) 555-0142")

    assert possible == new  # the mark is a value in the lead's insert, nothing more
    assert len(new) <= 15, new
    assert len(returning) <= len(new), returning
    [join] = [s for s in returning if s.startswith("UPDATE leads")]
    changed = set(re.findall(r"(\w+)=", join.split(" WHERE ")[0]))
    assert changed == {
        "updated_at", "inquiry_count", "last_inquiry_at", "last_activity_at",
        "preferred_contact", "best_time", "payment",
    }  # fmt: skip
