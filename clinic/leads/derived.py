"""Tables derived from leads and inquiries — the status counts (``lead_counts``) and the search
indexes (``leads_fts``, ``search_messages``) — and how a bulk load rebuilds them.

Triggers keep them in step with every row an app writes (migration 0005_performance). A bulk
load of a million leads would spend most of its time in those triggers, so it sets them aside
(SQLite) or skips them (PostgreSQL, ``session_replication_role = replica``) and rebuilds the
derived tables in one pass at the end, which gives exactly what the triggers would have.
These functions take a DB-API cursor: bulk loads write around the ORM.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

# SQLite's full-text tables (FTS5) of migration 0005_performance, each merged into one segment.
SQLITE_COMPACT_SEARCH = (
    "INSERT INTO leads_fts (leads_fts) VALUES ('optimize')",
    "INSERT INTO search_messages (search_messages) VALUES ('optimize')",
)

# The triggers of migration 0005_performance on SQLite.
SQLITE_TRIGGERS = (
    "lead_counts_after_insert",
    "lead_counts_after_delete",
    "lead_counts_after_update",
    "leads_fts_after_insert",
    "leads_fts_after_delete",
    "leads_fts_after_update",
    "search_messages_after_insert",
    "search_messages_after_delete",
    "search_messages_after_update",
)

FILL_COUNTS = """INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
SELECT status, condition_slug, coalesce(owner_id, 0), count(*) FROM leads
WHERE merged_into_id IS NULL AND erased_at IS NULL GROUP BY 1, 2, 3"""

SQLITE_REBUILD = (
    "DELETE FROM lead_counts",
    FILL_COUNTS,
    "INSERT INTO leads_fts (leads_fts) VALUES ('rebuild')",
    "DELETE FROM search_messages",
    """INSERT INTO search_messages (rowid, words)
    SELECT lead_id, group_concat(message, ' ') FROM inquiries GROUP BY lead_id""",
)

POSTGRES_REBUILD = (
    "TRUNCATE lead_counts, search_messages",
    FILL_COUNTS,
    """INSERT INTO search_messages (lead_id, words)
    SELECT lead_id, strip(to_tsvector('clinic_search'::regconfig, string_agg(message, ' ')))
    FROM inquiries GROUP BY lead_id""",
)


@contextmanager
def sqlite_triggers_set_aside(cursor) -> Iterator[None]:
    """Drop the derived tables' triggers for a bulk load, then rebuild the tables and put the
    triggers back — also when the load fails part-way, so the database stays consistent with
    whatever was written. Nothing else may write to the database meanwhile."""
    triggers = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    saved = [sql for name, sql in triggers.fetchall() if name in SQLITE_TRIGGERS]
    cursor.execute("BEGIN IMMEDIATE")
    for name in SQLITE_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    cursor.execute("COMMIT")
    try:
        yield
    finally:
        if cursor.connection.in_transaction:
            cursor.execute("ROLLBACK")
        cursor.execute("BEGIN IMMEDIATE")
        for statement in SQLITE_REBUILD:
            cursor.execute(statement)
        for sql in saved:
            cursor.execute(sql)
        cursor.execute("COMMIT")


def rebuild_postgres(cursor) -> None:
    """Refill the derived tables from scratch inside the caller's transaction."""
    for statement in POSTGRES_REBUILD:
        cursor.execute(statement)


def compact_search(session) -> None:
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
