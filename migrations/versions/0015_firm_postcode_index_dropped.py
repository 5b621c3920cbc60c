"""The index of the firms' postcodes alone, which no query reads, dropped

Revision ID: f0a1b2c3d4e5
Revises: e9f0a1b2c3d4
Create Date: 2026-11-26 18:45:00.000000

The firms of a postcode are looked for only with their name (the duplicate search), which
``ix_firm_name_normalised_postcode`` serves; every firm written kept this index up to date
for nothing (one of the nine an import fills, 10 MB at 1,350,000 firms).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f0a1b2c3d4e5"
down_revision: str | None = "e9f0a1b2c3d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_firm_postcode", table_name="firm")


def downgrade() -> None:
    op.create_index("ix_firm_postcode", "firm", ["postcode"], unique=False)
