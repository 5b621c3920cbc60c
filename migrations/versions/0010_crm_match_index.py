"""CRM: firms' indexes on optional lookup values leave out the firms without one

Revision ID: a5b6c7d8e9f0
Revises: f4a5b6c7d8e9
Create Date: 2026-11-27 11:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a5b6c7d8e9f0"
down_revision: str | None = "f4a5b6c7d8e9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Searched by value only (same email domain, same phone, firms merged into one, positions):
# the firms without a value, most of them, need no entry.
PARTIAL = (
    ("ix_firm_email_domain", "email_domain", "btree"),
    ("ix_firm_phone", "phone", "btree"),
    ("ix_firm_merged_into_id", "merged_into_id", "btree"),
    ("idx_firm_location", "location", "gist"),
)


def upgrade() -> None:
    for name, column, using in PARTIAL:
        op.drop_index(name, table_name="firm")
        op.create_index(
            name,
            "firm",
            [column],
            unique=False,
            postgresql_using=using,
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )


def downgrade() -> None:
    for name, column, using in PARTIAL:
        op.drop_index(name, table_name="firm")
        op.create_index(name, "firm", [column], unique=False, postgresql_using=using)
