"""Alembic environment: runs on the app's engine, spatial types handled by GeoAlchemy2."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from hosting_app.leads.models import FirmName
from hosting_app.models import Base

config = context.config
target_metadata = Base.metadata

# Objects that PostGIS and its extensions own, never managed by our migrations.
_FOREIGN_TABLES = {"spatial_ref_sys", "layer", "topology"}
_PARTITIONS = set(FirmName.partition_names())


def include_object(obj, name, type_, reflected, compare_to):
    """Skip PostGIS' own tables and the partitions of a partitioned table (the model is the
    partitioned table), then let GeoAlchemy2 decide for spatial indexes."""
    if type_ == "table" and (name in _FOREIGN_TABLES or name in _PARTITIONS):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def _engine():
    engine = config.attributes.get("engine")
    if engine is None:
        from hosting_app import create_app
        from hosting_app.extensions import db

        with create_app().app_context():
            engine = db.engine
    return engine


def run_migrations_online() -> None:
    """Run the migrations in one transaction on the app's database."""
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
            compare_type=True,
            transaction_per_migration=False,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
