"""Report sections as tables (each optionally drawn as a chart): what the page shows, and
exactly what each CSV download contains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from markupsafe import Markup
from sqlalchemy import select

from clinic.clock import BusinessCalendar
from clinic.extensions import db
from clinic.leads.pipeline import FUNNEL_STAGES, LOST_REASONS, OPEN_STATUSES, STATUS_LABELS
from clinic.models import Article
from clinic.reports import charts, discipline, queries
from clinic.reports.queries import ReportFilters
from clinic.reports.sql import tune_for_reports
from clinic.reports.stats import Spread

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CHART_ROWS = 10
NONE_LABEL = "(none recorded)"


@dataclass
class ReportTable:
    """One table of a report; ``chart`` (if any) draws the same numbers."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    chart: Markup | None = None
    note: str = ""
    empty: str = "No leads in this period."  # what the table says when it has no rows


@dataclass
class ReportContext:
    filters: ReportFilters
    calendar: BusinessCalendar
    now: datetime
    today: date
    stale_days: int
    condition_names: dict[str, str] = field(default_factory=dict)
    article_titles: dict[str, str] = field(default_factory=dict)

    def condition(self, slug: str | None) -> str:
        return self.condition_names.get(slug or "", slug or NONE_LABEL)

    def article(self, path: str | None) -> str:
        if not path:
            return NONE_LABEL
        title = self.article_titles.get(path)
        return f"{title} ({path})" if title else path


def article_titles() -> dict[str, str]:
    """Every educational page's title by path, for naming the articles leads first read."""
    return {
        article.path: article.title for article in db.session.execute(select(Article)).scalars()
    }


