"""Report numbers against a hand-computed fixture, and the page: charts, tables, CSV.

Six leads in October 2026 (America/New_York, EDT; business hours Mon–Fri 09:00–17:00):

lead  written (local)   article                first contact       min  furthest stage
L1    Mon 5 Oct 10:00   /conditions/lupus      Mon 10:10 (status)  10   treated
L2    Mon 5 Oct 16:30   /conditions/lupus      Tue 09:30 (call)    60   consult booked; lost
L3    Sat 10 Oct 12:00  /conditions/copd       Mon 12 09:05 (call) 5    contacted; lost
L4    Wed 14 Oct 20:00  /faq                   Thu 09:20 (status)  20   consult booked
L5    Thu 15 Oct 09:00  /conditions/lupus      —                   —    new
L6    Fri 16 Oct 16:00  /conditions/lupus      Mon 19 10:00        120  contacted; not a candidate

Contacted waits sorted: 5, 10, 20, 60, 120 → median 20 min; p90 at position 3.6 → 60 + 0.6×60 = 96.
Round-robin owners: Ann gets L1, L3, L5 (10, 5 → median 7.5); Ben gets L2, L4, L6 (median 60).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import date, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError

from clinic import clock
from clinic.automation.intake import owner_for_new_lead
from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.intake import Attribution, InquiryData, record_inquiry
from clinic.models import Lead, StaffUser
from clinic.reports import charts, discipline, queries
from clinic.reports.facts import backfill
from clinic.reports.queries import ReportFilters
from clinic.reports.sql import tune_for_reports
from tests.staff_helpers import make_staff, sign_in

NY = ZoneInfo("America/New_York")
OCTOBER = "period=custom&date_from=2026-10-01&date_to=2026-10-31"


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY)


def _lead(n: int, at: datetime, article: str, campaign: str | None = None) -> Lead:
    return record_inquiry(
        InquiryData(
            name=f"Patient {n}",
            email=f"patient{n}@example.com",
            phone=None,
            condition_slug="lupus" if n != 3 else "copd",
            submitted_from=article,
            attribution=Attribution(
                utm_source="google" if campaign else None,
                utm_campaign=campaign,
                landing_page=f"{article}?utm_campaign={campaign}" if campaign else article,
            ),
        ),
        pick_owner=owner_for_new_lead,
        now=at,
    ).lead


@pytest.fixture
def october(app):
    """The six leads above, worked through the real pipeline actions; returns staff ids."""
    app.config["CLINIC_AUTO_ASSIGN"] = True
    with app.app_context():
        ann = make_staff("ann@clinic.test", name="Ann", role="coordinator")
        ben = make_staff("ben@clinic.test", name="Ben", role="coordinator")
        admin = make_staff("owner@clinic.test", name="Olivia Owner", role="admin")
        leads = [
            _lead(1, ny(2026, 10, 5, 10, 0), "/conditions/lupus", "autumn"),
            _lead(2, ny(2026, 10, 5, 16, 30), "/conditions/lupus", "autumn"),
            _lead(3, ny(2026, 10, 10, 12, 0), "/conditions/copd"),
            _lead(4, ny(2026, 10, 14, 20, 0), "/faq"),
            _lead(5, ny(2026, 10, 15, 9, 0), "/conditions/lupus", "autumn"),
            _lead(6, ny(2026, 10, 16, 16, 0), "/conditions/lupus"),
            _lead(7, ny(2026, 11, 5, 10, 0), "/faq"),  # outside October
        ]
        l1, l2, l3, l4, _, l6, _ = leads
        steps = [
            (l1, "contacted", ny(2026, 10, 5, 10, 10)),
            (l1, "consult_booked", ny(2026, 10, 7, 10, 0)),
            (l1, "consult_done", ny(2026, 10, 9, 10, 0)),
            (l1, "treatment_booked", ny(2026, 10, 12, 10, 0)),
            (l1, "treated", ny(2026, 10, 20, 10, 0)),
            (l4, "contacted", ny(2026, 10, 15, 9, 20)),
            (l4, "consult_booked", ny(2026, 10, 16, 11, 0)),
            (l6, "contacted", ny(2026, 10, 19, 10, 0)),
            (l6, "not_a_candidate", ny(2026, 10, 20, 10, 0)),
        ]
        for lead, status, at in steps:
            actions.change_status(lead, status, admin, now=at)
        actions.log_contact(l2, "call", "no_answer", admin, now=ny(2026, 10, 6, 9, 30))
        actions.log_contact(l2, "call", "reached", admin, now=ny(2026, 10, 6, 11, 0))
        actions.change_status(l2, "contacted", admin, now=ny(2026, 10, 6, 11, 0))
        actions.change_status(l2, "consult_booked", admin, now=ny(2026, 10, 7, 12, 0))
        actions.change_status(l2, "lost", admin, lost_reason="cost", now=ny(2026, 10, 20, 9, 0))
        actions.log_contact(l3, "call", "no_answer", admin, now=ny(2026, 10, 12, 9, 5))
        actions.log_contact(l3, "sms", "sent", admin, now=ny(2026, 10, 13, 10, 0))
        actions.change_status(l3, "contacted", admin, now=ny(2026, 10, 13, 10, 0))
        actions.change_status(
            l3, "lost", admin, lost_reason="unreachable", now=ny(2026, 10, 21, 10, 0)
        )
        db.session.commit()
        return {"ann": ann.id, "ben": ben.id, "admin": admin.id, "leads": [x.id for x in leads]}


def _filters(app) -> ReportFilters:
    with app.app_context():
        return ReportFilters(*clock.day_range(date(2026, 10, 1), date(2026, 10, 31)))


def test_funnel_counts_every_stage_reached_and_conversions(app, october):
    with app.app_context():
        funnels = queries.funnels(_filters(app))
        [row] = funnels[None]
        assert row.reached == [6, 5, 3, 1, 1, 1]
        assert [round(row.conversion(rank), 1) for rank in range(1, 6)] == [
            83.3,
            60.0,
            33.3,
            100.0,
            100.0,
        ]
        by_article = {r.key: r.reached for r in funnels["article"]}
        assert by_article == {
            "/conditions/lupus": [4, 3, 2, 1, 1, 1],
            "/conditions/copd": [1, 1, 0, 0, 0, 0],
            "/faq": [1, 1, 1, 0, 0, 0],
        }
        by_campaign = {r.key: r.leads for r in funnels["campaign"]}
        assert by_campaign == {"autumn": 3, None: 3}
        landing = {r.key: r.leads for r in funnels["landing_page"]}
        assert landing["/conditions/lupus"] == 4  # query strings don't split a page
        sources = {r.key: r.leads for r in funnels["source"]}
        assert sources == {"google": 3, "direct": 3}


def test_a_long_period_funnel_counts_the_same_and_leaves_the_planner_as_it_was(app, october):
    """Over more than a quarter PostgreSQL is told to group in index order for the funnel's
    query alone: the numbers are the same, and hashing is back on for what follows."""
    with app.app_context():
        tune_for_reports(db.session)
        year = ReportFilters(datetime(2026, 1, 1, tzinfo=NY), datetime(2027, 1, 1, tzinfo=NY))
        assert year.end - year.start > queries.LONG_PERIOD
        [row] = queries.funnels(year)[None]
        assert row.reached == [7, 5, 3, 1, 1, 1]  # October's six and November's new lead
        if db.engine.dialect.name == "postgresql":
            assert db.session.execute(text("SHOW enable_hashagg")).scalar_one() == "on"


def test_long_periods_count_volume_from_the_funnel_index_as_short_ones_do(app, october):
    """Past half a year, leads per condition (and one condition's hours) are read from
    ix_leads_funnel; the numbers equal those read from the period's range."""
    with app.app_context():
        year = ReportFilters(datetime(2026, 1, 1, tzinfo=NY), datetime(2027, 1, 1, tzinfo=NY))
        autumn = ReportFilters(datetime(2026, 10, 1, tzinfo=NY), datetime(2026, 12, 1, tzinfo=NY))
        assert queries.is_long(year) and not queries.is_long(autumn)
        by_condition = queries.volume_by_condition(year)
        assert by_condition == queries.volume_by_condition(autumn)
        assert sum(count for _, count in by_condition) == 7
        condition = db.session.get(Lead, october["leads"][0]).condition_slug
        hours = sorted(queries.hourly_counts(replace(year, condition=condition)))
        assert hours == sorted(queries.hourly_counts(replace(autumn, condition=condition)))
        assert sum(count for _, count in hours) == dict(by_condition)[condition] > 0


@pytest.mark.parametrize("condition", [None, "lupus"])
def test_only_the_funnel_query_can_read_the_funnel_index(app, condition):
    """SQLite refuses ``INDEXED BY`` a partial index that a query's WHERE does not imply, so
    this holds whatever the planner's statistics: the funnel's query can read ix_leads_funnel,
    and the inbox's query for one condition (which once read it, row by row) cannot."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("INDEXED BY is SQLite's")

        def plan(statement) -> str:
            compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
            forced = str(compiled).replace("FROM leads", "FROM leads INDEXED BY ix_leads_funnel")
            rows = db.session.execute(text(f"EXPLAIN QUERY PLAN {forced}")).all()
            return " ".join(row[-1] for row in rows)

        filters = ReportFilters(datetime(2026, 1, 1, tzinfo=NY), datetime(2027, 1, 1, tzinfo=NY))
        filters = replace(filters, condition=condition)
        assert "COVERING INDEX ix_leads_funnel" in plan(queries.funnel_counts(filters))
        inbox = select(Lead.id).where(Lead.condition_slug == "lupus", Lead.merged_into_id.is_(None))
        with pytest.raises(OperationalError, match="no query solution"):
            plan(inbox.order_by(Lead.created_at.desc()).limit(50))


def test_hourly_counts_walk_the_hour_index_in_its_order(app):
    """The hour expression of the volume query is the first column of ix_leads_created_hour
    (SQLite spelling), so SQLite groups the leads in the index's order, without sorting them;
    for one condition it may not walk that index (its leads are sought in ix_leads_funnel)."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("INDEXED BY is SQLite's")

        def plan(statement) -> str:
            compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
            forced = str(compiled).replace(
                "FROM leads", "FROM leads INDEXED BY ix_leads_created_hour"
            )
            rows = db.session.execute(text(f"EXPLAIN QUERY PLAN {forced}")).all()
            return " ".join(row[-1] for row in rows)

        year = ReportFilters(datetime(2026, 1, 1, tzinfo=NY), datetime(2027, 1, 1, tzinfo=NY))
        every = plan(queries.hourly_counts_query(year))
        assert "COVERING INDEX ix_leads_created_hour" in every
        assert "TEMP B-TREE" not in every
        lupus = plan(queries.hourly_counts_query(replace(year, condition="lupus")))
        assert "TEMP B-TREE FOR GROUP BY" in lupus


def test_long_periods_read_values_in_index_order_and_answer_as_short_ones(app, october):
    """Past half a year SQLite reads speed to lead, by article, time in stage and lost reasons
    from the indexes of migration 0015 that hold the values in order: the answers equal those
    of a two-month period holding the same leads, and no statement sorts (SQLite would say
    TEMP B-TREE) — the reads are what keeps three years of leads under half a second."""
    with app.app_context():
        year = ReportFilters(datetime(2026, 1, 1, tzinfo=NY), datetime(2027, 1, 1, tzinfo=NY))
        autumn = ReportFilters(datetime(2026, 10, 1, tzinfo=NY), datetime(2026, 12, 1, tzinfo=NY))
        calendar = clock.business_calendar()

        def answers(filters: ReportFilters) -> tuple:
            return (
                queries.speed_report(filters, calendar),
                queries.by_article(filters),
                discipline.time_in_stage(filters),
                discipline.lost_reasons(filters),
            )

        statements: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            long = answers(year)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        short = answers(autumn)
        assert long == short
        speed, _ = long[0]
        assert (speed.contacted, speed.spread.median) == (5, 20 * 60)
        assert set(long[2]) == {
            "new",
            "contacted",
            "consult_booked",
            "consult_done",
            "treatment_booked",
        }  # L1 went through every open stage
        assert sum(count for _, count in long[3]) == 2
        if db.engine.dialect.name != "sqlite":
            return
        read = " ".join(statement for statement, _ in statements)
        for index in (
            "ix_leads_owner_wait_order",
            "ix_leads_article_wait_order",
            "ix_lead_events_stay_order",
            "ix_leads_lost",
        ):
            assert f"INDEXED BY {index}" in read
        for statement, parameters in statements:
            plan = db.session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", tuple(parameters)
            )
            if "INDEXED BY" in statement and "lost_reason" not in statement:
                assert "TEMP B-TREE" not in " ".join(row[-1] for row in plan), statement


