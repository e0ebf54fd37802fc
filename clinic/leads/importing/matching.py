"""Who each row of an import is, by the public form's rule (clinic.leads.identity), decided for
hundreds of rows at once: the leads sharing any of their contact details are read in a few
queries, and the rows are matched against them, and against the people earlier rows of the
same file started, in memory.

:func:`People.best` picks exactly what ``identity.find_person`` would: among the leads sharing
an email key or a phone with the row (not erased, not merged), one the row may join (every
contact detail both give agrees) first, then the same email, then the same phone, then the
oldest. tests/test_import_run.py holds the two to the same answers.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import BindParameter, String, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from clinic.extensions import db
from clinic.models import Lead

# Keys looked up per query (bound parameters stay well under every database's limit).
LOOKUP_BATCH = 500
# Ids given to people an import starts before they are stored: above every stored id, in the
# order they will be inserted, so "the oldest" still sorts right.
UNSTORED_FROM = 2**40

_NO_BITMAP_SCANS = text("SET LOCAL enable_bitmapscan = off")
_BITMAP_SCANS = text("SET LOCAL enable_bitmapscan = on")
# unnest hands the keys back in the array's order: sorted by Python, as intake sorts its own.
_ADVISORY_LOCKS = text(
    "SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM unnest(CAST(:keys AS text[])) AS k"
)


def _array(keys: list[str]) -> BindParameter[list[str]]:
    return bindparam("keys", keys, type_=ARRAY(String()))  # type: ignore[arg-type]  # (stubs)


@dataclass(frozen=True)
class Candidate:
    id: int
    email_key: str | None
    digits: str | None


@dataclass(frozen=True)
class Found:
    """The lead a row leads to, and whether the row may join it."""

    candidate: Candidate
    joins: bool


class People:
    """The leads a piece of an import's rows may be, by email key and by phone digits: stored
    ones, and (in a dry run, where nothing is stored) those earlier pieces would start."""

    def __init__(self, earlier: EarlierPeople | None = None) -> None:
        self.by_email: dict[str, list[Candidate]] = defaultdict(list)
        self.by_phone: dict[str, list[Candidate]] = defaultdict(list)
        self._looked_up: set[tuple[str, str]] = set()
        self.earlier = earlier

    def load(self, email_keys: Iterable[str | None], digits: Iterable[str | None]) -> None:
        """Read the stored leads (listed: not erased, not merged) sharing any of these keys,
        each key once per :class:`People`."""
        wanted_emails = sorted({k for k in email_keys if k and ("e", k) not in self._looked_up})
        wanted_phones = sorted({k for k in digits if k and ("p", k) not in self._looked_up})
        self._looked_up.update(("e", k) for k in wanted_emails)
        self._looked_up.update(("p", k) for k in wanted_phones)
        connection = db.session.connection()
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            # Only the keys' own indexes answer an exact match quickly: the name search's
            # trigram indexes would match every lead sharing "@ex" or "161", yet a planner
            # with the statistics of a smaller table than the import has grown may choose them.
            connection.execute(_NO_BITMAP_SCANS)
        seen: set[int] = set()
        for column, keys in ((Lead.email_key, wanted_emails), (Lead.phone_digits, wanted_phones)):
            for start in range(0, len(keys), LOOKUP_BATCH):
                some = keys[start : start + LOOKUP_BATCH]
                # PostgreSQL takes the keys as one array: hundreds of parameters each cost it
                # planning time, and every other count of them is another statement to plan.
                matches = column == any_(_array(some)) if postgresql else column.in_(some)
                # Erased and merged leads are left out here, not in SQL: a condition on them
                # would let a planner short of statistics walk a partial index of all leads.
                query = select(
                    Lead.id,
                    Lead.email_key,
                    Lead.phone_digits,
                    Lead.erased_at.is_(None) & Lead.merged_into_id.is_(None),
                ).where(matches)
                for lead_id, email_key, phone_digits, listed in connection.execute(query):
                    if not listed or lead_id in seen:
                        continue
                    if not self._known(lead_id, email_key, phone_digits):
                        seen.add(lead_id)
                        self.add(Candidate(lead_id, email_key, phone_digits))
        if postgresql:
            connection.execute(_BITMAP_SCANS)
        if self.earlier is not None:
            for candidate in self.earlier.sharing(wanted_emails, wanted_phones):
                if not self._known(candidate.id, candidate.email_key, candidate.digits):
                    self.add(candidate)

    def _known(self, lead_id: int, email_key: str | None, digits: str | None) -> bool:
        """Whether the lead was read already (through a key loaded by an earlier call)."""
        listed = self.by_email.get(email_key or "", []) + self.by_phone.get(digits or "", [])
        return any(candidate.id == lead_id for candidate in listed)

    def add(self, candidate: Candidate) -> None:
        if candidate.email_key:
            self.by_email[candidate.email_key].append(candidate)
        if candidate.digits:
            self.by_phone[candidate.digits].append(candidate)

    def best(self, email_key: str | None, digits: str | None) -> Found | None:
        """The lead a row with these keys joins or is marked against (None: nobody known)."""
        sharing = {c.id: c for c in self.by_email.get(email_key or "", [])} if email_key else {}
        if digits:
            sharing.update({c.id: c for c in self.by_phone.get(digits, [])})
        if not sharing:
            return None

        def agrees(c: Candidate) -> bool:
            return (not email_key or c.email_key in (None, email_key)) and (
                not digits or c.digits in (None, digits)
            )

        def rank(c: Candidate) -> tuple[bool, bool, bool, int]:
            other_email = bool(email_key) and c.email_key != email_key
            other_phone = bool(digits) and c.digits != digits
            return (not agrees(c), other_email, other_phone, c.id)

        chosen = min(sharing.values(), key=rank)
        return Found(chosen, agrees(chosen))


def lock_people(keys: Iterable[str]) -> None:
    """Serialise with the public form per person on PostgreSQL, as intake does (the same
    advisory locks, taken in the same sorted order, so neither waits on the other in a
    circle). SQLite needs nothing: the write transaction holds the database's write lock."""
    ordered = sorted(set(keys))
    if not ordered or db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.connection().execute(_ADVISORY_LOCKS, {"keys": ordered})


_EARLIER = {
    "email_key": "SELECT id, email_key, digits FROM people "
    "WHERE email_key IN (SELECT value FROM json_each(?))",
    "digits": "SELECT id, email_key, digits FROM people "
    "WHERE digits IN (SELECT value FROM json_each(?))",
}


class EarlierPeople:
    """The people a dry run's earlier pieces would have started, kept in a temporary SQLite
    file rather than in memory, so a dry run of any size reads with the memory of one piece."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="clinic-import-")
        self._db = sqlite3.connect(f"{self._folder.name}/people.db")
        self._db.executescript(
            """CREATE TABLE people (id INTEGER PRIMARY KEY, email_key TEXT, digits TEXT);
            CREATE INDEX people_email_key ON people (email_key);
            CREATE INDEX people_digits ON people (digits);"""
        )

    def add(self, people: Iterable[Candidate]) -> None:
        rows = [(c.id, c.email_key, c.digits) for c in people]
        self._db.executemany("INSERT INTO people VALUES (?, ?, ?)", rows)

    def sharing(self, email_keys: list[str], digits: list[str]) -> Iterator[Candidate]:
        for column, keys in (("email_key", email_keys), ("digits", digits)):
            for start in range(0, len(keys), LOOKUP_BATCH):
                some = keys[start : start + LOOKUP_BATCH]
                for row in self._db.execute(_EARLIER[column], (json.dumps(some),)):
                    yield Candidate(*row)

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()
