"""The shared CRM: firms, their contact persons, leads (projects) and interactions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hosting_app.auth.models import Organisation, User
from hosting_app.backoffice.models import Event
from hosting_app.db import Base, TimestampMixin, enum_column
from hosting_app.labels import LabelledEnum, Sector
from hosting_app.sites.models import PremisesKind

_SECTORS = ", ".join(f"'{sector.value}'" for sector in Sector)


class WorkforceBand(LabelledEnum):
    """INSEE's workforce bands (tranche d'effectif salarié)."""

    NN = "NN", "Non renseigné"
    B00 = "00", "0 salarié"
    B01 = "01", "1 ou 2 salariés"
    B02 = "02", "3 à 5 salariés"
    B03 = "03", "6 à 9 salariés"
    B11 = "11", "10 à 19 salariés"
    B12 = "12", "20 à 49 salariés"
    B21 = "21", "50 à 99 salariés"
    B22 = "22", "100 à 199 salariés"
    B31 = "31", "200 à 249 salariés"
    B32 = "32", "250 à 499 salariés"
    B41 = "41", "500 à 999 salariés"
    B42 = "42", "1 000 à 1 999 salariés"
    B51 = "51", "2 000 à 4 999 salariés"
    B52 = "52", "5 000 à 9 999 salariés"
    B53 = "53", "10 000 salariés et plus"


class Firm(TimestampMixin, Base):
    """A firm (an establishment when it has a SIRET), shared by every organisation."""

    __tablename__ = "firm"
    __table_args__ = (
        sa.CheckConstraint(r"siren ~ '^[0-9]{9}$'", name="siren_format"),
        sa.CheckConstraint(r"siret ~ '^[0-9]{14}$'", name="siret_format"),
        sa.CheckConstraint("siret IS NULL OR left(siret, 9) = siren", name="siret_in_siren"),
        sa.CheckConstraint(r"naf_code ~ '^[0-9]{2}\.[0-9]{2}[A-Z]$'", name="naf_format"),
        sa.CheckConstraint(r"postcode ~ '^[0-9]{5}$'", name="postcode_format"),
        sa.CheckConstraint(f"sector IN ({_SECTORS})", name="known_sector"),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name="not_self_merged"
        ),
        sa.Index(
            "uq_firm_siret", "siret", unique=True, postgresql_where=sa.text("siret IS NOT NULL")
        ),
        # The firms of a name alike to a probe's (see FirmName), and of that name and postcode.
        sa.Index("ix_firm_name_normalised_postcode", "name_normalised", "postcode"),
        # Looked up by value only: firms without one are left out (less to write on import).
        *(
            sa.Index(name, column, postgresql_where=sa.text(f"{column} IS NOT NULL"), **using)
            for name, column, using in (
                ("ix_firm_email_domain", "email_domain", {}),
                ("ix_firm_phone", "phone", {}),
                ("ix_firm_merged_into_id", "merged_into_id", {}),
                ("idx_firm_location", "location", {"postgresql_using": "gist"}),
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(250))
    name_normalised: Mapped[str] = mapped_column(sa.String(250))
    trade_name: Mapped[str | None] = mapped_column(sa.String(250))
    siren: Mapped[str | None] = mapped_column(sa.String(9), index=True)
    siret: Mapped[str | None] = mapped_column(sa.String(14))
    legal_form: Mapped[str | None] = mapped_column(sa.String(120))
    naf_code: Mapped[str | None] = mapped_column(sa.String(6))
    workforce_band: Mapped[WorkforceBand | None] = mapped_column(
        enum_column(WorkforceBand, "workforce_band")
    )
    address: Mapped[str | None] = mapped_column(sa.Text)
    postcode: Mapped[str | None] = mapped_column(sa.String(5))
    commune_insee: Mapped[str | None] = mapped_column(
        sa.ForeignKey("commune.insee", ondelete="SET NULL")
    )
    city: Mapped[str | None] = mapped_column(sa.String(120))
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    website: Mapped[str | None] = mapped_column(sa.String(250))
    email_domain: Mapped[str | None] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(16))
    sector: Mapped[str | None] = mapped_column(sa.String(32))
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL")
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("firm.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    contacts: Mapped[list[ContactPerson]] = relationship(
        back_populates="firm", order_by="ContactPerson.name"
    )
    leads: Mapped[list[Lead]] = relationship(back_populates="firm", order_by="Lead.created_at")
    created_by_organisation: Mapped[Organisation | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def sector_label(self) -> str | None:
        """The sector's French label."""
        return Sector(self.sector).label if self.sector else None

    def __repr__(self) -> str:
        return f"<Firm {self.id} {self.name}>"