def test_speed_to_lead_median_p90_and_targets_in_business_time(app, october):
    with app.app_context():
        speed, by_owner = queries.speed_report(_filters(app), clock.business_calendar())
        assert (speed.leads, speed.contacted) == (6, 5)
        assert speed.spread.median == 20 * 60
        assert speed.spread.p90 == pytest.approx(96 * 60)
        assert (speed.within_15_minutes, speed.within_1_hour, speed.within_1_day) == (2, 4, 5)
        people = {row.owner_name: row for row in by_owner}
        assert people["Ann"].leads == 3
        assert people["Ann"].spread.median == 7.5 * 60
        assert people["Ben"].spread.median == 60 * 60
        assert people["Ben"].spread.p90 == pytest.approx(108 * 60)


def test_by_article_answers_which_article_books_consults_and_how_fast(app, october):
    with app.app_context():
        rows = queries.by_article(_filters(app))
        summary = [(r.article, r.leads, r.consults_booked, r.spread.median) for r in rows]
        assert summary == [
            ("/conditions/lupus", 4, 2, 60 * 60),
            ("/faq", 1, 1, 20 * 60),
            ("/conditions/copd", 1, 0, 5 * 60),
        ]


def test_follow_up_discipline_and_stage_times(app, october):
    with app.app_context():
        attempts = discipline.attempts_before_reach(_filters(app))
        assert attempts.reached_after == {1: 1}
        assert attempts.not_reached == 1
        stays = discipline.time_in_stage(_filters(app))
        # Left `new` after 10 min, 13 h 20, 18 h 30, 45 h 05 and 66 h: median 18.5 hours.
        assert stays["new"].count == 5
        assert stays["new"].median == pytest.approx(18.5 / 24)
        # L1 went on to the consult, L2 was lost from it; L4 is still booked (not counted).
        assert stays["consult_booked"].count == 2
        assert discipline.lost_reasons(_filters(app)) == [("cost", 1), ("unreachable", 1)]


