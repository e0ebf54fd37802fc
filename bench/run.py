"""Issue 6's benchmark: every page's server time at a million leads, the export and the intake.

    .venv/bin/python bench/run.py --leads 1000000 --db sqlite
    .venv/bin/python bench/run.py --leads 1000000 --db postgres

Seeds the database with `flask demo seed` once (SQLite: bench/data/clinic-<N>.db; PostgreSQL:
the `clinic_bench` database) and reuses it while it holds exactly N leads; `--fresh` seeds
again. Starts gunicorn (2 sync workers) on a free port, signs in as a demo coordinator, warms
every page up, then requests each page --repeat times in rounds and prints median and p95.
Each export (CSV, then Excel) runs on a fresh single-worker gunicorn, so the worker's peak RSS
(VmHWM) is the export's; the file is then checked against the export's audit row. The intake
comparison runs the clinic and bench/baseline_app.py on a fresh empty database each. Times
are measured by the client over loopback (see bench/server.py).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from bench import intake  # noqa: E402
from bench.pages import BENCH_PASSWORD, COORDINATOR_EMAIL, Page, check, gather_facts, pages  # noqa: E402
from bench.server import Server, environment, fetch, sign_in  # noqa: E402

DATA = ROOT / "bench" / "data"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
# Each engineer sharing a PostgreSQL server names a database of their own.
BENCH_DATABASE = os.environ.get("BENCH_POSTGRES_DATABASE", "clinic_bench")
INTAKE_DATABASE = f"{BENCH_DATABASE}_intake"
# A time as the CSV writes it: clinic local time with its UTC offset.
LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d")


def flask(url: str, *args: str, show: bool = False) -> None:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    subprocess.run(command, cwd=ROOT, env=environment(url), check=True, capture_output=not show)


def lead_count(url: str) -> int | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM leads")).scalar_one()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def recreate_postgres(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def prepare(kind: str, leads: int, seed: int, fresh: bool) -> tuple[str, float | None]:
    """The benchmark database holding ``leads`` demo leads, and the seconds seeding took
    (None when an earlier run's database was reused)."""
    if kind == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / f"clinic-{leads}.db"
        url = f"sqlite:///{path}"
        if fresh or lead_count(url) != leads:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
        if fresh or lead_count(url) != leads:
            recreate_postgres(BENCH_DATABASE)
    flask(url, "db", "upgrade")
    if lead_count(url) == leads:
        return url, None
    flask(url, "content", "sync")
    started = time.monotonic()
    flask(url, "demo", "seed", "--leads", str(leads), "--seed", str(seed), show=True)
    return url, time.monotonic() - started


def bench_facts(url: str, *, with_pages: bool):
    """Give the demo coordinator a known password and the export permission, and pick what the
    pages show."""
    from clinic import create_app
    from clinic.extensions import db
    from clinic.staff import accounts
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        user = accounts.find_by_email(COORDINATOR_EMAIL)
        accounts.set_password(user, BENCH_PASSWORD)
        user.can_export = True
        db.session.commit()
        facts = gather_facts() if with_pages else None
        db.engine.dispose()
    return facts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_pages(url: str, page_list: list[Page], repeat: int, warmup: int, workers: int, *,
               check=check, timeout: int = 120):  # fmt: skip
    """{page key: [seconds, …]}: every page checked, warmed up, then timed in rounds.

    ``check(page, status, html)`` says what is wrong with an answer (bench/reports.py brings
    its own for the report pages)."""
    timings: dict[str, list[float]] = {page.key: [] for page in page_list}
    with Server(environment(url), workers=workers, timeout=timeout) as server:
        cookie = sign_in(server.port, COORDINATOR_EMAIL, BENCH_PASSWORD)
        for page in page_list:
            for attempt in range(max(warmup, 1)):
                answer = fetch(server.port, page.path, cookie=cookie)
                problem = check(page, answer.status, answer.body) if attempt == 0 else None
                if problem:
                    raise SystemExit(f"benchmark page is wrong: {problem}")
        workers_before = cpu_seconds(server.worker_pids())
        for _ in range(repeat):
            for page in page_list:
                timings[page.key].append(fetch(server.port, page.path, cookie=cookie).seconds)
        worker_cpu = cpu_seconds(server.worker_pids()) - workers_before
    # The workers' own CPU time per timed request: what the app spends, much less swayed than
    # the wall clock by other work on the machine (the database server's time is not in it).
    print(f"worker CPU per timed request: {worker_cpu / (repeat * len(page_list)) * 1000:.2f} ms")
    return timings


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime and stime
    return total / ticks


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def time_export(url: str, file_type: str) -> dict[str, float]:
    """Download every lead as ``file_type`` (csv or xlsx) from a fresh one-worker gunicorn into a
    temporary file, then check the file: as many leads as the audit row says, the headings, and
    a first row in the clinic's words and types."""
    with tempfile.TemporaryDirectory(prefix="clinic-bench-export-") as folder:
        path = Path(folder) / f"leads.{file_type}"
        with Server(environment(url), workers=1, timeout=600) as server:
            cookie = sign_in(server.port, COORDINATOR_EMAIL, BENCH_PASSWORD)
            worker = server.worker_pids()[0]
            before = peak_rss_mb(worker)
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            started = time.perf_counter()
            connection.request("GET", f"/staff/leads/export.{file_type}?status=all",
                               headers={"Cookie": cookie})  # fmt: skip
            response = connection.getresponse()
            with path.open("wb") as file:
                file.write(response.read(1))
                first_byte = time.perf_counter() - started
                while chunk := response.read(1 << 16):
                    file.write(chunk)
            seconds = time.perf_counter() - started
            connection.close()
            if response.status != 200:
                raise SystemExit(f"export answered HTTP {response.status}")
            peak = peak_rss_mb(worker)
        expected = exported_rows(url)
        rows = (check_csv if file_type == "csv" else check_xlsx)(path)
        if rows != expected:
            raise SystemExit(f"the {file_type} export holds {rows:,} leads, not {expected:,}")
    return {"rows": rows, "seconds": seconds, "rate": rows / seconds,
            "first_byte": first_byte, "peak_mb": peak, "idle_mb": before}  # fmt: skip


def exported_rows(url: str) -> int:
    """The leads the last export wrote, as its audit row says (counted before the first row)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            detail = connection.execute(text(
                "SELECT detail FROM audit_entries WHERE action = 'leads_exported' "
                "ORDER BY id DESC LIMIT 1"
            )).scalar_one()  # fmt: skip
    finally:
        engine.dispose()
    return int(detail.split(";")[0].removeprefix("rows="))


def check_csv(path: Path) -> int:
    """The CSV's lead count, once its headings and first row read as a person expects."""
    from clinic.leads.export import SHEET_HEADINGS

    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        if tuple(next(reader)) != SHEET_HEADINGS:
            raise SystemExit("the CSV's headings are not the export's")
        rows = 0
        for row in reader:
            if rows == 0 and not (row[0].isdigit() and LOCAL_TIME.fullmatch(row[1])):
                raise SystemExit(f"the CSV's first row is not in the clinic's words: {row[:6]}")
            rows += 1
    return rows


def check_xlsx(path: Path) -> int:
    """The workbook's lead count over its lead sheets, once each sheet's headings and the first
    lead's id (a number) and received time (a date number with a date format) are right."""
    from xml.etree.ElementTree import iterparse

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as workbook:
        sheets = sorted((name for name in workbook.namelist()
                         if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)),
                        key=lambda name: int(re.sub(r"\D", "", name)))  # fmt: skip
        rows = 0
        for name in sheets[1:]:  # the first sheet is About
            with workbook.open(name) as sheet:
                for _, element in iterparse(sheet):
                    if element.tag != f"{main}row":
                        continue
                    lead_id, received = list(element)[:2]
                    if element.get("r") == "1":
                        if lead_id.findtext(f"{main}is/{main}t") != "Lead ID":
                            raise SystemExit(f"{name} does not start with the export's headings")
                    elif rows == 0 and (lead_id.get("t") or received.get("t")
                                        or received.get("s") is None):  # fmt: skip
                        raise SystemExit("the first lead's id or received time is not a number")
                    else:
                        rows += 1
                    element.clear()
    return rows


