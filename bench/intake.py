"""Intake throughput against a bare Flask baseline: the same client load on both.

Each simulated patient loops for a fixed time: GET the form (keeping the session cookie and
every hidden field, as a browser would), POST it, expect 303. The clinic runs as configured
except for rate limits (16 patients behind one loopback address would be throttled); the
bare baseline (bench/baseline_app.py) stores one row per post and nothing else; the baseline
with forms (bench/baseline_forms_app.py) adds what the clinic's libraries do for any form
(Flask-WTF's CSRF and session, WTForms validation, Flask-SQLAlchemy). They run one after the
other on the same fresh database (the clinic first), each on gunicorn with 4 sync workers
and 16 clients. The database has the six demo coordinators, so each new lead is dealt to one,
as in a clinic.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from bench.baseline_app import TABLE_SQL
from bench.intake_bounds import JOURNAL_SQL
from bench.server import Server, environment, fetch, hidden_fields, session_cookie


@dataclass
class Throughput:
    name: str
    cycles: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.cycles / self.seconds if self.seconds else 0.0


def patient_form(tag: str, number: int) -> dict[str, str]:
    return {
        "name": f"Intake Patient {number}",
        "email": f"intake-{tag}-{number}@example.com",
        "condition": "lupus",
        "message": "What do the studies show for lupus? I was diagnosed in 2019.",
        "preferred_contact": "email",
        "best_time": "morning",
        "payment": "not_sure",
        "consent": "y",
    }


def run_cycles(name: str, port: int, *, seconds: float, clients: int, tag: str) -> Throughput:
    """``clients`` threads doing form-and-post cycles for ``seconds``."""
    result = Throughput(name)
    lock = threading.Lock()
    counter = iter(range(10**9))
    deadline = time.monotonic() + seconds

    def patient() -> None:
        while time.monotonic() < deadline:
            with lock:
                number = next(counter)
            try:
                page = fetch(port, "/inquire")
                form = {**patient_form(tag, number), **hidden_fields(page.body)}
                answer = fetch(port, "/inquire", cookie=session_cookie(page), form=form)
            except OSError as error:
                with lock:
                    result.failures.append(f"{type(error).__name__}: {error}")
                continue
            with lock:
                if page.status == 200 and answer.status == 303:
                    result.cycles += 1
                else:
                    result.failures.append(f"GET {page.status}, POST {answer.status}")

    started = time.monotonic()
    threads = [threading.Thread(target=patient) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def compare(database_url: str, *, seconds: float, clients: int = 16, workers: int = 4,
            bounds: bool = False) -> list[Throughput]:  # fmt: skip
    """The clinic's and the baselines' throughput on one freshly migrated database, and with
    ``bounds`` the clinic's with its storing replaced (bench/intake_bounds.py) in between."""
    tag = f"{int(time.time())}"
    apps = [("clinic", "wsgi:app", "/healthz")]
    if bounds:
        apps += [
            ("clinic storing one row", "bench.intake_bounds:storing_one_row", "/healthz"),
            ("clinic storing nothing", "bench.intake_bounds:storing_nothing", "/healthz"),
        ]
    apps.append(("baseline with forms", "bench.baseline_forms_app:app", "/inquire"))
    apps.append(("baseline", "bench.baseline_app:app", "/inquire"))
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(TABLE_SQL[engine.dialect.name]))
        connection.execute(text(JOURNAL_SQL[engine.dialect.name]))
    engine.dispose()
    results = []
    for name, app, ready in apps:
        with Server(environment(database_url), app=app, workers=workers, ready=ready) as server:
            results.append(run_cycles(name, server.port, seconds=seconds, clients=clients,
                                      tag=f"{tag}-{len(results)}"))  # fmt: skip
    return results