def test_volume_by_week_condition_and_hour_in_clinic_time(app, october):
    with app.app_context():
        grid = queries.weekday_hour_volume(_filters(app))
        cells = {(d, h): n for d in range(7) for h in range(24) if (n := grid[d][h])}
        assert cells == {(0, 10): 1, (0, 16): 1, (5, 12): 1, (2, 20): 1, (3, 9): 1, (4, 16): 1}
        weeks = dict(queries.weekly_volume(date(2026, 11, 8), weeks=6))
        assert weeks[date(2026, 10, 5)] == 3  # Mon 5, Mon 5, Sat 10
        assert weeks[date(2026, 10, 12)] == 3
        assert weeks[date(2026, 11, 2)] == 1  # the November lead, after the DST change
        assert sum(weeks.values()) == 7
        assert queries.volume_by_condition(_filters(app)) == [("lupus", 5), ("copd", 1)]


def test_volume_hours_follow_daylight_saving(app):
    with app.app_context():
        _lead(1, ny(2026, 10, 28, 9, 30), "/faq")  # EDT, 13:30 UTC
        _lead(2, ny(2026, 11, 4, 9, 30), "/faq")  # EST, 14:30 UTC
        filters = ReportFilters(*clock.day_range(date(2026, 10, 1), date(2026, 11, 30)))
        grid = queries.weekday_hour_volume(filters)
        assert grid[2][9] == 2