class FirmName(Base):
    """Every normalised name a firm bears or has borne, once: what the duplicate search and
    the firm list's name search compare by trigrams, before finding the firms of the names
    alike by ``ix_firm_name_normalised_postcode``. Firms share names (a company's
    establishments, « Transports Martin » here and there): searching the distinct names reads
    and compares several times fewer rows than searching the firms (1,000,000 firms,
    285,000 names). Kept by triggers on ``firm`` (migrations 0014 and 0016), so that no way of
    writing a firm can forget it; a name no firm bears any more stays — it finds no firm, and
    a firm name changes seldom.

    The names are split by their number of trigrams (``BANDS``), a trigram index each: a name
    of b trigrams is similar enough to a probe only if it shares enough of the probe's
    trigrams for its own length, a bound the trigram index can apply within a band of lengths
    (``queries.named``), not over every name."""

    # The bands' lower bounds (number of trigrams), each band up to the next one's: narrow
    # where names are many (22 to 38 trigrams for four names in five of bench/crm.py's).
    BANDS = (0, 18, 22, 25, 28, 31, 34, 38)

    __tablename__ = "firm_name"
    __table_args__ = (
        sa.Index(
            "ix_firm_name_trgm",
            "name_normalised",
            postgresql_using="gin",
            postgresql_ops={"name_normalised": "gin_trgm_ops"},
        ),
        # A unique index, not a primary key: pg_restore --clean (PostgreSQL 15) cannot drop
        # the primary keys of partitions, so a backup of a partitioned table with one would
        # not restore.
        sa.Index("uq_firm_name", "name_normalised", "trigrams", unique=True),
        {"postgresql_partition_by": "RANGE (trigrams)"},
    )

    name_normalised: Mapped[str] = mapped_column(sa.String(250))
    # firm_name_trigrams(name_normalised) (migration 0016), set by the triggers
    trigrams: Mapped[int] = mapped_column(sa.SmallInteger)

    __mapper_args__ = {"primary_key": [name_normalised, trigrams]}

    @classmethod
    def partition_names(cls) -> list[str]:
        """The tables of the bands, in ``BANDS`` order."""
        return [f"{cls.__tablename__}_{band}" for band in range(len(cls.BANDS))]


