"""Account security: session tokens, TOTP two-factor authentication, recovery codes

Revision ID: e3f4a5b6c7d8
Revises: d1e2f3a4b5c6
Create Date: 2026-11-27 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3f4a5b6c7d8"
down_revision: str | None = "d1e2f3a4b5c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A volatile default: every existing account gets its own random token (two random UUIDs).
    op.add_column(
        "app_user",
        sa.Column(
            "session_token",
            sa.String(length=64),
            nullable=False,
            server_default=sa.text(
                "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')"
            ),
        ),
    )
    op.add_column("app_user", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column(
        "app_user", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("app_user", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_app_user_totp_secret_when_enabled"),
        "app_user",
        "(totp_secret IS NULL) = (totp_enabled_at IS NULL)",
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_recovery_code_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_constraint(op.f("ck_app_user_totp_secret_when_enabled"), "app_user", type_="check")
    op.drop_column("app_user", "totp_last_step")
    op.drop_column("app_user", "totp_enabled_at")
    op.drop_column("app_user", "totp_secret")
    op.drop_column("app_user", "session_token")
