"""Partial index for premises without their own geometry

Revision ID: 826e21822534
Revises: 9b0bdab7e7b7
Create Date: 2026-11-26 06:39:52.342367

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "826e21822534"
down_revision: str | None = "9b0bdab7e7b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_premises_site_id_without_geometry",
        "premises",
        ["site_id"],
        unique=False,
        postgresql_where=sa.text("geometry IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_premises_site_id_without_geometry",
        table_name="premises",
        postgresql_where=sa.text("geometry IS NULL"),
    )
