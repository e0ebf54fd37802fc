"""The benchmark's pages at 10,000 leads: each answers 200 with the rows it should, once.

`bench/run.py` times these same pages at a million leads; this keeps its page list, facts and
checks in step with the app so the benchmark never silently times an error page.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.pages import BENCH_PASSWORD, COORDINATOR_EMAIL, Facts, check, gather_facts, pages
from clinic.extensions import db
from clinic.models import StaffUser
from clinic.staff import accounts
from tests.staff_helpers import sign_in


@pytest.fixture
def seeded(app, runner):
    result = runner.invoke(args=["demo", "seed", "--leads", "10000", "--workers", "0"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(
            select(StaffUser).where(StaffUser.email == COORDINATOR_EMAIL)
        ).scalar_one()
        accounts.set_password(user, BENCH_PASSWORD)
        db.session.commit()
        facts = gather_facts()
    return facts


def test_every_benchmark_page_answers_with_its_rows(app, client, seeded):
    assert sign_in(client, COORDINATOR_EMAIL, BENCH_PASSWORD).status_code == 302
    checked = []
    for page in pages(seeded):
        response = client.get(page.path)
        problem = check(page, response.status_code, response.get_data(as_text=True))
        assert problem is None, problem
        checked.append(page.key)
    assert len(checked) == 19
    assert {"inbox", "search_phone_dotted", "search_message", "lead", "home", "inquire"} <= set(
        checked
    )


def test_the_checks_catch_a_wrong_answer():
    facts = Facts(
        coordinator_id=1,
        record_id=2,
        record_events=5,
        target_id=3,
        phone="+12125550142",
        email_fragment="nunez12345",
        name_accented="Zoë Núñez",
        name_plain="zoe nunez",
        message_word="insurance",
        deep={"status": "1_1", "condition": "1_1", "owner": "1_1"},
    )
    page = next(p for p in pages(facts) if p.key == "search_phone_dotted")
    assert page.path == "/staff/leads?q=212.555.0142"
    assert check(page, 500, "") == "search_phone_dotted: HTTP 500"
    assert "expected at least 1" in check(page, 200, "<p>No leads match.</p>")
    wrong = '<tr class="lead-row"><a href="/staff/leads/1">Someone else</a></tr>'
    assert check(page, 200, wrong) == "search_phone_dotted: lead 3 is not on the page"
    right = '<tr class="lead-row"><a href="/staff/leads/3">Zoë Núñez</a></tr>'
    assert check(page, 200, right) is None
    record = next(p for p in pages(facts) if p.key == "lead")
    assert "expected at least 5" in check(record, 200, '<div class="timeline__entry x">' * 4)
    assert check(record, 200, '<div class="timeline__entry x">' * 5) is None
    home = next(p for p in pages(facts) if p.key == "home")
    speed_only = '<h2 id="speed-title">Speed to lead</h2>'
    assert check(home, 200, speed_only) == "home: no 'id=\"my-new-title\"' on the page"
    sections = ('id="my-new-title"', 'id="follow-ups-title"', 'id="appointments-title"')
    assert check(home, 200, speed_only + "".join(sections)) is None
