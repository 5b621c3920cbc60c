"""Inquiries from the public form

Revision ID: 9b0bdab7e7b7
Revises: 3f8a268dc88d
Create Date: 2026-11-26 06:20:35.046589

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b0bdab7e7b7"
down_revision: str | None = "3f8a268dc88d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("firm_name", sa.String(length=200), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column(
            "premises_kind",
            sa.Enum(
                "office",
                "workshop",
                "warehouse",
                "land_plot",
                "desk",
                "mixed",
                name="premises_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("surface_min_m2", sa.Integer(), nullable=True),
        sa.Column("surface_max_m2", sa.Integer(), nullable=True),
        sa.Column("wanted_from", sa.Date(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "handled",
                name="inquiry_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="new",
            nullable=False,
        ),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
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
            "(status = 'handled') = (handled_at IS NOT NULL)",
            name=op.f("ck_inquiry_handled_at_when_handled"),
        ),
        sa.CheckConstraint("position('@' in email) > 1", name=op.f("ck_inquiry_email_format")),
        sa.CheckConstraint("siret ~ '^[0-9]{14}$'", name=op.f("ck_inquiry_siret_format")),
        sa.CheckConstraint(
            "surface_max_m2 IS NULL OR surface_max_m2 > 0",
            name=op.f("ck_inquiry_surface_max_positive"),
        ),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_max_m2 IS NULL OR surface_min_m2 <= surface_max_m2",
            name=op.f("ck_inquiry_surface_range"),
        ),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_min_m2 > 0",
            name=op.f("ck_inquiry_surface_min_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["app_user.id"],
            name=op.f("fk_inquiry_handled_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_inquiry_premises_id_premises"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_inquiry_site_id_site"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry")),
    )
    op.create_index(op.f("ix_inquiry_handled_by_id"), "inquiry", ["handled_by_id"], unique=False)
    op.create_index(op.f("ix_inquiry_premises_id"), "inquiry", ["premises_id"], unique=False)
    op.create_index(op.f("ix_inquiry_site_id"), "inquiry", ["site_id"], unique=False)
    op.create_index(op.f("ix_inquiry_status"), "inquiry", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inquiry_status"), table_name="inquiry")
    op.drop_index(op.f("ix_inquiry_site_id"), table_name="inquiry")
    op.drop_index(op.f("ix_inquiry_premises_id"), table_name="inquiry")
    op.drop_index(op.f("ix_inquiry_handled_by_id"), table_name="inquiry")
    op.drop_table("inquiry")
