"""Search indexes: partial indexes on current premises for the public search's orders

Revision ID: f4a5b6c7d8e9
Revises: e3f4a5b6c7d8
Create Date: 2026-11-27 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f4a5b6c7d8e9"
down_revision: str | None = "e3f4a5b6c7d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("archived_at IS NULL")
# « Disponible le plus tôt d'abord »: no date and available first, then by date, then no date
# and not available (sites.models.AVAILABLE_ORDER).
AVAILABLE_ORDER = sa.text(
    "coalesce(available_from, CASE availability WHEN 'available' THEN '-infinity'::date "
    "ELSE 'infinity'::date END)"
)
PRICE = sa.text("coalesce(rent_eur_m2_year, sale_price_eur_m2)")


def upgrade() -> None:
    op.create_index(
        "ix_premises_search_available",
        "premises",
        [AVAILABLE_ORDER, "id"],
        unique=False,
        postgresql_where=CURRENT,
    )
    op.create_index(
        "ix_premises_search_surface",
        "premises",
        ["surface_m2", "id"],
        unique=False,
        postgresql_where=CURRENT,
    )
    op.create_index(
        "ix_premises_search_price",
        "premises",
        [PRICE, "id"],
        unique=False,
        postgresql_where=CURRENT,
    )
    op.create_index(
        "ix_premises_search_price_desc",
        "premises",
        [
            sa.text("coalesce(rent_eur_m2_year, sale_price_eur_m2) DESC NULLS LAST"),
            sa.text("id DESC"),
        ],
        unique=False,
        postgresql_where=CURRENT,
    )
    op.create_index(
        "ix_premises_search_site",
        "premises",
        ["site_id", "kind"],
        unique=False,
        postgresql_include=[
            "id",
            "availability",
            "surface_m2",
            "rent_eur_m2_year",
            "sale_price_eur_m2",
            "available_from",
        ],
        postgresql_where=CURRENT,
    )
    op.create_index(
        "ix_premises_search_kind",
        "premises",
        ["kind", "availability", "surface_m2"],
        unique=False,
        postgresql_where=CURRENT,
    )
    op.create_index(
        "ix_premises_search_geometry",
        "premises",
        ["geometry"],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text(
            "archived_at IS NULL AND availability IN ('available', 'under_construction')"
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_premises_search_geometry", table_name="premises", postgresql_using="gist")
    op.drop_index("ix_premises_search_kind", table_name="premises", postgresql_where=CURRENT)
    op.drop_index("ix_premises_search_site", table_name="premises", postgresql_where=CURRENT)
    op.drop_index("ix_premises_search_price_desc", table_name="premises", postgresql_where=CURRENT)
    op.drop_index("ix_premises_search_price", table_name="premises", postgresql_where=CURRENT)
    op.drop_index("ix_premises_search_surface", table_name="premises", postgresql_where=CURRENT)
    op.drop_index("ix_premises_search_available", table_name="premises", postgresql_where=CURRENT)