def duration(seconds: float | None) -> str:
    """Business time in words a coordinator reads at a glance: '12 min', '3 h 05 min'."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} days"


def _funnel_overall(row: queries.FunnelRow) -> ReportTable:
    rows = []
    for rank, status in enumerate(FUNNEL_STAGES):
        share = 100.0 * row.reached[rank] / row.leads if row.leads else None
        step = row.conversion(rank) if rank else None
        rows.append([STATUS_LABELS[status], str(row.reached[rank]), percent(step), percent(share)])
    chart = charts.bar_chart(
        "chart-funnel",
        "Funnel: leads reaching each stage",
        f"{row.leads} leads; each bar counts the leads that reached the stage or a later one.",
        [(STATUS_LABELS[status], row.reached[rank]) for rank, status in enumerate(FUNNEL_STAGES)],
        value_axis="Leads",
        category_axis="Stage",
    )
    return ReportTable(
        "funnel",
        "Funnel",
        ["Stage", "Leads reaching it", "Conversion from previous stage", "Share of all leads"],
        rows,
        chart,
        "A lead counts for a stage if it ever reached that stage or a later one.",
    )


BREAKDOWN_TITLES = {
    "condition": "Condition",
    "source": "Source",
    "campaign": "Campaign (utm_campaign)",
    "article": "Article the form was sent from",
    "landing_page": "Landing page",
}


def _funnel_by(ctx: ReportContext, by: str, funnel: list[queries.FunnelRow]) -> ReportTable:
    label: Callable[[str | None], str] = {
        "condition": ctx.condition,
        "article": ctx.article,
    }.get(by, lambda key: key or NONE_LABEL)
    rows = []
    for row in funnel:
        booked = queries.CONSULT_BOOKED
        to_booked = 100.0 * row.reached[booked] / row.leads if row.leads else None
        to_treated = 100.0 * row.reached[-1] / row.reached[booked] if row.reached[booked] else None
        rows.append(
            [label(row.key), *(str(count) for count in row.reached)]
            + [percent(to_booked), percent(to_treated)]
        )
    headers = [BREAKDOWN_TITLES[by], "Leads"] + [STATUS_LABELS[s] for s in FUNNEL_STAGES[1:]]
    return ReportTable(
        f"funnel_by_{by}",
        f"Funnel by {BREAKDOWN_TITLES[by].lower()}",
        headers + ["Lead → consult booked", "Consult booked → treated"],
        rows,
    )


def funnel_section(ctx: ReportContext) -> list[ReportTable]:
    funnels = queries.funnels(ctx.filters)
    [overall] = funnels[None]
    return [_funnel_overall(overall)] + [
        _funnel_by(ctx, by, funnels[by]) for by in queries.BREAKDOWNS
    ]


def speed_section(ctx: ReportContext) -> list[ReportTable]:
    summary, people = queries.speed_report(ctx.filters, ctx.calendar)
    waiting = summary.leads - summary.contacted
    targets = [
        ("Within 15 minutes", summary.within_15_minutes),
        ("Within 1 hour", summary.within_1_hour),
        ("Within 1 business day", summary.within_1_day),
    ]
    rows = [
        ["Leads in the period", str(summary.leads)],
        ["Contacted", str(summary.contacted)],
        ["Not contacted yet", str(waiting)],
        ["Median time to first contact", duration(summary.spread.median)],
        ["90th percentile", duration(summary.spread.p90)],
    ] + [[name, f"{count} ({percent(summary.share(count))})"] for name, count in targets]
    chart = charts.bar_chart(
        "chart-speed",
        "Share of leads contacted within each target",
        "Percent of the period's leads first contacted within 15 minutes, 1 hour and "
        "1 business day, counted in clinic business hours.",
        [(name, summary.share(count) or 0.0) for name, count in targets],
        value_axis="Percent of leads",
        category_axis="Target",
        value_text=lambda value: f"{value:.1f}%",
    )
    overall = ReportTable(
        "speed",
        "Speed to lead",
        ["Measure", "Value"],
        rows,
        chart,
        "Time from the first inquiry to the first contact, counted in clinic business hours.",
    )
    by_owner = ReportTable(
        "speed_by_coordinator",
        "Speed to lead by coordinator",
        ["Coordinator", "Leads", "Contacted", "Median", "90th percentile"],
        [
            [
                row.owner_name,
                str(row.leads),
                str(row.spread.count),
                duration(row.spread.median),
                duration(row.spread.p90),
            ]
            for row in people
        ],
        charts.bar_chart(
            "chart-speed-owner",
            "Median speed to lead by coordinator",
            "Median business minutes from first inquiry to first contact, per coordinator.",
            [(row.owner_name, _minutes(row.spread.median)) for row in people][:CHART_ROWS],
            value_axis="Business minutes (median)",
            category_axis="Coordinator",
            value_text=lambda value: duration(value * 60),
        ),
    )
    return [overall, by_owner]


def volume_section(ctx: ReportContext) -> list[ReportTable]:
    hours = queries.volume_hours(ctx.filters, ctx.today)
    weeks = queries.weekly_volume(ctx.today, condition=ctx.filters.condition, hours=hours)
    weekly = ReportTable(
        "volume_weekly",
        "New leads per week, last 52 weeks",
        ["Week starting", "New leads"],
        [[f"{monday:%-d %b %Y}", str(count)] for monday, count in weeks],
        charts.column_chart(
            "chart-volume-weekly",
            "New leads per week over the last year",
            f"{sum(count for _, count in weeks)} new leads in 52 weeks; weeks start on Monday.",
            [(f"{monday:%-d %b}", count) for monday, count in weeks],
            value_axis="New leads",
            category_axis="Week starting",
        ),
        "Always the last 52 weeks, whatever period is chosen above.",
    )
    conditions = queries.volume_by_condition(ctx.filters)
    by_condition = ReportTable(
        "volume_by_condition",
        "New leads by condition",
        ["Condition", "New leads"],
        [[ctx.condition(slug), str(count)] for slug, count in conditions],
        charts.bar_chart(
            "chart-volume-condition",
            "New leads by condition",
            "Leads first heard from in the period, by the condition they asked about.",
            [(ctx.condition(slug), count) for slug, count in conditions][:CHART_ROWS],
            value_axis="New leads",
            category_axis="Condition",
        ),
    )
    grid = queries.weekday_hour_volume(ctx.filters, hours)
    hour_labels = [f"{hour:02d}" for hour in range(24)]
    by_hour = ReportTable(
        "volume_by_hour",
        "When patients write (clinic time)",
        ["Weekday", *hour_labels, "Total"],
        [[WEEKDAYS[day], *map(str, grid[day]), str(sum(grid[day]))] for day in range(7)],
        charts.heatmap(
            "chart-volume-hour",
            "When patients write, by weekday and hour",
            "Darker cells mean more inquiries in that hour of that weekday, in clinic time.",
            grid,
            row_labels=WEEKDAYS,
            column_labels=hour_labels,
            row_axis="Weekday",
            column_axis="Hour of day (clinic time)",
        ),
    )
    return [weekly, by_condition, by_hour]


def follow_up_section(ctx: ReportContext) -> list[ReportTable]:
    attempts = discipline.attempts_before_reach(ctx.filters)
    labels = {0: "Reached on the first try"}
    rows = [
        [labels.get(tries, f"{tries} unanswered before reaching"), str(count)]
        for tries, count in attempts.reached_after.items()
    ] + [["Not reached yet", str(attempts.not_reached)]]
    persistence = ReportTable(
        "attempts_before_reach",
        "Attempts before first reaching the person",
        ["Attempts", "Leads"],
        rows,
        charts.bar_chart(
            "chart-attempts",
            "Attempts before first reaching the person",
            "Leads with logged calls, emails or texts, by how many went unanswered before "
            "the first that reached them (a call answered or a message replied to).",
            [(label, int(count)) for label, count in rows],
            value_axis="Leads",
            category_axis="Attempts",
        ),
        "Counts leads of the period with at least one logged contact attempt.",
    )
    load = discipline.workload_by_owner(ctx.now, ctx.today, ctx.stale_days, ctx.filters.condition)
    workload = ReportTable(
        "follow_up_by_coordinator",
        "Gone quiet and overdue, by coordinator (today)",
        [
            "Coordinator",
            f"No activity for {ctx.stale_days}+ days",
            "Overdue follow-ups",
            "Due today",
        ],
        [[row.owner_name, str(row.stale), str(row.overdue), str(row.due_today)] for row in load],
        charts.bar_chart(
            "chart-overdue",
            "Overdue follow-ups by coordinator",
            "Open leads whose next follow-up date has passed, per coordinator, today.",
            [(row.owner_name, row.overdue) for row in load][:CHART_ROWS],
            value_axis="Overdue follow-ups",
            category_axis="Coordinator",
        ),
        "The state of open leads today; the period above does not apply.",
    )
    return [persistence, workload]


def stages_section(ctx: ReportContext) -> list[ReportTable]:
    stays = discipline.time_in_stage(ctx.filters)
    rows = []
    for status in OPEN_STATUSES:
        spread = stays.get(status, Spread())
        rows.append(
            [STATUS_LABELS[status], str(spread.count), days(spread.median), days(spread.p90)]
        )
    time_table = ReportTable(
        "time_in_stage",
        "Time in stage",
        ["Stage", "Moves out of the stage", "Median", "90th percentile"],
        rows,
        charts.bar_chart(
            "chart-stage",
            "Median days in each stage",
            "Median days leads spent in each stage before moving on, from the status history.",
            [(STATUS_LABELS[s], stays.get(s, Spread()).median) for s in OPEN_STATUSES],
            value_axis="Days (median)",
            category_axis="Stage",
            value_text=lambda value: f"{value:.1f} d",
        ),
        "Counts stays that ended in the period's leads; leads still in a stage are not counted.",
    )
    lost = discipline.lost_reasons(ctx.filters)
    total = sum(count for _, count in lost)
    lost_table = ReportTable(
        "lost_reasons",
        "Why leads were lost",
        ["Reason", "Leads", "Share"],
        [
            [
                LOST_REASONS.get(reason or "", reason or NONE_LABEL),
                str(count),
                percent(100 * count / total),
            ]
            for reason, count in lost
        ],
        charts.bar_chart(
            "chart-lost",
            "Why leads were lost",
            f"{total} lost leads of the period, by the reason recorded.",
            [
                (LOST_REASONS.get(reason or "", reason or NONE_LABEL), count)
                for reason, count in lost
            ],
            value_axis="Leads",
            category_axis="Reason",
        ),
        empty="No lead of the period was marked lost.",
    )
    return [time_table, lost_table]


def articles_section(ctx: ReportContext) -> list[ReportTable]:
    rows = queries.by_article(ctx.filters)
    table = ReportTable(
        "by_article",
        "By article",
        ["Article", "Leads", "Consults booked", "Lead → consult", "Median speed to lead"],
        [
            [
                ctx.article(row.article),
                str(row.leads),
                str(row.consults_booked),
                percent(100 * row.consults_booked / row.leads if row.leads else None),
                duration(row.spread.median),
            ]
            for row in rows
        ],
        charts.bar_chart(
            "chart-articles",
            "Booked consultations by article",
            "Consultations booked by leads whose first form was sent from each article, "
            "most first.",
            [(row.article or NONE_LABEL, row.consults_booked) for row in rows][:CHART_ROWS],
            value_axis="Consults booked",
            category_axis="Article",
        ),
        "Articles ordered by booked consultations; speed to lead counts clinic business hours.",
    )
    return [table]


def booking_section(ctx: ReportContext) -> list[ReportTable]:
    # clinic.reports.booking builds on this module's tables, so it is imported when asked for.
    from clinic.reports.booking import booking_section as build

    return build(ctx)


SECTIONS: dict[str, tuple[str, Callable[[ReportContext], list[ReportTable]]]] = {
    "articles": ("By article", articles_section),
    "funnel": ("Funnel", funnel_section),
    "speed": ("Speed to lead", speed_section),
    "volume": ("Volume", volume_section),
    "follow_up": ("Follow-up", follow_up_section),
    "stages": ("Stages and lost reasons", stages_section),
    "booking": ("Online booking", booking_section),
}
# Which section computes each downloadable table.
TABLE_SECTIONS = {
    "by_article": "articles",
    "funnel": "funnel",
    **{f"funnel_by_{by}": "funnel" for by in queries.BREAKDOWNS},
    "speed": "speed",
    "speed_by_coordinator": "speed",
    "volume_weekly": "volume",
    "volume_by_condition": "volume",
    "volume_by_hour": "volume",
    "attempts_before_reach": "follow_up",
    "follow_up_by_coordinator": "follow_up",
    "time_in_stage": "stages",
    "lost_reasons": "stages",
    **{name: "booking" for name in ("booking_overall", "booking_by_source")},
    **{name: "booking" for name in ("booking_by_article", "booking_by_condition")},
}


def build_section(name: str, ctx: ReportContext) -> list[ReportTable]:
    tune_for_reports(db.session)
    return SECTIONS[name][1](ctx)
