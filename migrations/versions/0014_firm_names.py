"""The distinct normalised names of the firms, searched by trigrams instead of the firms

Revision ID: e9f0a1b2c3d4
Revises: d8e9f0a1b2c3
Create Date: 2026-11-26 16:30:00.000000

Firms share names (a company's establishments, the same trade and surname in several
communes), so the duplicate search compares the distinct names — fewer rows to read and
compare — then finds the firms of the names alike by a B-tree index on (name, postcode).
``firm_name`` is kept by triggers on ``firm``: a statement trigger adds the names an INSERT
brings (set-based: one statement for a whole import), a row trigger the new name of a
renamed firm (an import updating 20,000 firms' other columns costs nothing more); a name no
firm bears any more stays.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e9f0a1b2c3d4"
down_revision: str | None = "d8e9f0a1b2c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEEPER = """
CREATE FUNCTION firm_name_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO firm_name (name_normalised)
    SELECT DISTINCT name_normalised FROM written_firms
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""

RENAMED = """
CREATE FUNCTION firm_name_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO firm_name (name_normalised) VALUES (NEW.name_normalised)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER firm_name_on_insert AFTER INSERT ON firm REFERENCING NEW TABLE AS "
    "written_firms FOR EACH STATEMENT EXECUTE FUNCTION firm_name_kept()",
    "CREATE TRIGGER firm_name_on_rename AFTER UPDATE OF name_normalised ON firm FOR EACH ROW "
    "WHEN (OLD.name_normalised IS DISTINCT FROM NEW.name_normalised) "
    "EXECUTE FUNCTION firm_name_renamed()",
)


def upgrade() -> None:
    op.create_table(
        "firm_name",
        sa.Column("name_normalised", sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint("name_normalised", name=op.f("pk_firm_name")),
    )
    op.execute("INSERT INTO firm_name SELECT DISTINCT name_normalised FROM firm")
    op.drop_index("ix_firm_name_trgm", table_name="firm", postgresql_using="gin")
    op.create_index(
        "ix_firm_name_trgm",
        "firm_name",
        ["name_normalised"],
        postgresql_using="gin",
        postgresql_ops={"name_normalised": "gin_trgm_ops"},
    )
    op.create_index("ix_firm_name_normalised_postcode", "firm", ["name_normalised", "postcode"])
    op.execute(KEEPER)
    op.execute(RENAMED)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    op.execute("DROP TRIGGER firm_name_on_rename ON firm")
    op.execute("DROP TRIGGER firm_name_on_insert ON firm")
    op.execute("DROP FUNCTION firm_name_renamed()")
    op.execute("DROP FUNCTION firm_name_kept()")
    op.drop_index("ix_firm_name_normalised_postcode", table_name="firm")
    op.drop_index("ix_firm_name_trgm", table_name="firm_name", postgresql_using="gin")
    op.drop_table("firm_name")
    op.create_index(
        "ix_firm_name_trgm",
        "firm",
        ["name_normalised"],
        postgresql_using="gin",
        postgresql_ops={"name_normalised": "gin_trgm_ops"},
    )
