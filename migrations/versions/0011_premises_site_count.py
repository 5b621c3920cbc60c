"""Premises counted per site, kind and availability, kept exact by triggers

Revision ID: b6c7d8e9f0a1
Revises: a5b6c7d8e9f0
Create Date: 2026-11-26 13:20:00.000000

The map's clusters count the matching premises per site: at 1,000,000 premises a tile of the
whole territory reads some 150,000 index entries. This table holds those counts (premises not
archived only), so that a search by kind, availability and site reads a few thousand rows.
Statement-level triggers with transition tables keep it exact: each statement's rows are
aggregated per key, then applied to the keys they touch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b6c7d8e9f0a1"
down_revision: str | None = "a5b6c7d8e9f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("office", "workshop", "warehouse", "land_plot", "desk", "mixed")
AVAILABILITIES = ("available", "reserved", "occupied", "under_construction")

# The change of each key by a statement: +1 per new row, -1 per old row (not archived).
_DELTA = {
    "INSERT": "SELECT site_id, kind, availability, 1 AS n FROM new_rows WHERE archived_at IS NULL",
    "DELETE": "SELECT site_id, kind, availability, -1 AS n FROM old_rows WHERE archived_at IS NULL",
    "UPDATE": "SELECT site_id, kind, availability, 1 AS n FROM new_rows "
    "WHERE archived_at IS NULL UNION ALL "
    "SELECT site_id, kind, availability, -1 FROM old_rows WHERE archived_at IS NULL",
}

_AGGREGATE = """
    SELECT array_agg(site_id ORDER BY site_id, kind, availability),
           array_agg(kind ORDER BY site_id, kind, availability),
           array_agg(availability ORDER BY site_id, kind, availability),
           array_agg(n ORDER BY site_id, kind, availability)
      INTO sites, kinds, states, deltas
      FROM (SELECT site_id, kind, availability, sum(n)::integer AS n
              FROM ({rows}) AS changed
             GROUP BY site_id, kind, availability
            HAVING sum(n) <> 0) AS delta;
"""

_DELTA_ROWS = "unnest(sites, kinds, states, deltas) AS d(site_id, kind, availability, n)"
_SAME_KEY = "c.site_id = d.site_id AND c.kind = d.kind AND c.availability = d.availability"

APPLY = f"""
CREATE FUNCTION premises_site_count_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sites integer[];
    kinds varchar[];
    states varchar[];
    deltas integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_AGGREGATE.format(rows=_DELTA["INSERT"])}
    ELSIF TG_OP = 'DELETE' THEN
        {_AGGREGATE.format(rows=_DELTA["DELETE"])}
    ELSE
        {_AGGREGATE.format(rows=_DELTA["UPDATE"])}
    END IF;
    IF sites IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        -- The keys' rows locked in one order, so that the statements below read their
        -- latest values (read committed) and concurrent writers do not deadlock.
        PERFORM 1 FROM premises_site_count AS c, {_DELTA_ROWS}
          WHERE {_SAME_KEY}
          ORDER BY c.site_id, c.kind, c.availability
          FOR UPDATE OF c;
        DELETE FROM premises_site_count AS c USING {_DELTA_ROWS}
          WHERE {_SAME_KEY} AND d.n < 0 AND c.n + d.n <= 0;
        UPDATE premises_site_count AS c SET n = c.n + d.n FROM {_DELTA_ROWS}
          WHERE {_SAME_KEY} AND d.n < 0;
    END IF;
    INSERT INTO premises_site_count AS c (site_id, kind, availability, n)
    SELECT d.site_id, d.kind, d.availability, d.n FROM {_DELTA_ROWS}
     WHERE d.n > 0
     ORDER BY d.site_id, d.kind, d.availability
    ON CONFLICT (site_id, kind, availability) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$
"""  # noqa: S608 (constant text: no value from outside)

EMPTY = """
CREATE FUNCTION premises_site_count_empty() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM premises_site_count;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER premises_site_count_insert AFTER INSERT ON premises "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION premises_site_count_apply()",
    "CREATE TRIGGER premises_site_count_update AFTER UPDATE ON premises "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION premises_site_count_apply()",
    "CREATE TRIGGER premises_site_count_delete AFTER DELETE ON premises "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION premises_site_count_apply()",
    "CREATE TRIGGER premises_site_count_truncate AFTER TRUNCATE ON premises "
    "FOR EACH STATEMENT EXECUTE FUNCTION premises_site_count_empty()",
)

BACKFILL = """
INSERT INTO premises_site_count (site_id, kind, availability, n)
SELECT site_id, kind, availability, count(*) FROM premises
 WHERE archived_at IS NULL
 GROUP BY site_id, kind, availability
"""


def upgrade() -> None:
    op.create_table(
        "premises_site_count",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="premises_kind", native_enum=False,
                                  create_constraint=True, length=32), nullable=False),
        sa.Column("availability", sa.Enum(*AVAILABILITIES, name="availability",
                                          native_enum=False, create_constraint=True,
                                          length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.CheckConstraint("n > 0", name=op.f("ck_premises_site_count_n_positive")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], ondelete="CASCADE",
                                name=op.f("fk_premises_site_count_site_id_site")),
        sa.PrimaryKeyConstraint("site_id", "kind", "availability",
                                name=op.f("pk_premises_site_count")),
    )  # fmt: skip
    # A search's kinds and availabilities over every site: read from this index alone.
    op.create_index("ix_premises_site_count_search", "premises_site_count",
                    ["kind", "availability", "site_id"], unique=False,
                    postgresql_include=["n"])  # fmt: skip
    op.execute("LOCK TABLE premises IN SHARE MODE")  # no write between the backfill and triggers
    op.execute(BACKFILL)
    op.execute("ANALYZE premises_site_count")
    op.execute(APPLY)
    op.execute(EMPTY)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    for name in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER premises_site_count_{name} ON premises")
    op.execute("DROP FUNCTION premises_site_count_empty()")
    op.execute("DROP FUNCTION premises_site_count_apply()")
    op.drop_index("ix_premises_site_count_search", table_name="premises_site_count")
    op.drop_table("premises_site_count")
