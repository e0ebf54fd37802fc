"""Tables derived from leads and inquiries — the status counts (``lead_counts``) and the search
indexes (``leads_fts``, ``search_messages``) — and how a bulk load rebuilds them.

``search_messages`` follows the inquiries through :func:`refresh_messages`, which intake, merge
and erasure call where they write messages; ``lead_counts`` follows clinic.leads.counts. SQLite's
``leads_fts`` is kept by triggers (migration 0021_derived_tables_in_code says why they stay). A
bulk load of a million leads would spend most of its time in them, so it sets them aside
(SQLite) or skips triggers (PostgreSQL, ``session_replication_role = replica``) and rebuilds
the derived tables in one pass at the end. The bulk functions take a DB-API cursor: bulk loads
write around the ORM.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flask_sqlalchemy.session import Session
from sqlalchemy import BindParameter, bindparam, text
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.orm import scoped_session

from clinic.extensions import db

# SQLite's full-text tables (FTS5) of migration 0005_performance, each merged into one segment.
SQLITE_COMPACT_SEARCH = (
    "INSERT INTO leads_fts (leads_fts) VALUES ('optimize')",
    "INSERT INTO search_messages (search_messages) VALUES ('optimize')",
)

# The only triggers left (SQLite): those keeping the external-content trigram index.
SQLITE_TRIGGERS = ("leads_fts_after_insert", "leads_fts_after_delete", "leads_fts_after_update")

_LEADS: BindParameter[list[int]] = bindparam("leads", expanding=True)
SQLITE_REFRESH_MESSAGES = (
    text("DELETE FROM search_messages WHERE rowid IN :leads").bindparams(_LEADS),
    text(
        """INSERT INTO search_messages (rowid, words)
        SELECT lead_id, group_concat(message, ' ') FROM inquiries WHERE lead_id IN :leads
        GROUP BY lead_id"""
    ).bindparams(_LEADS),
)
# Upsert rather than plain insert: a concurrent refresh of the same lead then waits and
# overwrites instead of failing on the primary key.
POSTGRES_REFRESH_MESSAGES = (
    text("DELETE FROM search_messages WHERE lead_id IN :leads").bindparams(_LEADS),
    text(
        """INSERT INTO search_messages (lead_id, words)
        SELECT lead_id, strip(to_tsvector('clinic_search'::regconfig, string_agg(message, ' ')))
        FROM inquiries WHERE lead_id IN :leads GROUP BY lead_id
        ON CONFLICT (lead_id) DO UPDATE SET words = excluded.words"""
    ).bindparams(_LEADS),
)

FILL_COUNTS = """INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
SELECT status, condition_slug, coalesce(owner_id, 0), count(*) FROM leads
WHERE merged_into_id IS NULL AND erased_at IS NULL GROUP BY 1, 2, 3"""

SQLITE_FILL_MESSAGES = """INSERT INTO search_messages (rowid, words)
    SELECT lead_id, group_concat(message, ' ') FROM inquiries GROUP BY lead_id"""

SQLITE_REBUILD = (
    "DELETE FROM lead_counts",
    FILL_COUNTS,
    "INSERT INTO leads_fts (leads_fts) VALUES ('rebuild')",
    "DELETE FROM search_messages",
    SQLITE_FILL_MESSAGES,
)

POSTGRES_FILL_MESSAGES = """INSERT INTO search_messages (lead_id, words)
    SELECT lead_id, strip(to_tsvector('clinic_search'::regconfig, string_agg(message, ' ')))
    FROM inquiries GROUP BY lead_id"""

POSTGRES_REBUILD = ("TRUNCATE lead_counts, search_messages", FILL_COUNTS, POSTGRES_FILL_MESSAGES)


def refresh_messages(lead_ids: Iterable[int]) -> None:
    """Rewrite these leads' documents in the message search from their inquiries as they now
    stand (a lead without inquiries has none); called in the transaction that changed them."""
    ids = sorted(set(lead_ids))
    if not ids:
        return
    db.session.flush()
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    connection = db.session.connection()
    for statement in SQLITE_REFRESH_MESSAGES if sqlite else POSTGRES_REFRESH_MESSAGES:
        connection.execute(statement, {"leads": ids})


def rebuild_counts() -> int:
    """Count every listed lead again (after rows were loaded around the app); returns how many
    leads the tabs hold."""
    db.session.execute(text("DELETE FROM lead_counts"))
    db.session.execute(text(FILL_COUNTS))
    return int(
        db.session.execute(text("SELECT coalesce(sum(leads), 0) FROM lead_counts")).scalar_one()
    )


def rebuild_messages() -> int:
    """Rewrite the whole message search from the inquiries (after rows were loaded around the
    app); returns how many leads it holds."""
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    db.session.execute(text("DELETE FROM search_messages"))
    db.session.execute(text(SQLITE_FILL_MESSAGES if sqlite else POSTGRES_FILL_MESSAGES))
    return int(db.session.execute(text("SELECT count(*) FROM search_messages")).scalar_one())


@contextmanager
def sqlite_triggers_set_aside(cursor: sqlite3.Cursor) -> Iterator[None]:
    """Drop the trigram index's triggers for a bulk load, then rebuild the derived tables and
    put the triggers back — also when the load fails part-way, so the database stays consistent with
    whatever was written. Nothing else may write to the database meanwhile."""
    triggers = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    saved = {name: sql for name, sql in triggers.fetchall() if name in SQLITE_TRIGGERS}
    cursor.execute("BEGIN IMMEDIATE")
    for name in saved:
        cursor.execute(f"DROP TRIGGER {name}")
    cursor.execute("COMMIT")
    try:
        yield
    finally:
        if cursor.connection.in_transaction:
            cursor.execute("ROLLBACK")
        cursor.execute("BEGIN IMMEDIATE")
        for statement in SQLITE_REBUILD:
            cursor.execute(statement)
        for sql in saved.values():
            cursor.execute(sql)
        cursor.execute("COMMIT")


def rebuild_postgres(cursor: DBAPICursor) -> None:
    """Refill the derived tables from scratch inside the caller's transaction."""
    for statement in POSTGRES_REBUILD:
        cursor.execute(statement)


def compact_search(session: Session | scoped_session[Session]) -> None:
    """Rewrite SQLite's full-text indexes without the entries of rows changed since, so an
    erased person's words leave the database file now.

    FTS5 takes a row out of its index by writing a tombstone beside the old entries, which
    stay in the file until their segment happens to be merged: the trigrams of an erased
    name, e-mail address and phone number, and the words of their messages, would stay
    readable to anyone holding the file. ``optimize`` merges each index into one segment
    without them, and the pages it frees are zeroed (``secure_delete``, clinic.database). The
    rewrite grows with the table and new inquiries wait while it runs, so it follows an erasure
    only, never a routine write. PostgreSQL keeps its search
    rows in tables whose old versions VACUUM reclaims (autovacuum, usually within minutes).
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    for statement in SQLITE_COMPACT_SEARCH:
        session.execute(text(statement))
