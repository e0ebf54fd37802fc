"""derived tables in code: status counts and message search follow the code that changes them

``lead_counts`` (listed leads per status, condition and owner) and ``search_messages`` (one
full-text document per lead) were kept by triggers on ``leads`` and ``inquiries``. The functions
that change them now do it themselves, in the same transaction, where a reader finds the rule:
clinic.leads.counts (intake, status changes, assignment, merge, erasure) and
clinic.leads.derived.refresh_messages (intake, merge, erasure). The triggers and their
PostgreSQL functions go; ``flask reports backfill`` rebuilds both after rows are loaded around
the app.

SQLite's ``leads_fts_*`` triggers stay, on purpose: the trigram index is external-content FTS5,
which keeps no copy of the rows and must be told the exact old values of a changed row; a missed
or wrong one corrupts it silently. Only a trigger sees every writer (ORM, bulk UPDATE, the
sqlite3 shell, a restore), and erasure's promise that an erased name leaves the index rests on
it.

Downgrade recreates the dropped triggers and functions as migration 0005_performance wrote them.

Revision ID: 0021_derived_tables_in_code
Revises: 0020_two_factor
Create Date: 2026-12-07 13:20:00

"""

from alembic import op

revision = "0021_derived_tables_in_code"
down_revision = "0020_two_factor"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    "lead_counts_after_insert",
    "lead_counts_after_delete",
    "lead_counts_after_update",
    "search_messages_after_insert",
    "search_messages_after_delete",
    "search_messages_after_update",
)

# As in 0005_performance.
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

SQLITE_SEARCH_TRIGGERS = [
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
]

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

POSTGRES_SEARCH_TRIGGER = [
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
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS lead_counts_follow ON leads")
        op.execute("DROP FUNCTION IF EXISTS lead_counts_follow()")
        op.execute("DROP TRIGGER IF EXISTS search_messages_follow ON inquiries")
        op.execute("DROP FUNCTION IF EXISTS search_messages_follow()")
        op.execute("DROP FUNCTION IF EXISTS search_messages_refresh(integer)")


def downgrade():
    if _sqlite():
        statements = SQLITE_COUNT_TRIGGERS + SQLITE_SEARCH_TRIGGERS
    else:
        statements = POSTGRES_COUNT_TRIGGER + POSTGRES_SEARCH_TRIGGER
    for statement in statements:
        op.execute(statement)
