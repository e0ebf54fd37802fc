"""The reports benchmark's pages at 10,000 leads: each answers 200 with all its tables, once.

`bench/reports.py` times these same pages at a million leads; this keeps its page list and
checks in step with the app so the benchmark never silently times an error page.
"""

from __future__ import annotations

from bench.pages import BENCH_PASSWORD, COORDINATOR_EMAIL
from bench.reports import ReportPage, check, report_pages
from clinic import clock
from tests.staff_helpers import sign_in
from tests.test_bench_smoke import seeded  # noqa: F401 (the same seeded database, a fixture)


def test_every_report_page_answers_with_its_tables(app, client, seeded):  # noqa: F811
    assert sign_in(client, COORDINATOR_EMAIL, BENCH_PASSWORD).status_code == 302
    with app.app_context():
        page_list = report_pages(clock.today())
    assert len(page_list) == 42  # seven sections, each at three periods, all and lupus
    for page in page_list:
        response = client.get(page.path)
        problem = check(page, response.status_code, response.get_data(as_text=True))
        assert problem is None, problem


def test_the_check_catches_a_wrong_answer():
    page = ReportPage(
        "stages/30days/all", "stages", "30 days", None, "/staff/reports?section=stages",
        ("time_in_stage", "lost_reasons"),
    )  # fmt: skip
    assert check(page, 500, "") == "stages/30days/all: HTTP 500"
    only_one = '<section class="report" id="time_in_stage"><td>3</td>'
    assert check(page, 200, only_one) == "stages/30days/all: table lost_reasons is missing"
    both = only_one + '<section class="report" id="lost_reasons">'
    assert "No leads in this period" in check(page, 200, both + "No leads in this period.")
    assert check(page, 200, both) is None
