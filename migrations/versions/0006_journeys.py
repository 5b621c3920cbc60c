"""Occupancies (no overlap per premises, by exclusion constraint) and lead stage history

Revision ID: e2f3a4b5c6d7
Revises: 7c09c544e8b7
Create Date: 2026-11-26 07:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e2f3a4b5c6d7"
down_revision: str | None = "7c09c544e8b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = ("new", "qualified", "visit", "proposal", "won", "lost", "on_hold")
ACTIONS = (
    "create",
    "update",
    "delete",
    "merge",
    "unmerge",
    "claim",
    "export",
    "view_personal_data",
    "import",
)


def _audit_actions(values) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    op.execute("ALTER TABLE audit_entry DROP CONSTRAINT ck_audit_entry_audit_action")
    op.execute(
        f"ALTER TABLE audit_entry ADD CONSTRAINT ck_audit_entry_audit_action CHECK (action IN ({listed}))"
    )


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "occupancy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("term_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "exit_reason",
            sa.Enum(
                "moved_here",
                "left_territory",
                "closed",
                "other",
                name="exit_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("next_occupancy_id", sa.Integer(), nullable=True),
        sa.Column("destination_note", sa.Text(), nullable=True),
        sa.Column("jobs", sa.Integer(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        postgresql.ExcludeConstraint(
            (sa.column("premises_id"), "="),
            (sa.text("daterange(start_date, end_date, '[)')"), "&&"),
            using="gist",
            name="ex_occupancy_no_overlap",
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date > start_date", name=op.f("ck_occupancy_dates_ordered")
        ),
        sa.CheckConstraint(
            "term_date IS NULL OR term_date > start_date",
            name=op.f("ck_occupancy_term_after_start"),
        ),
        sa.CheckConstraint(
            "(exit_reason IS NULL) OR (end_date IS NOT NULL)",
            name=op.f("ck_occupancy_exit_has_end_date"),
        ),
        sa.CheckConstraint(
            "next_occupancy_id IS NULL OR exit_reason = 'moved_here'",
            name=op.f("ck_occupancy_next_when_moved"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_occupancy_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["next_occupancy_id"],
            ["occupancy.id"],
            name=op.f("fk_occupancy_next_occupancy_id_occupancy"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_occupancy_premises_id_premises"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occupancy")),
    )
    op.create_index(op.f("ix_occupancy_firm_id"), "occupancy", ["firm_id"], unique=False)
    op.create_index(op.f("ix_occupancy_premises_id"), "occupancy", ["premises_id"], unique=False)
    op.create_index(op.f("ix_occupancy_term_date"), "occupancy", ["term_date"], unique=False)
    op.create_table(
        "lead_stage_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_stage",
            sa.Enum(
                *STAGES, name="from_stage", native_enum=False, create_constraint=True, length=32
            ),
            nullable=True,
        ),
        sa.Column(
            "to_stage",
            sa.Enum(*STAGES, name="to_stage", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
            name=op.f("fk_lead_stage_change_lead_id_lead"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_lead_stage_change_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_stage_change")),
    )
    op.create_index(
        op.f("ix_lead_stage_change_lead_id"), "lead_stage_change", ["lead_id"], unique=False
    )
    _audit_actions((*ACTIONS, "duplicate_warned"))


def downgrade() -> None:
    op.execute("DELETE FROM audit_entry WHERE action = 'duplicate_warned'")
    _audit_actions(ACTIONS)
    op.drop_index(op.f("ix_lead_stage_change_lead_id"), table_name="lead_stage_change")
    op.drop_table("lead_stage_change")
    op.drop_index(op.f("ix_occupancy_term_date"), table_name="occupancy")
    op.drop_index(op.f("ix_occupancy_premises_id"), table_name="occupancy")
    op.drop_index(op.f("ix_occupancy_firm_id"), table_name="occupancy")
    op.drop_table("occupancy")
