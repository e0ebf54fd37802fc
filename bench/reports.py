"""Issue 7's benchmark: every section of /staff/reports at a million leads, server time.

    .venv/bin/python bench/reports.py --db sqlite      # bench/data/clinic-1000000.db
    .venv/bin/python bench/reports.py --db postgres    # database clinic_bench

Uses (and if needed, or with --fresh, seeds) the same databases as bench/run.py. Starts
gunicorn (2 sync workers) on a free port, signs in as the demo coordinator, checks every report
page once (HTTP 200, each of its tables there with rows), warms each up, then requests them
--repeat times in rounds and prints median and p95. Pages: each section for the default period
(last 30 days), for one year up to today and for three years (every demo lead), each for all
conditions and for one condition (lupus).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    add_database_options,
    bench_facts,
    machine,
    open_database,
    percentile,
    time_pages,
)
from clinic.reports.tables import SECTIONS, TABLE_SECTIONS  # noqa: E402

TARGET_MS = 500
CONDITION = "lupus"
EMPTY_TABLE = "No leads in this period."


@dataclass(frozen=True)
class ReportPage:
    key: str
    section: str
    period: str
    condition: str | None
    path: str
    tables: tuple[str, ...]


def report_pages(today: date) -> list[ReportPage]:
    """Every section, for the default period, the year and the three years up to ``today``
    (clinic date), with and without a condition filter."""

    def back(days: int) -> dict[str, str]:
        start = (today - timedelta(days=days - 1)).isoformat()
        return {"period": "custom", "date_from": start, "date_to": today.isoformat()}

    periods = (("30 days", {}), ("1 year", back(365)), ("3 years", back(3 * 365 + 1)))
    found = []
    for section in SECTIONS:
        tables = tuple(name for name, owner in TABLE_SECTIONS.items() if owner == section)
        for period, dates in periods:
            for condition in (None, CONDITION):
                query = {"section": section, **dates}
                if condition:
                    query["condition"] = condition
                key = f"{section}/{period.replace(' ', '')}/{condition or 'all'}"
                path = f"/staff/reports?{urlencode(query)}"
                found.append(ReportPage(key, section, period, condition, path, tables))
    return found


def check(page: ReportPage, status: int, html: str) -> str | None:
    """What is wrong with the answer, or None when it shows every table of its section."""
    if status != 200:
        return f"{page.key}: HTTP {status}"
    for name in page.tables:
        if f'<section class="report" id="{name}"' not in html:
            return f"{page.key}: table {name} is missing"
    if EMPTY_TABLE in html:
        return f"{page.key}: a table says {EMPTY_TABLE!r}"
    if not re.search(r"<td>\d", html):
        return f"{page.key}: no numbers on the page"
    return None


def clinic_today(url: str) -> date:
    from clinic import clock, create_app
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        return clock.today()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser)
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--section", nargs="*", choices=list(SECTIONS), help="only these")
    args = parser.parse_args()

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    url = open_database(args)
    bench_facts(url, with_pages=False)
    page_list = [p for p in report_pages(clinic_today(url))
                 if not args.section or p.section in args.section]  # fmt: skip
    timings = time_pages(url, page_list, args.repeat, args.warmup, args.workers, check=check,
                         timeout=600)  # fmt: skip
    print("\n| section | period | condition | median | p95 | |\n|---|---|---|---:|---:|---|")
    for page in page_list:
        values = [seconds * 1000 for seconds in timings[page.key]]
        median = statistics.median(values)
        verdict = "✓" if median <= TARGET_MS else "✗ over target"
        print(f"| {SECTIONS[page.section][0]} | {page.period} | {page.condition or 'all'} | "
              f"{median:.0f} ms | {percentile(values, 0.95):.0f} ms | {verdict} |")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
