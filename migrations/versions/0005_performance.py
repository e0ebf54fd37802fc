"""performance at a million leads: status counts, search indexes

- ``lead_counts``: listed leads per status, condition and owner, kept by triggers on ``leads``
  in the same transaction as each change, so the inbox's status tabs never count the table.
- Search: names, email addresses and phone digits are matched as substrings through trigram
  indexes (SQLite FTS5 ``trigram`` over ``leads``, PostgreSQL ``pg_trgm``); messages word by
  word through ``search_messages``, one full-text document per lead (SQLite FTS5
  ``unicode61``, PostgreSQL ``tsvector`` with ``unaccent``). Triggers keep both in step.
- B-tree indexes for a coordinator's due follow-ups and for leads merged into another
  (partial: only those, so "not merged" never looks selective to a planner).

The triggers belong to the ``leads`` and ``inquiries`` tables: a later migration that makes
Alembic rebuild either table on SQLite (batch mode with a table copy) drops them. The test
tests/test_search_index.py fails when they are missing; recreate them with the functions here.

Revision ID: 0005_performance
Revises: 0004_audit_filter_indexes
Create Date: 2026-11-28 18:24:48.601988

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_performance"
down_revision = "0004_audit_filter_indexes"
branch_labels = None
depends_on = None

LISTED = "{row}.merged_into_id IS NULL AND {row}.erased_at IS NULL"
COUNT_KEY = "{row}.status, {row}.condition_slug, coalesce({row}.owner_id, 0)"

SQLITE_COUNT_TRIGGERS = [
    f"""CREATE TRIGGER lead_counts_after_insert AFTER INSERT ON leads
    WHEN {LISTED.format(row="new")}
    BEGIN
      INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
      VALUES ({COUNT_KEY.format(row="new")}, 1)
      ON CONFLICT (status, condition_slug, owner_key) DO UPDATE SET leads = leads + 1;
    END""",
    f"""CREATE TRIGGER lead_counts_after_delete AFTER DELETE ON leads
    WHEN {LISTED.format(row="old")}
    BEGIN
      UPDATE lead_counts SET leads = leads - 1
      WHERE (status, condition_slug, owner_key) = ({COUNT_KEY.format(row="old")});
    END""",
    f"""CREATE TRIGGER lead_counts_after_update
    AFTER UPDATE OF status, condition_slug, owner_id, merged_into_id, erased_at ON leads
    BEGIN
      UPDATE lead_counts SET leads = leads - 1
      WHERE (status, condition_slug, owner_key) = ({COUNT_KEY.format(row="old")})
        AND {LISTED.format(row="old")};
      INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
      SELECT {COUNT_KEY.format(row="new")}, 1 WHERE {LISTED.format(row="new")}
      ON CONFLICT (status, condition_slug, owner_key) DO UPDATE SET leads = leads + 1;
    END""",
]

SQLITE_REFRESH = """DELETE FROM search_messages WHERE rowid = {lead};
      INSERT INTO search_messages (rowid, words)
      SELECT {lead}, group_concat(message, ' ') FROM inquiries WHERE lead_id = {lead}
      HAVING count(*) > 0;"""
SQLITE_FILL_MESSAGES = """INSERT INTO search_messages (rowid, words)
SELECT lead_id, group_concat(message, ' ') FROM inquiries GROUP BY lead_id"""

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE leads_fts USING fts5(
      name_key, email_key, phone_digits, content='leads', content_rowid='id', tokenize='trigram'
    )""",
    """CREATE TRIGGER leads_fts_after_insert AFTER INSERT ON leads BEGIN
      INSERT INTO leads_fts (rowid, name_key, email_key, phone_digits)
      VALUES (new.id, new.name_key, new.email_key, new.phone_digits);
    END""",
    """CREATE TRIGGER leads_fts_after_delete AFTER DELETE ON leads BEGIN
      INSERT INTO leads_fts (leads_fts, rowid, name_key, email_key, phone_digits)
      VALUES ('delete', old.id, old.name_key, old.email_key, old.phone_digits);
    END""",
    """CREATE TRIGGER leads_fts_after_update
    AFTER UPDATE OF name_key, email_key, phone_digits ON leads BEGIN
      INSERT INTO leads_fts (leads_fts, rowid, name_key, email_key, phone_digits)
      VALUES ('delete', old.id, old.name_key, old.email_key, old.phone_digits);
      INSERT INTO leads_fts (rowid, name_key, email_key, phone_digits)
      VALUES (new.id, new.name_key, new.email_key, new.phone_digits);
    END""",
    # Every message of a lead in one document whose rowid is the lead's id, so a message
    # search yields lead ids without looking up each matching inquiry.
    """CREATE VIRTUAL TABLE search_messages USING fts5(
      words, tokenize='unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER search_messages_after_insert AFTER INSERT ON inquiries BEGIN
      {SQLITE_REFRESH.format(lead="new.lead_id")}
    END""",
    f"""CREATE TRIGGER search_messages_after_delete AFTER DELETE ON inquiries BEGIN
      {SQLITE_REFRESH.format(lead="old.lead_id")}
    END""",
    f"""CREATE TRIGGER search_messages_after_update AFTER UPDATE OF message, lead_id ON inquiries
    BEGIN
      {SQLITE_REFRESH.format(lead="old.lead_id")}
      {SQLITE_REFRESH.format(lead="new.lead_id")}
    END""",
    "INSERT INTO leads_fts (leads_fts) VALUES ('rebuild')",
    SQLITE_FILL_MESSAGES,
]

