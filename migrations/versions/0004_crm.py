"""Shared CRM: firms, contact persons, leads, interactions, merges, audit log

Revision ID: 175ffdbb1c88
Revises: 826e21822534
Create Date: 2026-11-26 06:50:14.124531

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "175ffdbb1c88"
down_revision: str | None = "826e21822534"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "update",
                "delete",
                "merge",
                "unmerge",
                "claim",
                "export",
                "view_personal_data",
                "import",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "changes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_audit_entry_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_audit_entry_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"], unique=False)
    op.create_index(
        "ix_audit_entry_entity", "audit_entry", ["entity_type", "entity_id", "at"], unique=False
    )
    op.create_index(op.f("ix_audit_entry_user_id"), "audit_entry", ["user_id"], unique=False)
    op.create_geospatial_table(
        "firm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("name_normalised", sa.String(length=250), nullable=False),
        sa.Column("trade_name", sa.String(length=250), nullable=True),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("legal_form", sa.String(length=120), nullable=True),
        sa.Column("naf_code", sa.String(length=6), nullable=True),
        sa.Column(
            "workforce_band",
            sa.Enum(
                "NN",
                "00",
                "01",
                "02",
                "03",
                "11",
                "12",
                "21",
                "22",
                "31",
                "32",
                "41",
                "42",
                "51",
                "52",
                "53",
                name="workforce_band",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(length=5), nullable=True),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column(
            "location",
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
        sa.Column("website", sa.String(length=250), nullable=True),
        sa.Column("email_domain", sa.String(length=120), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("sector", sa.String(length=32), nullable=True),
        sa.Column("is_demo", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_by_organisation_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
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
            "naf_code ~ '^[0-9]{2}\\.[0-9]{2}[A-Z]$'", name=op.f("ck_firm_naf_format")
        ),
        sa.CheckConstraint("postcode ~ '^[0-9]{5}$'", name=op.f("ck_firm_postcode_format")),
        sa.CheckConstraint(
            "sector IN ('aeronautics', 'eco_activities', 'health', 'ess', 'logistics', 'building', 'personal_services', 'crafts')",
            name=op.f("ck_firm_known_sector"),
        ),
        sa.CheckConstraint("siren ~ '^[0-9]{9}$'", name=op.f("ck_firm_siren_format")),
        sa.CheckConstraint("siret ~ '^[0-9]{14}$'", name=op.f("ck_firm_siret_format")),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name=op.f("ck_firm_not_self_merged")
        ),
        sa.CheckConstraint(
            "siret IS NULL OR left(siret, 9) = siren", name=op.f("ck_firm_siret_in_siren")
        ),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["commune.insee"],
            name=op.f("fk_firm_commune_insee_commune"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_firm_created_by_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["firm.id"],
            name=op.f("fk_firm_merged_into_id_firm"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm")),
    )
    op.create_geospatial_index(
        "idx_firm_location",
        "firm",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_firm_email_domain"), "firm", ["email_domain"], unique=False)
    op.create_index(op.f("ix_firm_merged_into_id"), "firm", ["merged_into_id"], unique=False)
    op.create_index(
        "ix_firm_name_trgm",
        "firm",
        ["name_normalised"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name_normalised": "gin_trgm_ops"},
    )
    op.create_index(op.f("ix_firm_phone"), "firm", ["phone"], unique=False)
    op.create_index(op.f("ix_firm_postcode"), "firm", ["postcode"], unique=False)
    op.create_index(op.f("ix_firm_siren"), "firm", ["siren"], unique=False)
    op.create_index(
        "uq_firm_siret",
        "firm",
        ["siret"],
        unique=True,
        postgresql_where=sa.text("siret IS NOT NULL"),
    )
    op.create_table(
        "contact_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("created_by_organisation_id", sa.Integer(), nullable=True),
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
            "position('@' in email) > 1", name=op.f("ck_contact_person_email_format")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_contact_person_created_by_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firm.id"],
            name=op.f("fk_contact_person_firm_id_firm"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_person")),
    )
    op.create_index(op.f("ix_contact_person_firm_id"), "contact_person", ["firm_id"], unique=False)
    op.create_table(
        "firm_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("absorbed_id", sa.Integer(), nullable=False),
        sa.Column(
            "merged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "moved", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "survivor_before",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "conflicts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["absorbed_id"],
            ["firm.id"],
            name=op.f("fk_firm_merge_absorbed_id_firm"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_by_id"],
            ["app_user.id"],
            name=op.f("fk_firm_merge_merged_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["firm.id"],
            name=op.f("fk_firm_merge_survivor_id_firm"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["undone_by_id"],
            ["app_user.id"],
            name=op.f("fk_firm_merge_undone_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_merge")),
    )
    op.create_index(op.f("ix_firm_merge_absorbed_id"), "firm_merge", ["absorbed_id"], unique=False)
    op.create_index(op.f("ix_firm_merge_survivor_id"), "firm_merge", ["survivor_id"], unique=False)
    op.create_table(
        "lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=250), nullable=False),
        sa.Column(
            "premises_kind",
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
            nullable=True,
        ),
        sa.Column("surface_min_m2", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("surface_max_m2", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("budget_eur_year", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("jobs_planned", sa.Integer(), nullable=True),
        sa.Column(
            "preferred_communes",
            postgresql.ARRAY(sa.String(length=5)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "website_inquiry",
                "event",
                "prospection",
                "referral",
                "regional_agency",
                "chamber",
                "other",
                name="lead_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=False),
        sa.Column("assigned_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "stage",
            sa.Enum(
                "new",
                "qualified",
                "visit",
                "proposal",
                "won",
                "lost",
                "on_hold",
                name="lead_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="new",
            nullable=False,
        ),
        sa.Column("confidential", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("codename", sa.String(length=120), nullable=True),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
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
            "NOT confidential OR (codename IS NOT NULL AND codename <> '')",
            name=op.f("ck_lead_confidential_has_codename"),
        ),
        sa.CheckConstraint(
            "budget_eur_year IS NULL OR budget_eur_year > 0", name=op.f("ck_lead_budget_positive")
        ),
        sa.CheckConstraint(
            "jobs_planned IS NULL OR jobs_planned >= 0", name=op.f("ck_lead_jobs_positive")
        ),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_max_m2 IS NULL OR surface_min_m2 <= surface_max_m2",
            name=op.f("ck_lead_surface_range"),
        ),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_min_m2 > 0",
            name=op.f("ck_lead_surface_min_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_user_id"],
            ["app_user.id"],
            name=op.f("fk_lead_assigned_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_lead_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiry.id"],
            name=op.f("fk_lead_inquiry_id_inquiry"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_lead_owner_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
        sa.UniqueConstraint("inquiry_id", name=op.f("uq_lead_inquiry_id")),
    )
    op.create_index(op.f("ix_lead_assigned_user_id"), "lead", ["assigned_user_id"], unique=False)
    op.create_index(op.f("ix_lead_firm_id"), "lead", ["firm_id"], unique=False)
    op.create_index(
        op.f("ix_lead_owner_organisation_id"), "lead", ["owner_organisation_id"], unique=False
    )
    op.create_table(
        "interaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "call",
                "email",
                "meeting",
                "visit",
                "event",
                name="interaction_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=True),
        sa.Column("reminder_on", sa.Date(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
            name=op.f("fk_interaction_author_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_interaction_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_interaction_lead_id_lead"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_interaction_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction")),
    )
    op.create_index(op.f("ix_interaction_firm_id"), "interaction", ["firm_id"], unique=False)
    op.create_index(op.f("ix_interaction_lead_id"), "interaction", ["lead_id"], unique=False)
    op.create_index(
        op.f("ix_interaction_occurred_on"), "interaction", ["occurred_on"], unique=False
    )
    op.create_index(
        op.f("ix_interaction_organisation_id"), "interaction", ["organisation_id"], unique=False
    )
    op.create_index(
        op.f("ix_interaction_reminder_on"), "interaction", ["reminder_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_interaction_reminder_on"), table_name="interaction")
    op.drop_index(op.f("ix_interaction_organisation_id"), table_name="interaction")
    op.drop_index(op.f("ix_interaction_occurred_on"), table_name="interaction")
    op.drop_index(op.f("ix_interaction_lead_id"), table_name="interaction")
    op.drop_index(op.f("ix_interaction_firm_id"), table_name="interaction")
    op.drop_table("interaction")
    op.drop_index(op.f("ix_lead_owner_organisation_id"), table_name="lead")
    op.drop_index(op.f("ix_lead_firm_id"), table_name="lead")
    op.drop_index(op.f("ix_lead_assigned_user_id"), table_name="lead")
    op.drop_table("lead")
    op.drop_index(op.f("ix_firm_merge_survivor_id"), table_name="firm_merge")
    op.drop_index(op.f("ix_firm_merge_absorbed_id"), table_name="firm_merge")
    op.drop_table("firm_merge")
    op.drop_index(op.f("ix_contact_person_firm_id"), table_name="contact_person")
    op.drop_table("contact_person")
    op.drop_index("uq_firm_siret", table_name="firm", postgresql_where=sa.text("siret IS NOT NULL"))
    op.drop_index(op.f("ix_firm_siren"), table_name="firm")
    op.drop_index(op.f("ix_firm_postcode"), table_name="firm")
    op.drop_index(op.f("ix_firm_phone"), table_name="firm")
    op.drop_index(
        "ix_firm_name_trgm",
        table_name="firm",
        postgresql_using="gin",
        postgresql_ops={"name_normalised": "gin_trgm_ops"},
    )
    op.drop_index(op.f("ix_firm_merged_into_id"), table_name="firm")
    op.drop_index(op.f("ix_firm_email_domain"), table_name="firm")
    op.drop_geospatial_index(
        "idx_firm_location", table_name="firm", postgresql_using="gist", column_name="location"
    )
    op.drop_geospatial_table("firm")
    op.drop_index(op.f("ix_audit_entry_user_id"), table_name="audit_entry")
    op.drop_index("ix_audit_entry_entity", table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_at"), table_name="audit_entry")
    op.drop_table("audit_entry")
