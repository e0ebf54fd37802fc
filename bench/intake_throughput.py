"""Intake throughput: 16 patients at once send 1,000 inquiries through gunicorn (4 workers).

Each patient loads the form (cookie, CSRF and form tokens) and posts it, as a browser does;
every 10th form is posted twice (a double click), which must still store one inquiry.
Runs on a fresh SQLite file and, when PostgreSQL answers at 127.0.0.1:5432, on a fresh
PostgreSQL database; prints inquiries per second and POST latency, then checks the count.

    .venv/bin/python bench/intake_throughput.py [--inquiries 1000] [--clients 16] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.server_helpers import Gunicorn, run_load, server_environment  # noqa: E402

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def prepare(database_url: str) -> None:
    env = server_environment(database_url)
    for command in (["db", "upgrade"], ["content", "sync"]):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )


def count_inquiries(database_url: str, tag: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM inquiries WHERE email LIKE :pattern"),
            {"pattern": f"load-{tag}-%"},
        ).scalar_one()
    engine.dispose()
    return count


def measure(name: str, database_url: str, inquiries: int, clients: int, workers: int) -> None:
    prepare(database_url)
    tag = uuid.uuid4().hex[:8]
    server = Gunicorn(server_environment(database_url), workers=workers).start()
    try:
        result = run_load([server.port], range(inquiries), clients=clients, tag=tag)
    finally:
        server.stop()
    stored = count_inquiries(database_url, tag)
    latencies = sorted(result.post_seconds)
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    print(
        f"{name:10} {inquiries} inquiries, {clients} clients, {workers} workers: "
        f"{result.seconds:.1f} s, {inquiries / result.seconds:.0f} inquiries/s, "
        f"POST p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95:.0f} ms, "
        f"stored {stored}, failures {len(result.failures)}"
    )
    if stored != inquiries or result.failures:
        raise SystemExit(f"{name}: expected {inquiries} stored and no failures")


def postgres_available() -> bool:
    try:
        psycopg.connect(POSTGRES_ADMIN, connect_timeout=2).close()
        return True
    except psycopg.Error:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory(prefix="clinic-bench-") as folder:
        measure(
            "SQLite", f"sqlite:///{folder}/bench.db", args.inquiries, args.clients, args.workers
        )

    if not postgres_available():
        print("PostgreSQL   not reachable at 127.0.0.1:5432; skipped")
        return
    name = f"clinic_bench_{os.getpid()}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        measure("PostgreSQL", url, args.inquiries, args.clients, args.workers)
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