# Row locks on two count rows are always taken in key order, so two transactions moving leads
# in opposite directions (new → lost, lost → new) queue instead of deadlocking.
POSTGRES_COUNT_TRIGGER = [
    f"""CREATE FUNCTION lead_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      old_key text;
      new_key text;
    BEGIN
      IF TG_OP <> 'INSERT' AND {LISTED.format(row="OLD")} THEN
        old_key := concat_ws('|', OLD.status, OLD.condition_slug, coalesce(OLD.owner_id, 0));
      END IF;
      IF TG_OP <> 'DELETE' AND {LISTED.format(row="NEW")} THEN
        new_key := concat_ws('|', NEW.status, NEW.condition_slug, coalesce(NEW.owner_id, 0));
      END IF;
      IF old_key IS NOT DISTINCT FROM new_key THEN
        RETURN NULL;
      END IF;
      IF new_key IS NOT NULL AND (old_key IS NULL OR new_key < old_key) THEN
        INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
        VALUES ({COUNT_KEY.format(row="NEW")}, 1)
        ON CONFLICT (status, condition_slug, owner_key)
        DO UPDATE SET leads = lead_counts.leads + 1;
        new_key := NULL;
      END IF;
      IF old_key IS NOT NULL THEN
        UPDATE lead_counts SET leads = leads - 1
        WHERE (status, condition_slug, owner_key) = ({COUNT_KEY.format(row="OLD")});
      END IF;
      IF new_key IS NOT NULL THEN
        INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
        VALUES ({COUNT_KEY.format(row="NEW")}, 1)
        ON CONFLICT (status, condition_slug, owner_key)
        DO UPDATE SET leads = lead_counts.leads + 1;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER lead_counts_follow
    AFTER INSERT OR DELETE OR UPDATE OF status, condition_slug, owner_id, merged_into_id, erased_at
    ON leads FOR EACH ROW EXECUTE FUNCTION lead_counts_follow()""",
]

# strip(): word positions serve phrase search and ranking, which the inbox does not do; without
# them the table is a third smaller and a search reads fewer pages.
POSTGRES_FILL_MESSAGES = """INSERT INTO search_messages (lead_id, words)
SELECT lead_id, strip(to_tsvector('clinic_search'::regconfig, string_agg(message, ' ')))
FROM inquiries GROUP BY lead_id"""

