"""Does the answer to an inquiry tell who is already known? New, returning and possible-same-person
inquiries timed through gunicorn, so their medians can be compared.

    .venv/bin/python bench/intake_identity.py                      # fresh SQLite file
    .venv/bin/python bench/intake_identity.py --db postgres --postgres-database NAME

A known and an unknown person get the same page and the same acknowledgement; this measures
whether the time to answer gives the difference away. The database is fresh (PostgreSQL: the
named database's schema is dropped and made again), with its content and the six demo
coordinators, as bench/run.py prepares intake. Two existing people per round are stored first,
each with an email address and a phone number, two days ago (so their acknowledgement window
has passed and a returning inquiry is acknowledged like any other). Then gunicorn (2 sync
workers) serves the clinic and one client sends, in rounds, one inquiry of each kind (their
order turning from round to round):

- new: an email and a phone nobody has given;
- returning: an existing person's email and phone (the inquiry joins their open lead);
- possible same person: an existing person's phone with a new email (a new lead, marked).

Each inquiry is a GET of the form (untimed: cookie and tokens, as a browser gets them) and
its POST, timed from sending to the last byte of the 303 (bench/server.py). Each existing
person writes once, so every inquiry of a kind meets the same state. The run ends by checking
that every inquiry landed as its kind says.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import phonenumbers  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.run import POSTGRES, machine, percentile, prepare_intake  # noqa: E402
from bench.server import Server, environment, fetch, hidden_fields, session_cookie  # noqa: E402

KINDS = ("new", "returning", "possible same person")
WORKERS = 2


def phone_numbers(count: int, start: int) -> list[str]:
    """``count`` valid US numbers in E.164, none shared with another call's ``start``."""
    found, candidate = [], start
    while len(found) < count:
        number = f"+1617{candidate:07d}"
        candidate += 1
        if phonenumbers.is_valid_number(phonenumbers.parse(number, None)):
            found.append(number)
    return found


def store_people(url: str, people: int) -> list[tuple[str, str]]:
    """The existing people (email, phone), stored through intake two days ago."""
    from clinic import create_app
    from clinic.extensions import db
    from clinic.leads.intake import InquiryData, record_inquiry
    from clinic.models import utcnow
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url)
    known = [
        (f"known-{n}@example.com", phone)
        for n, phone in enumerate(phone_numbers(people, 2_000_000))
    ]
    with app.app_context():
        then = utcnow() - timedelta(days=2)
        for n, (email, phone) in enumerate(known):
            record_inquiry(
                InquiryData(f"Known Person {n}", email, phone, "lupus", preferred_contact="phone"),
                now=then,
            )
        db.engine.dispose()
    return known


def patient_form(name: str, email: str, phone: str) -> dict[str, str]:
    return {
        "name": name,
        "email": email,
        "phone": phone,
        "condition": "lupus",
        "message": "What do the studies show for lupus? I was diagnosed in 2019.",
        "preferred_contact": "phone",
        "best_time": "morning",
        "payment": "not_sure",
        "consent": "y",
    }


def send(port: int, form: dict[str, str]) -> float:
    """Load the form, post it; the POST's seconds."""
    page = fetch(port, "/inquire")
    answer = fetch(
        port, "/inquire", cookie=session_cookie(page), form={**form, **hidden_fields(page.body)}
    )
    if answer.status != 303 or not answer.headers.get("location", "").endswith("/thanks"):
        raise SystemExit(f"inquiry answered {answer.status}, not 303 to the thanks page")
    return answer.seconds


def time_kinds(url: str, known: list[tuple[str, str]], rounds: int, warmup: int):
    """{kind: [seconds, …]} over ``rounds`` timed rounds after ``warmup`` untimed ones."""
    fresh_phones = iter(phone_numbers(rounds + warmup, 5_000_000))
    people = iter(known)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with Server(environment(url), workers=WORKERS) as server:
        for number in range(rounds + warmup):
            email, phone = next(people)
            _, shared_phone = next(people)
            forms = {
                "new": patient_form(
                    f"New {number}", f"new-{number}@example.net", next(fresh_phones)
                ),
                "returning": patient_form(f"Known again {number}", email, phone),
                "possible same person": patient_form(
                    f"Stranger {number}", f"stranger-{number}@example.net", shared_phone
                ),
            }
            # Each kind goes first in every third round: none always follows the same one.
            for kind in KINDS[number % 3 :] + KINDS[: number % 3]:
                seconds = send(server.port, forms[kind])
                if number >= warmup:
                    timings[kind].append(seconds)
    return timings


def check_outcomes(url: str, sent: int) -> str:
    """What the database holds after the run, or SystemExit when an inquiry landed wrongly."""
    counts = {
        "new leads": "SELECT count(*) FROM leads WHERE name LIKE 'New %'",
        "returning inquiries joined": "SELECT count(*) FROM leads WHERE inquiry_count = 2",
        "leads marked": "SELECT count(*) FROM leads WHERE possible_duplicate_of_id IS NOT NULL",
    }
    engine = create_engine(url)
    with engine.connect() as connection:
        found = {what: connection.execute(text(sql)).scalar_one() for what, sql in counts.items()}
    engine.dispose()
    if set(found.values()) != {sent}:
        raise SystemExit(f"expected {sent} of each: {found}")
    return ", ".join(f"{count} {what}" for what, count in found.items())


def prepare(kind: str, postgres_database: str | None, folder: str) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{folder}/identity.db"
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{postgres_database}"
        engine = create_engine(f"{POSTGRES}/{postgres_database}", isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    prepare_intake(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-database", help="dropped and made again: a scratch database")
    parser.add_argument("--rounds", type=int, default=60, help="timed inquiries of each kind")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds first")
    args = parser.parse_args()
    if args.db == "postgres" and not args.postgres_database:
        parser.error("--db postgres needs --postgres-database (its schema is dropped)")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="clinic-identity-") as folder:
        url = prepare(args.db, args.postgres_database, folder)
        rounds = args.rounds + args.warmup
        known = store_people(url, 2 * rounds)
        timings = time_kinds(url, known, args.rounds, args.warmup)
        outcome = check_outcomes(url, rounds)
    print(f"database: {args.db}; {outcome}; {WORKERS} gunicorn workers, one client")
    new_median = statistics.median(timings["new"]) * 1000
    print("\n| inquiry | median | p95 | median against new |\n|---|---:|---:|---:|")
    for kind in KINDS:
        values = [seconds * 1000 for seconds in timings[kind]]
        median = statistics.median(values)
        print(f"| {kind} | {median:.2f} ms | {percentile(values, 0.95):.2f} ms | "
              f"{median / new_median:.0%} |")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
