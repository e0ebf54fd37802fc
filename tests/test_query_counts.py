"""The pages coordinators open all day run a fixed number of queries, whatever a lead's history
or a page's size: no query per row (N+1) that would grow with a million leads."""

from __future__ import annotations

from datetime import date

from clinic.extensions import db
from clinic.leads import actions
from clinic.models import Lead
from tests.lead_helpers import StatementLog, make_lead, signed_in


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