def test_workload_counts_stale_and_overdue_per_coordinator(app, october):
    with app.app_context():
        now = ny(2026, 11, 30, 12, 0)
        lead5 = db.session.get(Lead, october["leads"][4])  # Ann's, untouched since 15 Oct
        lead5.follow_up_on = date(2026, 11, 20)
        lead4 = db.session.get(Lead, october["leads"][3])  # Ben's, consult booked
        lead4.follow_up_on = date(2026, 11, 30)
        db.session.commit()
        rows = {r.owner_name: r for r in discipline.workload_by_owner(now, now.date(), 7, None)}
        # Ann's open leads L5 (15 Oct) and L7 (5 Nov) are quiet; Ben's L4 (16 Oct) too.
        assert (rows["Ann"].stale, rows["Ann"].overdue, rows["Ann"].due_today) == (2, 1, 0)
        assert (rows["Ben"].stale, rows["Ben"].overdue, rows["Ben"].due_today) == (1, 0, 1)


def test_backfill_rebuilds_the_facts_from_history(app, october):
    with app.app_context():
        db.session.execute(
            update(Lead).values(
                furthest_stage=0,
                business_seconds_to_contact=None,
                first_article=None,
                first_landing_page=None,
                first_campaign=None,
            )
        )
        db.session.commit()
        report = backfill(clock.business_calendar())
        assert report.speeds == 5
        assert report.attributions == 7
        [row] = queries.funnels(_filters(app))[None]
        assert row.reached == [6, 5, 3, 1, 1, 1]
        speed, _ = queries.speed_report(_filters(app), clock.business_calendar())
        assert speed.spread.median == 1200


