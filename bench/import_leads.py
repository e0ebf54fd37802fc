"""How fast the lead import stores a large file, and whether its memory stays flat.

    .venv/bin/python bench/import_leads.py --rows 100000                  # fresh SQLite file
    .venv/bin/python bench/import_leads.py --rows 100000 --db postgres --postgres-database NAME

A fresh database (PostgreSQL: the named database is dropped and made again) with its content,
the six demo coordinators and ``--existing`` people already stored (imported untimed, as a
clinic moving from another CRM would have leads already). Then a CSV of ``--rows`` rows is
written and imported the way the browser does it, each stage timed apart: reading and storing
the upload in pieces, the dry run, and the import in pieces (one transaction each). Of the
rows, about 8% are people already stored (they join their lead), 2% share a stored person's
email with another phone (possible same person), 4% repeat a person earlier in the file (they
join the lead that row made), 1% have a bad email (refused); the rest are new. Most have a
creation time, a third a note, cells starting like formulas here and there. The run ends by
checking the counts against the file as written, and prints the process's peak memory (run it
with a smaller --rows to see it stays flat).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.run import POSTGRES, machine, prepare_intake  # noqa: E402

CONDITIONS = ("Lupus", "COPD", "Knee osteoarthritis", "multiple-sclerosis", "Parkinson's disease")
STATUSES = ("", "", "New", "Contacted", "Consult booked", "Lost", "treated")
HEADER = ["Full name", "E-mail", "Mobile", "Condition", "Status", "Created", "Notes", "utm_source"]


def phone(n: int) -> str:
    """A distinct valid US number for each n (area code 617, exchanges 200-999)."""
    exchange, line = divmod(n, 10_000)
    return f"(617) {200 + exchange % 800:03d}-{line:04d}"


def person(n: int, when: datetime, rng: random.Random) -> list[str]:
    notes = "" if rng.random() < 0.67 else f"Called {rng.randint(1, 4)} times; =ask about costs"
    created = (when - timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M")
    return [
        f"Person {n} Example",
        f"person{n}@example.com",
        phone(n),
        rng.choice(CONDITIONS),
        rng.choice(STATUSES),
        created,
        notes,
        rng.choice(("", "google", "-newsletter", "fair")),
    ]


def write_people(path: Path, people: int, seed: int) -> None:
    """The people stored before the timed file: numbers 0 to ``people`` - 1."""
    rng = random.Random(seed)
    when = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(person(n, when, rng) for n in range(people))


def write_file(path: Path, rows: int, existing: int, seed: int) -> dict[str, int]:
    """The benchmark's file, and the counts its import must give."""
    rng = random.Random(seed)
    when = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    expected = {"new": 0, "joined": 0, "possible": 0, "refused": 0}
    written_new: list[int] = []
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for number in range(rows):
            roll = rng.random()
            if roll < 0.08 and existing:
                row = person(rng.randrange(existing), when, rng)  # stored already: joins
                expected["joined"] += 1
            elif roll < 0.10 and existing:
                row = person(rng.randrange(existing), when, rng)
                row[2] = phone(5_000_000 + number)  # same email, another phone
                expected["possible"] += 1
            elif roll < 0.14 and written_new:
                row = person(rng.choice(written_new), when, rng)  # earlier in this file
                expected["joined"] += 1
            elif roll < 0.15:
                row = person(existing + number, when, rng)
                row[1] = f"person{number}@example"  # no top-level domain: refused
                expected["refused"] += 1
            else:
                row = person(existing + number, when, rng)
                written_new.append(existing + number)
                expected["new"] += 1
            writer.writerow(row)
    return expected


def database_url(kind: str, name: str, folder: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder}/import.db"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def import_file(path: Path, source: str) -> tuple[int, dict[str, float]]:
    """Upload, dry run and import one file as the browser's steps do; seconds per stage."""
    from clinic.extensions import db
    from clinic.leads.importing import run
    from clinic.leads.importing.reading import open_sheet

    seconds = {}
    started = time.perf_counter()
    with path.open("rb") as stream:
        sheet = open_sheet(stream, path.name)
        batch_id = run.store_upload(
            sheet,
            filename=path.name,
            source=source,
            file_bytes=path.stat().st_size,
            actor=None,
            month_first=True,
        )
    seconds["upload"] = time.perf_counter() - started
    started = time.perf_counter()
    run.dry_run(batch_id)
    seconds["dry run"] = time.perf_counter() - started
    started = time.perf_counter()
    run.start(batch_id, None)
    run.run_all(batch_id)
    seconds["import"] = time.perf_counter() - started
    db.session.remove()
    return batch_id, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=20_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-database", default="himport_bench")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="clinic-import-") as folder:
        url = database_url(args.db, args.postgres_database, folder)
        prepare_intake(url)
        os.environ["DATABASE_URL"] = url
        from clinic import create_app
        from clinic.extensions import db
        from clinic.models import ImportBatch
        from config import DevelopmentConfig

        app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            if args.existing:
                stored = Path(folder) / "stored.csv"
                write_people(stored, args.existing, args.seed + 1)
                import_file(stored, "Earlier CRM")
            path = Path(folder) / "leads.csv"
            expected = write_file(path, args.rows, args.existing, args.seed)
            size = path.stat().st_size
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            batch_id, seconds = import_file(path, "Old CRM")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            batch = db.session.get_one(ImportBatch, batch_id)
            found = {
                "new": batch.new_leads,
                "joined": batch.joined,
                "possible": batch.possible_duplicates,
                "refused": batch.refused,
            }
            db.engine.dispose()
    total = sum(seconds.values())
    print(
        f"{args.db}: {args.rows:,} rows ({size / 1e6:.1f} MB), {args.existing:,} people stored "
        f"before; load average {os.getloadavg()[0]:.1f}"
    )
    for stage, spent in seconds.items():
        print(f"  {stage:8} {spent:6.1f} s  ({args.rows / spent:,.0f} rows/s)")
    print(f"  total    {total:6.1f} s")
    print(f"  peak RSS {peak:.0f} MB (before the timed file: {before:.0f} MB)")
    print(f"  counts   {found}")
    if found != expected:
        sys.exit(f"counts differ from the file's: expected {expected}")


if __name__ == "__main__":
    main()
