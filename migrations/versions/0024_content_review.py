"""pages in the database: revisions, clinicians' reviews, structured references, bylines

New tables: ``page_revisions`` (every saved version of a page's source: title, summary,
condition, section labels, Markdown body, structured references, author, note; shipped versions
have no author) and ``page_reviews`` (a clinical reviewer's approval or request for changes of
one revision, with the sentences the claim checker flagged and why they stand). New columns on
``articles``: ``references_json`` (the published references), ``published_revision`` (its
number), ``written_by_id``, ``reviewed_by_id`` and ``reviewed_at`` (the byline, copied from the
approval). ``articles.last_reviewed`` is dropped: the reviewed-on date now comes from an
approval. Existing pages get a first revision from ``flask content sync`` (run it after
upgrading); nothing else is rewritten.

Revision ID: 0024_content_review
Revises: 0023_staff_roles
Create Date: 2026-12-07 18:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0024_content_review"
down_revision = "0023_staff_roles"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("articles") as batch:
        batch.add_column(
            sa.Column("references_json", sa.Text(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("published_revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("written_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_articles_written_by_id_staff_users", "staff_users", ["written_by_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_articles_reviewed_by_id_staff_users", "staff_users", ["reviewed_by_id"], ["id"]
        )
        batch.drop_column("last_reviewed")

    op.create_table(
        "page_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("condition_name", sa.String(120), nullable=True),
        sa.Column("sections_json", sa.Text(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("references_json", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_page_revisions_article_id_articles"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_users.id"], name="fk_page_revisions_author_id_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_page_revisions"),
        sa.UniqueConstraint("article_id", "number", name="uq_page_revisions_article_id"),
    )
    op.create_index("ix_page_revisions_article_id", "page_revisions", ["article_id"])

    op.create_table(
        "page_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("flagged_json", sa.Text(), nullable=False),
        sa.Column("claims_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["page_revisions.id"],
            name="fk_page_reviews_revision_id_page_revisions",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["staff_users.id"], name="fk_page_reviews_reviewer_id_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_page_reviews"),
    )
    op.create_index("ix_page_reviews_revision_id", "page_reviews", ["revision_id"])


def downgrade():
    op.drop_index("ix_page_reviews_revision_id", table_name="page_reviews")
    op.drop_table("page_reviews")
    op.drop_index("ix_page_revisions_article_id", table_name="page_revisions")
    op.drop_table("page_revisions")
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("last_reviewed", sa.Date(), nullable=True))
        batch.drop_constraint("fk_articles_reviewed_by_id_staff_users", type_="foreignkey")
        batch.drop_constraint("fk_articles_written_by_id_staff_users", type_="foreignkey")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_by_id")
        batch.drop_column("written_by_id")
        batch.drop_column("published_revision")
        batch.drop_column("references_json")
