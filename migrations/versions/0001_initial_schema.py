"""Initial schema: organisations, users, communes, sites, premises

Revision ID: 3f8a268dc88d
Revises:
Create Date: 2026-11-26 06:09:24.643379

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "3f8a268dc88d"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_geospatial_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "intercommunality",
                "development_agency",
                "employment_house",
                "syndicate",
                "region",
                "departement",
                "state",
                name="organisation_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column(
            "territory",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
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
        sa.CheckConstraint("key ~ '^[a-z0-9_]+$'", name=op.f("ck_organisation_key_format")),
        sa.CheckConstraint("siren ~ '^[0-9]{9}$'", name=op.f("ck_organisation_siren_format")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("key", name=op.f("uq_organisation_key")),
        sa.UniqueConstraint("siren", name=op.f("uq_organisation_siren")),
    )
    op.create_geospatial_index(
        "idx_organisation_territory",
        "organisation",
        ["territory"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "developer",
                "marketing",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.CheckConstraint("position('@' in email) > 1", name=op.f("ck_app_user_email_format")),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_app_user_email_lowercase")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_app_user_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
    )
    op.create_index(
        op.f("ix_app_user_organisation_id"), "app_user", ["organisation_id"], unique=False
    )
    op.create_geospatial_table(
        "commune",
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("postal_codes", postgresql.ARRAY(sa.String(length=5)), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("intercommunality_2011_id", sa.Integer(), nullable=True),
        sa.Column("in_pacte_territory", sa.Boolean(), nullable=False),
        sa.Column(
            "contour",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "centroid",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "insee ~ '^[0-9][0-9AB][0-9]{3}$'", name=op.f("ck_commune_insee_format")
        ),
        sa.CheckConstraint(
            "population IS NULL OR population >= 0", name=op.f("ck_commune_population_positive")
        ),
        sa.ForeignKeyConstraint(
            ["intercommunality_2011_id"],
            ["organisation.id"],
            name=op.f("fk_commune_intercommunality_2011_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("insee", name=op.f("pk_commune")),
    )
    op.create_geospatial_index(
        "idx_commune_centroid",
        "commune",
        ["centroid"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_index(
        "idx_commune_contour",
        "commune",
        ["contour"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_commune_intercommunality_2011_id"),
        "commune",
        ["intercommunality_2011_id"],
        unique=False,
    )
    op.create_geospatial_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "incubator",
                "business_hotel",
                "eco_park",
                "activity_zone",
                "craft_village",
                "aero_park",
                "services_hub",
                name="site_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "existing",
                "planned",
                "works",
                name="site_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("operator_label", sa.Text(), nullable=True),
        sa.Column(
            "perimeter",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "point",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "position_confidence",
            sa.Enum(
                "high",
                "medium",
                "low",
                "unknown",
                name="position_confidence",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("position_source", sa.Text(), nullable=True),
        sa.Column("total_area_ha", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("saleable_area_ha", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("area_note", sa.Text(), nullable=True),
        sa.Column(
            "target_sectors",
            postgresql.ARRAY(sa.String(length=32)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("services", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("pacte_action", sa.String(length=32), nullable=True),
        sa.Column("region_funded", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source_urls", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
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
        sa.CheckConstraint(
            "position_confidence = 'unknown' OR point IS NOT NULL OR perimeter IS NOT NULL",
            name=op.f("ck_site_located_unless_unknown"),
        ),
        sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f("ck_site_slug_format")),
        sa.CheckConstraint(
            "target_sectors <@ ARRAY['aeronautics', 'eco_activities', 'health', 'ess', 'logistics', 'building', 'personal_services', 'crafts']::varchar[]",
            name=op.f("ck_site_known_sectors"),
        ),
        sa.CheckConstraint(
            "saleable_area_ha IS NULL OR (saleable_area_ha > 0 AND (total_area_ha IS NULL OR saleable_area_ha <= total_area_ha))",
            name=op.f("ck_site_saleable_area_within_total"),
        ),
        sa.CheckConstraint(
            "total_area_ha IS NULL OR total_area_ha > 0", name=op.f("ck_site_area_positive")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["organisation.id"],
            name=op.f("fk_site_operator_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("slug", name=op.f("uq_site_slug")),
    )
    op.create_geospatial_index(
        "idx_site_perimeter",
        "site",
        ["perimeter"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_index(
        "idx_site_point",
        "site",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_site_kind"), "site", ["kind"], unique=False)
    op.create_index(op.f("ix_site_operator_id"), "site", ["operator_id"], unique=False)
    op.create_geospatial_table(
        "premises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "office",
                "workshop",
                "warehouse",
                "land_plot",
                "desk",
                "mixed",
                name="premises_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("surface_m2", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("rent_eur_m2_year", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("sale_price_eur_m2", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column(
            "availability",
            sa.Enum(
                "available",
                "reserved",
                "occupied",
                "under_construction",
                name="availability",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "geometry",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.Column(
            "cadastral_refs",
            postgresql.ARRAY(sa.String(length=20)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("ceiling_height_m", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column(
            "features", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=False),
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
        sa.CheckConstraint(
            "ceiling_height_m IS NULL OR ceiling_height_m > 0",
            name=op.f("ck_premises_ceiling_height_positive"),
        ),
        sa.CheckConstraint(
            "rent_eur_m2_year IS NULL OR rent_eur_m2_year > 0",
            name=op.f("ck_premises_rent_positive"),
        ),
        sa.CheckConstraint(
            "sale_price_eur_m2 IS NULL OR sale_price_eur_m2 > 0",
            name=op.f("ck_premises_sale_price_positive"),
        ),
        sa.CheckConstraint("surface_m2 > 0", name=op.f("ck_premises_surface_positive")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_premises_site_id_site"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises")),
        sa.UniqueConstraint("site_id", "label", name="uq_premises_site_label"),
    )
    op.create_geospatial_index(
        "idx_premises_geometry",
        "premises",
        ["geometry"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_premises_availability"), "premises", ["availability"], unique=False)
    op.create_index(op.f("ix_premises_kind"), "premises", ["kind"], unique=False)
    op.create_index(op.f("ix_premises_site_id"), "premises", ["site_id"], unique=False)
    op.create_index(op.f("ix_premises_surface_m2"), "premises", ["surface_m2"], unique=False)
    op.create_table(
        "site_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "road",
                "station",
                "airport",
                name="access_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("distance_km", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.CheckConstraint("distance_km >= 0", name=op.f("ck_site_access_distance_positive")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_site_access_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_access")),
    )
    op.create_index(op.f("ix_site_access_site_id"), "site_access", ["site_id"], unique=False)
    op.create_table(
        "site_commune",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["commune.insee"],
            name=op.f("fk_site_commune_commune_insee_commune"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_site_commune_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", "commune_insee", name=op.f("pk_site_commune")),
    )


def downgrade() -> None:
    op.drop_table("site_commune")
    op.drop_index(op.f("ix_site_access_site_id"), table_name="site_access")
    op.drop_table("site_access")
    op.drop_index(op.f("ix_premises_surface_m2"), table_name="premises")
    op.drop_index(op.f("ix_premises_site_id"), table_name="premises")
    op.drop_index(op.f("ix_premises_kind"), table_name="premises")
    op.drop_index(op.f("ix_premises_availability"), table_name="premises")
    op.drop_geospatial_index(
        "idx_premises_geometry",
        table_name="premises",
        postgresql_using="gist",
        column_name="geometry",
    )
    op.drop_geospatial_table("premises")
    op.drop_index(op.f("ix_site_operator_id"), table_name="site")
    op.drop_index(op.f("ix_site_kind"), table_name="site")
    op.drop_geospatial_index(
        "idx_site_point", table_name="site", postgresql_using="gist", column_name="point"
    )
    op.drop_geospatial_index(
        "idx_site_perimeter", table_name="site", postgresql_using="gist", column_name="perimeter"
    )
    op.drop_geospatial_table("site")
    op.drop_index(op.f("ix_commune_intercommunality_2011_id"), table_name="commune")
    op.drop_geospatial_index(
        "idx_commune_contour", table_name="commune", postgresql_using="gist", column_name="contour"
    )
    op.drop_geospatial_index(
        "idx_commune_centroid",
        table_name="commune",
        postgresql_using="gist",
        column_name="centroid",
    )
    op.drop_geospatial_table("commune")
    op.drop_index(op.f("ix_app_user_organisation_id"), table_name="app_user")
    op.drop_table("app_user")
    op.drop_geospatial_index(
        "idx_organisation_territory",
        table_name="organisation",
        postgresql_using="gist",
        column_name="territory",
    )
    op.drop_geospatial_table("organisation")