class _Tables(HTMLParser):
    """The cells of every table on a page, by table id (the section's id)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.section = ""
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and attrs.get("class") == "report":
            self.section = attrs["id"]
            self.tables[self.section] = []
        elif tag == "tr" and self.section:
            self.tables[self.section].append([])
        elif tag in ("td", "th") and self.section:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[self.section][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _signed_in(client, email="owner@clinic.test"):
    assert sign_in(client, email).status_code == 302


def test_article_page_has_charts_tables_and_matching_csv(app, client, october):
    _signed_in(client)
    page = client.get(f"/staff/reports?section=articles&{OCTOBER}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'role="img"' in html
    assert re.search(
        r'<svg class="chart__svg" role="img"[^>]*><title id="chart-articles-title">', html
    )
    # every chart is followed by its data table
    for chart in re.finditer(r"</svg></figure>", html):
        assert html[chart.end() :].lstrip().startswith('<div class="table-scroll"')
    parser = _Tables()
    parser.feed(html)
    table = parser.tables["by_article"]
    assert table[0] == [
        "Article",
        "Leads",
        "Consults booked",
        "Lead → consult",
        "Median speed to lead",
    ]
    assert table[1][0].endswith("(/conditions/lupus)")
    assert table[1][1:] == ["4", "2", "50.0%", "1 h 00 min"]
    assert table[2][1:] == ["1", "1", "100.0%", "20 min"]
    download = client.get(f"/staff/reports?{OCTOBER}&format=csv&report=by_article")
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == table


@pytest.mark.parametrize(
    ("section", "tables"),
    [
        ("funnel", ["funnel", "funnel_by_condition", "funnel_by_article", "funnel_by_campaign"]),
        ("speed", ["speed", "speed_by_coordinator"]),
        ("volume", ["volume_weekly", "volume_by_condition", "volume_by_hour"]),
        ("follow_up", ["attempts_before_reach", "follow_up_by_coordinator"]),
        ("stages", ["time_in_stage", "lost_reasons"]),
    ],
)
def test_every_section_csv_matches_its_table(app, client, october, section, tables):
    _signed_in(client, "ann@clinic.test")  # any staff member may read reports
    html = client.get(f"/staff/reports?section={section}&{OCTOBER}").get_data(as_text=True)
    parser = _Tables()
    parser.feed(html)
    for name in tables:
        download = client.get(f"/staff/reports?{OCTOBER}&format=csv&report={name}")
        rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows == parser.tables[name], name


def test_speed_section_shows_the_hand_computed_numbers(app, client, october):
    _signed_in(client)
    html = client.get(f"/staff/reports?section=speed&{OCTOBER}").get_data(as_text=True)
    parser = _Tables()
    parser.feed(html)
    speed = dict(parser.tables["speed"][1:])
    assert speed["Median time to first contact"] == "20 min"
    assert speed["90th percentile"] == "1 h 36 min"
    assert speed["Within 15 minutes"] == "2 (33.3%)"
    assert speed["Within 1 business day"] == "5 (83.3%)"


def test_presets_condition_filter_and_bad_dates(frozen_clock, app, client, october):
    """Presets count back from the clinic's today (the frozen clock's Wednesday 9 December
    2026); a condition narrows the period asked for; what can't be used falls back to the last
    30 days and says why."""
    _signed_in(client)
    html = client.get("/staff/reports?period=last_quarter").get_data(as_text=True)
    assert "Q3 2026 (1 July 2026 to 30 September 2026)" in html
    assert ">Last 30 days</a>" in html and ">This year</a>" in html
    this_year = client.get("/staff/reports?period=this_year").get_data(as_text=True)
    assert "This year (2026) (1 January 2026 to 9 December 2026)" in this_year

    only = client.get(f"/staff/reports?section=funnel&{OCTOBER}&condition=copd")
    only_html = only.get_data(as_text=True)
    assert "(1 October 2026 to 31 October 2026) · COPD" in only_html
    parser = _Tables()
    parser.feed(only_html)
    assert parser.tables["funnel"][1] == ["New", "1", "—", "100.0%"]
    assert parser.tables["funnel"][2][:2] == ["Contacted", "1"]
    everyone = _Tables()
    everyone.feed(client.get(f"/staff/reports?section=funnel&{OCTOBER}").get_data(as_text=True))
    assert everyone.tables["funnel"][1][:2] == ["New", "6"]

    fallback = "Last 30 days (10 November 2026 to 9 December 2026)"
    unknown_condition = client.get(f"/staff/reports?{OCTOBER}&condition=psoriasis")
    assert "Condition: Not a valid choice" in unknown_condition.get_data(as_text=True)
    assert fallback in unknown_condition.get_data(as_text=True)
    bad = client.get("/staff/reports?period=custom&date_from=2026-10-31&date_to=2026-10-01")
    assert bad.status_code == 200
    assert "The end date is before the start date" in bad.get_data(as_text=True)
    assert fallback in bad.get_data(as_text=True)
    unreadable = client.get("/staff/reports?period=custom&date_from=31/10/2026")
    assert "From: Not a valid date value" in unreadable.get_data(as_text=True)
    unknown = client.get("/staff/reports?period=quarter").get_data(as_text=True)
    assert "Period: Not a valid choice" in unknown and fallback in unknown
    assert client.get("/staff/reports?format=csv&report=nonsense").status_code == 404


def test_a_table_without_rows_says_why_instead_of_drawing_bare_axes(app, client, october):
    """November holds one new lead and no lost one: the lost reasons say so in words, with no
    chart of nothing; October's lost leads still get their chart."""
    _signed_in(client)
    november = "period=custom&date_from=2026-11-01&date_to=2026-11-30"
    html = client.get(f"/staff/reports?section=stages&{november}").get_data(as_text=True)
    assert "No lead of the period was marked lost." in html
    assert 'id="chart-lost-title"' not in html
    assert 'id="chart-stage-title"' in html
    parser = _Tables()
    parser.feed(html)
    assert parser.tables["lost_reasons"][1:] == [["No lead of the period was marked lost."]]
    october_html = client.get(f"/staff/reports?section=stages&{OCTOBER}").get_data(as_text=True)
    assert 'id="chart-lost-title"' in october_html