POSTGRES_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # 'simple' (no stemming, no stop words: patients' words are kept as typed) plus unaccent,
    # so 'anos' finds 'años' as SQLite's remove_diacritics does.
    "CREATE TEXT SEARCH CONFIGURATION clinic_search (COPY = simple)",
    """ALTER TEXT SEARCH CONFIGURATION clinic_search
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple""",
    "CREATE INDEX search_leads_name_key ON leads USING gin (name_key gin_trgm_ops)",
    "CREATE INDEX search_leads_email_key ON leads USING gin (email_key gin_trgm_ops)",
    "CREATE INDEX search_leads_phone_digits ON leads USING gin (phone_digits gin_trgm_ops)",
    # Every message of a lead as one stored tsvector, kept by a trigger on inquiries, so a
    # message search reads a narrow table and yields lead ids directly.
    """CREATE TABLE search_messages (
      lead_id integer PRIMARY KEY, words tsvector NOT NULL
    )""",
    """CREATE FUNCTION search_messages_refresh(lead integer) RETURNS void LANGUAGE sql AS $$
      DELETE FROM search_messages WHERE lead_id = lead;
      INSERT INTO search_messages (lead_id, words)
      SELECT lead, strip(to_tsvector('clinic_search'::regconfig, string_agg(message, ' ')))
      FROM inquiries WHERE lead_id = lead HAVING count(*) > 0;
    $$""",
    """CREATE FUNCTION search_messages_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        PERFORM search_messages_refresh(OLD.lead_id);
      END IF;
      IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.lead_id <> OLD.lead_id) THEN
        PERFORM search_messages_refresh(NEW.lead_id);
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER search_messages_follow
    AFTER INSERT OR DELETE OR UPDATE OF message, lead_id ON inquiries
    FOR EACH ROW EXECUTE FUNCTION search_messages_follow()""",
    POSTGRES_FILL_MESSAGES,
    "CREATE INDEX search_messages_words ON search_messages USING gin (words)",
]

FILL_COUNTS = f"""INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
SELECT {COUNT_KEY.format(row="leads")}, count(*) FROM leads WHERE {LISTED.format(row="leads")}
GROUP BY 1, 2, 3"""


def upgrade():
    op.create_table(
        "lead_counts",
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("condition_slug", sa.String(length=80), nullable=False),
        sa.Column("owner_key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "status", "condition_slug", "owner_key", name=op.f("pk_lead_counts")
        ),
    )
    op.create_index(
        "ix_leads_merged_into_id",
        "leads",
        ["merged_into_id"],
        sqlite_where=sa.text("merged_into_id IS NOT NULL"),
        postgresql_where=sa.text("merged_into_id IS NOT NULL"),
    )
    op.create_index("ix_leads_owner_follow_up_on", "leads", ["owner_id", "follow_up_on"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in [FILL_COUNTS] + (
        SQLITE_COUNT_TRIGGERS + SQLITE_SEARCH if sqlite else POSTGRES_COUNT_TRIGGER + POSTGRES_SEARCH
    ):
        op.execute(statement)
    if sqlite:
        # SQLite plans from the statistics ANALYZE keeps: give the new indexes theirs.
        op.execute("PRAGMA analysis_limit = 2000")
        op.execute("ANALYZE")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ("lead_counts_after_insert", "lead_counts_after_delete",
                     "lead_counts_after_update", "leads_fts_after_insert",
                     "leads_fts_after_delete", "leads_fts_after_update",
                     "search_messages_after_insert", "search_messages_after_delete",
                     "search_messages_after_update"):  # fmt: skip
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS leads_fts")
        op.execute("DROP TABLE IF EXISTS search_messages")
    else:
        op.execute("DROP TRIGGER IF EXISTS lead_counts_follow ON leads")
        op.execute("DROP FUNCTION IF EXISTS lead_counts_follow()")
        op.execute("DROP TRIGGER IF EXISTS search_messages_follow ON inquiries")
        op.execute("DROP FUNCTION IF EXISTS search_messages_follow()")
        op.execute("DROP FUNCTION IF EXISTS search_messages_refresh(integer)")
        op.execute("DROP TABLE IF EXISTS search_messages")
        for name in ("search_leads_name_key", "search_leads_email_key",
                     "search_leads_phone_digits"):  # fmt: skip
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS clinic_search")
    op.drop_index("ix_leads_owner_follow_up_on", table_name="leads")
    op.drop_index("ix_leads_merged_into_id", table_name="leads")
    op.drop_table("lead_counts")