class ContactPerson(TimestampMixin, Base):
    """Someone at a firm: personal data, shown only to developers and admins."""

    __tablename__ = "contact_person"
    __table_args__ = (sa.CheckConstraint("position('@' in email) > 1", name="email_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firm.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(16))
    created_by_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL")
    )

    firm: Mapped[Firm] = relationship(back_populates="contacts")


class LeadSource(LabelledEnum):
    """Where a lead came from."""

    WEBSITE_INQUIRY = "website_inquiry", "Demande en ligne"
    EVENT = "event", "Événement"
    PROSPECTION = "prospection", "Prospection"
    REFERRAL = "referral", "Recommandation"
    REGIONAL_AGENCY = "regional_agency", "Agence régionale"
    CHAMBER = "chamber", "Chambre consulaire"
    OTHER = "other", "Autre"


class LeadStage(LabelledEnum):
    """Where a lead stands in the pipeline."""

    NEW = "new", "Nouveau"
    QUALIFIED = "qualified", "Qualifié"
    VISIT = "visit", "Visite"
    PROPOSAL = "proposal", "Proposition"
    WON = "won", "Installé"
    LOST = "lost", "Perdu"
    ON_HOLD = "on_hold", "En attente"


class Lead(TimestampMixin, Base):
    """A firm's project to settle or grow here, followed by one organisation."""

    __tablename__ = "lead"
    __table_args__ = (
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_min_m2 > 0", name="surface_min_positive"
        ),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_max_m2 IS NULL OR surface_min_m2 <= surface_max_m2",
            name="surface_range",
        ),
        sa.CheckConstraint(
            "budget_eur_year IS NULL OR budget_eur_year > 0", name="budget_positive"
        ),
        sa.CheckConstraint("jobs_planned IS NULL OR jobs_planned >= 0", name="jobs_positive"),
        sa.CheckConstraint(
            "NOT confidential OR (codename IS NOT NULL AND codename <> '')",
            name="confidential_has_codename",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firm.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    premises_kind: Mapped[PremisesKind | None] = mapped_column(
        enum_column(PremisesKind, "premises_kind")
    )
    surface_min_m2: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    surface_max_m2: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    budget_eur_year: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    target_date: Mapped[date | None]
    jobs_planned: Mapped[int | None]
    preferred_communes: Mapped[list[str]] = mapped_column(
        ARRAY(sa.String(5)), default=list, server_default="{}"
    )
    source: Mapped[LeadSource] = mapped_column(enum_column(LeadSource, "lead_source"))
    owner_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    assigned_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[LeadStage] = mapped_column(
        enum_column(LeadStage, "lead_stage"), default=LeadStage.NEW, server_default="new"
    )
    confidential: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    codename: Mapped[str | None] = mapped_column(sa.String(120))
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    inquiry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inquiry.id", ondelete="SET NULL"), unique=True
    )
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="SET NULL"), index=True
    )

    firm: Mapped[Firm] = relationship(back_populates="leads")
    owner_organisation: Mapped[Organisation] = relationship()
    assigned_user: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.title}>"


class Channel(LabelledEnum):
    """How a developer met a firm."""

    CALL = "call", "Appel"
    EMAIL = "email", "Courriel"
    MEETING = "meeting", "Rendez-vous"
    VISIT = "visit", "Visite"
    EVENT = "event", "Événement"


class Interaction(TimestampMixin, Base):
    """A contact between a developer and a firm, on the shared timeline."""

    __tablename__ = "interaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firm.id", ondelete="RESTRICT"), index=True)
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("lead.id", ondelete="SET NULL"), index=True
    )
    occurred_on: Mapped[date] = mapped_column(index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "interaction_channel"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(sa.Text)
    next_step: Mapped[str | None] = mapped_column(sa.Text)
    reminder_on: Mapped[date | None] = mapped_column(index=True)
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="SET NULL"), index=True
    )

    firm: Mapped[Firm] = relationship()
    lead: Mapped[Lead | None] = relationship()
    organisation: Mapped[Organisation] = relationship()
    author: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()


class FirmMerge(Base):
    """A merge of one firm into another, with what moved, so that it can be undone."""

    __tablename__ = "firm_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("firm.id", ondelete="CASCADE"), index=True
    )
    absorbed_id: Mapped[int] = mapped_column(
        sa.ForeignKey("firm.id", ondelete="CASCADE"), index=True
    )
    merged_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    merged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    # {table: [ids moved to the survivor]} and the survivor's values before the merge
    moved: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    survivor_before: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    # Values of the absorbed firm that differed from the survivor's: kept, never dropped
    conflicts: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    undone_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    undone_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )

    survivor: Mapped[Firm] = relationship(foreign_keys=[survivor_id])
    absorbed: Mapped[Firm] = relationship(foreign_keys=[absorbed_id])