def test_reports_need_sign_in(client):
    response = client.get("/staff/reports")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_automatic_assignments_are_on_the_timeline_as_system(app, october):
    with app.app_context():
        owners = db.session.execute(
            select(Lead.owner_id).where(Lead.id.in_(october["leads"])).order_by(Lead.id)
        ).scalars()
        assert list(owners) == [october["ann"], october["ben"]] * 3 + [october["ann"]]
        assert db.session.get(StaffUser, october["ann"]).name == "Ann"


def test_backfill_command_reports_what_it_filled(app, runner, october):
    with app.app_context():
        db.session.execute(update(Lead).values(business_seconds_to_contact=None))
        db.session.commit()
    result = runner.invoke(args=["reports", "backfill"])
    assert result.exit_code == 0, result.output
    assert "5 speeds computed" in result.output
    app.config["CLINIC_BUSINESS_HOURS"] = "9am-5pm"
    refused = runner.invoke(args=["reports", "backfill"])
    assert refused.exit_code != 0
    assert "CLINIC_BUSINESS_HOURS" in refused.output


@pytest.mark.parametrize("rows", [1, 2, 8])
def test_a_bar_charts_axis_name_fits_however_few_the_bars(rows):
    """The category axis's name runs up the left edge of the chart; with a bar or two it was
    taller than the chart and its top was cut off ("Coordinato")."""
    svg = str(
        charts.bar_chart(
            "c",
            "Overdue follow-ups",
            "Per coordinator",
            [(f"Coordinator {n}", n + 1) for n in range(rows)],
            value_axis="Overdue follow-ups",
            category_axis="Coordinator",
        )
    )
    height = float(re.search(r'viewBox="0 0 \d+ ([\d.]+)"', svg).group(1))
    middle = float(re.search(r'<text class="chart__axis-label" x="12.0" y="([\d.]+)"', svg)[1])
    half_name = 13 * 0.6 * len("Coordinator") / 2  # 13 px text, at most 0.6 em a letter
    assert middle - half_name >= 0 and middle + half_name <= height


def test_a_bar_without_a_value_is_a_dash_not_a_bar_of_nothing():
    """A coordinator who has contacted nobody has no median: the chart says so as the table
    does, instead of drawing a bar of 0 minutes that reads as the fastest."""
    svg = str(
        charts.bar_chart(
            "c",
            "Median speed to lead by coordinator",
            "Per coordinator",
            [("Ann", 7.5), ("Unassigned", None)],
            value_axis="Business minutes (median)",
            category_axis="Coordinator",
        )
    )
    assert svg.count('<rect class="chart__bar"') == 1
    values = re.findall(r'<text class="chart__value"[^>]*>([^<]*)</text>', svg)
    assert values == ["7.5", charts.NO_VALUE]