def prepare_intake(url: str) -> None:
    """A fresh database as a clinic runs it: its content, and coordinators to deal leads to
    (automatic assignment is on by default, and every inquiry takes its turn)."""
    for command in (("db", "upgrade"), ("content", "sync"), ("demo", "coordinators")):
        flask(url, *command)


def time_intake(kind: str, seconds: float, bounds: bool) -> list[intake.Throughput]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="clinic-intake-") as folder:
            url = f"sqlite:///{folder}/intake.db"
            prepare_intake(url)
            return intake.compare(url, seconds=seconds, bounds=bounds)
    recreate_postgres(INTAKE_DATABASE)
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{INTAKE_DATABASE}"
        prepare_intake(url)
        return intake.compare(url, seconds=seconds, bounds=bounds)
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{INTAKE_DATABASE}" WITH (FORCE)')


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                  if line.startswith("model name")), "unknown CPU")  # fmt: skip
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))  # fmt: skip
    return f"{os.cpu_count()} cores ({model}), {int(memory) / 1024 / 1024:.0f} GB RAM"


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """The options choosing the benchmark database, shared with bench/reports.py."""
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="seed again even if reusable")


def open_database(args: argparse.Namespace) -> str:
    """The URL of the database those options choose, seeded if needed, said on the way."""
    url, seeded = prepare(args.db, args.leads, args.seed, args.fresh)
    print(f"database: {args.db}, {args.leads:,} leads"
          + (f", seeded in {seeded:.0f} s" if seeded else " (reused)"))  # fmt: skip
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for the pages")
    parser.add_argument("--intake-seconds", type=float, default=20)
    parser.add_argument("--intake-bounds", action="store_true",
                        help="also time the clinic storing one row, and nothing")  # fmt: skip
    parser.add_argument("--skip", nargs="*", default=(), choices=("pages", "export", "intake"))
    parser.add_argument("--only", nargs="*", metavar="PAGE",
                        help="time only these pages (keys in bench/pages.py)")  # fmt: skip
    args = parser.parse_args()

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    if {"pages", "export"} <= set(args.skip):
        # Intake runs on fresh databases of its own: leave the seeded one (and --leads) alone.
        url, facts = None, None
    else:
        url = open_database(args)
        facts = bench_facts(url, with_pages="pages" not in args.skip)
    if facts is not None:
        page_list = [page for page in pages(facts) if not args.only or page.key in args.only]
        timings = time_pages(url, page_list, args.repeat, args.warmup, args.workers)
        print("\n| page | target | median | p95 | |\n|---|---:|---:|---:|---|")
        for page in page_list:
            values = [seconds * 1000 for seconds in timings[page.key]]
            median = statistics.median(values)
            verdict = "✓" if median <= page.target_ms else "✗ over target"
            print(f"| {page.title} | ≤ {page.target_ms:.0f} ms | {median:.1f} ms | "
                  f"{percentile(values, 0.95):.1f} ms | {verdict} |")  # fmt: skip
    if "export" not in args.skip:
        export = time_export(url, "csv")
        print(f"\nexport (CSV): {export['rows']:,} rows in {export['seconds']:.1f} s = "
              f"{export['rate']:,.0f} rows/s; first byte after {export['first_byte'] * 1000:.0f} "
              f"ms; worker peak RSS {export['peak_mb']:.0f} MB "
              f"({export['idle_mb']:.0f} MB before)")  # fmt: skip
        # A workbook is a zip finished only when its last row is written, so its first byte
        # comes at the end: the rate counts from the request to the last byte.
        export = time_export(url, "xlsx")
        print(f"export (Excel): {export['rows']:,} rows in {export['seconds']:.1f} s = "
              f"{export['rate']:,.0f} rows/s; worker peak RSS {export['peak_mb']:.0f} MB "
              f"({export['idle_mb']:.0f} MB before)")  # fmt: skip
    if "intake" not in args.skip:
        results = time_intake(args.db, args.intake_seconds, args.intake_bounds)
        by_name = {result.name: result for result in results}
        bare, forms = by_name["baseline"], by_name["baseline with forms"]

        def share(result, of) -> str:
            return f"{result.per_second / of.per_second:.0%}" if of.per_second else "n/a"

        for result in results:
            first = f" (first: {result.failures[0]})" if result.failures else ""
            print(f"intake {result.name}: {result.cycles} form+post cycles in "
                  f"{result.seconds:.1f} s = {result.per_second:.1f}/s ({share(result, bare)} "
                  f"of the bare baseline, {share(result, forms)} of the one with forms), "
                  f"{len(result.failures)} failures{first}")  # fmt: skip
        clinic = by_name["clinic"]
        print(f"intake: clinic at {share(clinic, bare)} of the bare Flask baseline and "
              f"{share(clinic, forms)} of the same-libraries one (target ≥ 60%)")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
