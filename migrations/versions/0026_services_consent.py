"""clinicians, services and prices, and the consent text each inquiry saw

New tables: ``clinicians`` (who gives the clinic's services: credentials, licence, a short bio),
``services`` (the consultation and each treatment programme, with a price or price range, what
is included, who gives it and its regulatory standing, an NCT number for a registered trial),
both shown on the public /services and /clinicians pages once published, and ``consent_texts``
(each distinct consent wording the form showed, stored once by its SHA-256). New nullable column
``inquiries.consent_text_id``: the wording an inquiry agreed to; new inquiries set it.

Existing inquiries are not rewritten: the wording of the one consent version used so far
("2026-11-28", unchanged since the first release) is stored here, and an older inquiry's record
finds it by its ``consent_version``. Reading when that wording was first shown reads the
inquiries once.

Revision ID: 0026_services_consent
Revises: 0025_clinic_profile
Create Date: 2026-12-07 18:40:00

"""

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0026_services_consent"
down_revision = "0025_clinic_profile"
branch_labels = None
depends_on = None

COLUMN = "consent_text_id"
FOREIGN_KEY = "fk_inquiries_consent_text_id_consent_texts"

# The wording the form has shown since the first release, copied here (not imported) so this
# migration stores the same text whatever the code says later: the consent box, then the
# optional text-message box, as clinic.leads.consent.shown_wording() joins them.
FIRST_VERSION = "2026-11-28"
FIRST_TEXT = (
    "I agree that the clinic may store the information in this form and use it to contact me "
    "about my inquiry. I understand this is not a request for emergency care and that sending "
    "it does not start any treatment or create any obligation."
    "\n\n"
    "You may also send me text messages about my inquiry (optional; message and data rates may "
    "apply; reply STOP to opt out)."
)


def upgrade():
    op.create_table(
        "clinicians",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credentials", sa.String(length=120), nullable=False),
        sa.Column("licence_state", sa.String(length=60), nullable=False),
        sa.Column("licence_number", sa.String(length=60), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_clinicians_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinicians")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("included", sa.Text(), nullable=False),
        sa.Column("price_min_cents", sa.Integer(), nullable=False),
        sa.Column("price_max_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price_note", sa.String(length=300), nullable=False),
        sa.Column("given_by_clinician_id", sa.Integer(), nullable=True),
        sa.Column("given_by_text", sa.String(length=200), nullable=False),
        sa.Column("regulatory_standing", sa.String(length=40), nullable=False),
        sa.Column("nct_number", sa.String(length=11), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "price_max_cents IS NULL OR price_max_cents >= price_min_cents",
            name=op.f("ck_services_price_order"),
        ),
        sa.CheckConstraint(
            "regulatory_standing <> 'registered_trial' OR nct_number IS NOT NULL",
            name=op.f("ck_services_trial_has_nct"),
        ),
        sa.ForeignKeyConstraint(
            ["given_by_clinician_id"],
            ["clinicians.id"],
            name=op.f("fk_services_given_by_clinician_id_clinicians"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    consent_texts = op.create_table(
        "consent_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("first_shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_texts")),
        sa.UniqueConstraint("sha256", name=op.f("uq_consent_texts_sha256")),
    )
    op.create_index(op.f("ix_consent_texts_version"), "consent_texts", ["version"])
    # SQLite adds a nullable column with its reference in place; batch mode would copy the
    # whole inquiries table to do the same.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE inquiries ADD COLUMN {COLUMN} INTEGER "
            f"CONSTRAINT {FOREIGN_KEY} REFERENCES consent_texts (id)"
        )
    else:
        op.add_column("inquiries", sa.Column(COLUMN, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(FOREIGN_KEY), "inquiries", "consent_texts", [COLUMN], ["id"])

    bind = op.get_bind()
    first_shown = bind.execute(
        sa.text("SELECT MIN(consent_at) FROM inquiries WHERE consent_version = :version"),
        {"version": FIRST_VERSION},
    ).scalar()
    if isinstance(first_shown, str):  # SQLite hands back its text
        first_shown = datetime.fromisoformat(first_shown)
    if first_shown is None:
        first_shown = datetime.now(UTC)
    if bind.dialect.name == "sqlite":  # stored naive UTC there, as UTCDateTime does
        first_shown = first_shown.replace(tzinfo=None)
    op.bulk_insert(
        consent_texts,
        [
            {
                "version": FIRST_VERSION,
                "text": FIRST_TEXT,
                "sha256": hashlib.sha256(FIRST_TEXT.encode()).hexdigest(),
                "first_shown_at": first_shown,
            }
        ],
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE inquiries DROP COLUMN {COLUMN}")
    else:
        op.drop_constraint(op.f(FOREIGN_KEY), "inquiries", type_="foreignkey")
        op.drop_column("inquiries", COLUMN)
    op.drop_index(op.f("ix_consent_texts_version"), table_name="consent_texts")
    op.drop_table("consent_texts")
    op.drop_table("services")
    op.drop_table("clinicians")
