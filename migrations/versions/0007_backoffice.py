"""Back-office: photos of sites and premises, events, archived premises, leads' events

Revision ID: d1e2f3a4b5c6
Revises: e2f3a4b5c6d7
Create Date: 2026-11-26 07:03:24.242163

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d1e2f3a4b5c6"
down_revision: str | None = "e2f3a4b5c6d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=250), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_event_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_event_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_index(op.f("ix_event_starts_on"), "event", ["starts_on"], unique=False)
    op.create_table(
        "event_organisation",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_organisation_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_event_organisation_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "organisation_id", name=op.f("pk_event_organisation")),
    )
    op.create_index(
        op.f("ix_event_organisation_organisation_id"),
        "event_organisation",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("alt_text <> ''", name=op.f("ck_photo_alt_text_given")),
        sa.CheckConstraint(
            "file_name ~ '^[0-9a-f]{32}\\.jpg$'", name=op.f("ck_photo_file_name_format")
        ),
        sa.CheckConstraint(
            "(site_id IS NULL) <> (premises_id IS NULL)", name=op.f("ck_photo_one_owner")
        ),
        sa.CheckConstraint(
            "width > 0 AND height > 0 AND thumb_width > 0 AND thumb_height > 0",
            name=op.f("ck_photo_size_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_photo_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_photo_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_photo_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
        sa.UniqueConstraint("file_name", name=op.f("uq_photo_file_name")),
    )
    op.create_index(op.f("ix_photo_premises_id"), "photo", ["premises_id"], unique=False)
    op.create_index(op.f("ix_photo_site_id"), "photo", ["site_id"], unique=False)
    op.add_column("interaction", sa.Column("event_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_interaction_event_id"), "interaction", ["event_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_interaction_event_id_event"),
        "interaction",
        "event",
        ["event_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("lead", sa.Column("event_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_lead_event_id"), "lead", ["event_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_lead_event_id_event"), "lead", "event", ["event_id"], ["id"], ondelete="SET NULL"
    )
    op.add_column("premises", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("premises", "archived_at")
    op.drop_constraint(op.f("fk_lead_event_id_event"), "lead", type_="foreignkey")
    op.drop_index(op.f("ix_lead_event_id"), table_name="lead")
    op.drop_column("lead", "event_id")
    op.drop_constraint(op.f("fk_interaction_event_id_event"), "interaction", type_="foreignkey")
    op.drop_index(op.f("ix_interaction_event_id"), table_name="interaction")
    op.drop_column("interaction", "event_id")
    op.drop_index(op.f("ix_photo_site_id"), table_name="photo")
    op.drop_index(op.f("ix_photo_premises_id"), table_name="photo")
    op.drop_table("photo")
    op.drop_index(op.f("ix_event_organisation_organisation_id"), table_name="event_organisation")
    op.drop_table("event_organisation")
    op.drop_index(op.f("ix_event_starts_on"), table_name="event")
    op.drop_table("event")
