"""The firms' distinct names split by their number of trigrams

Revision ID: a1b2c3d4e5f6
Revises: f0a1b2c3d4e5
Create Date: 2026-11-26 20:40:00.000000

pg_trgm's index can only bound a name's similarity to a probe by the share of the probe's
trigrams the name holds, not knowing the name's own number of trigrams: a long name holding
most of a probe's words passes, to be found too far by the similarity computed for it
afterwards. ``firm_name`` becomes partitioned by that number (``trigrams``, set by the
triggers), a trigram index each, so that the search can hold each band of lengths to the
share its names need (``queries.named``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1b2c3d4e5f6"
down_revision: str | None = "f0a1b2c3d4e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = (0, 18, 22, 25, 28, 31, 34, 38)  # FirmName.BANDS when this revision was written

# A name's number of trigrams, the band's key: one definition for the triggers that file the
# names and for the search that works out which bands a probe's similar names can be in.
TRIGRAMS = """
CREATE FUNCTION firm_name_trigrams(name text) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(array_length(show_trgm(name), 1), 0)
"""


def _trigger_function(name: str, statement: str) -> str:
    """A trigger function (AFTER, its result ignored) that runs ``statement``."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {statement}
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""


KEEPER = _trigger_function(
    "firm_name_kept",
    "INSERT INTO firm_name (name_normalised, trigrams)\n"
    "    SELECT name_normalised, firm_name_trigrams(name_normalised)\n"
    "    FROM (SELECT DISTINCT name_normalised FROM written_firms) AS names",
)
RENAMED = _trigger_function(
    "firm_name_renamed",
    "INSERT INTO firm_name (name_normalised, trigrams)\n"
    "    VALUES (NEW.name_normalised, firm_name_trigrams(NEW.name_normalised))",
)
# Migration 0014's functions, for the downgrade.
KEEPER_0014 = _trigger_function(
    "firm_name_kept",
    "INSERT INTO firm_name (name_normalised)\n"
    "    SELECT DISTINCT name_normalised FROM written_firms",
)
RENAMED_0014 = _trigger_function(
    "firm_name_renamed",
    "INSERT INTO firm_name (name_normalised) VALUES (NEW.name_normalised)",
)


def _trigram_index(table: str) -> None:
    op.create_index(
        "ix_firm_name_trgm",
        table,
        ["name_normalised"],
        postgresql_using="gin",
        postgresql_ops={"name_normalised": "gin_trgm_ops"},
    )


def upgrade() -> None:
    op.rename_table("firm_name", "firm_name_unsplit")
    op.execute(
        "ALTER TABLE firm_name_unsplit RENAME CONSTRAINT pk_firm_name TO pk_firm_name_unsplit"
    )
    op.execute("ALTER INDEX ix_firm_name_trgm RENAME TO ix_firm_name_unsplit_trgm")
    op.create_table(
        "firm_name",
        sa.Column("name_normalised", sa.String(length=250), nullable=False),
        sa.Column("trigrams", sa.SmallInteger(), nullable=False),
        postgresql_partition_by="RANGE (trigrams)",
    )
    # Not a primary key, which pg_restore --clean could not drop on the partitions.
    op.create_index("uq_firm_name", "firm_name", ["name_normalised", "trigrams"], unique=True)
    for band, lower in enumerate(BANDS):
        upper = BANDS[band + 1] if band + 1 < len(BANDS) else "MAXVALUE"
        op.execute(
            f"CREATE TABLE firm_name_{band} PARTITION OF firm_name "
            f"FOR VALUES FROM ({lower}) TO ({upper})"
        )
    op.execute(TRIGRAMS)
    op.execute(
        "INSERT INTO firm_name (name_normalised, trigrams) "
        "SELECT name_normalised, firm_name_trigrams(name_normalised) FROM firm_name_unsplit"
    )
    op.drop_table("firm_name_unsplit")
    _trigram_index("firm_name")
    op.execute(KEEPER)
    op.execute(RENAMED)


def downgrade() -> None:
    op.execute(RENAMED_0014)
    op.execute(KEEPER_0014)
    op.rename_table("firm_name", "firm_name_split")
    op.execute("ALTER INDEX uq_firm_name RENAME TO uq_firm_name_split")
    op.execute("ALTER INDEX ix_firm_name_trgm RENAME TO ix_firm_name_split_trgm")
    op.create_table(
        "firm_name",
        sa.Column("name_normalised", sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint("name_normalised", name=op.f("pk_firm_name")),
    )
    op.execute("INSERT INTO firm_name SELECT name_normalised FROM firm_name_split")
    op.drop_table("firm_name_split")  # its partitions with it
    op.execute("DROP FUNCTION firm_name_trigrams(text)")
    _trigram_index("firm_name")
