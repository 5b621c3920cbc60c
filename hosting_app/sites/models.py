"""Sites of the premises offer and the premises a firm can rent or buy in them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hosting_app.auth.models import Organisation
from hosting_app.db import Base, TimestampMixin, enum_column
from hosting_app.labels import LabelledEnum, Sector
from hosting_app.territory.models import Commune


class SiteKind(LabelledEnum):
    """What kind of place hosts the firms."""

    INCUBATOR = "incubator", "Pépinière d'entreprises"
    BUSINESS_HOTEL = "business_hotel", "Hôtel d'entreprises"
    ECO_PARK = "eco_park", "Parc d'éco-activités"
    ACTIVITY_ZONE = "activity_zone", "Zone d'activités"
    CRAFT_VILLAGE = "craft_village", "Village artisanal"
    AERO_PARK = "aero_park", "Parc aéronautique"
    SERVICES_HUB = "services_hub", "Pôle de services"


class SiteStatus(LabelledEnum):
    """Whether the site exists, is planned or is being built."""

    EXISTING = "existing", "En service"
    PLANNED = "planned", "En projet"
    WORKS = "works", "En travaux"


class PositionConfidence(LabelledEnum):
    """How well the site's drawn position matches the real place."""

    HIGH = "high", "Position précise"
    MEDIUM = "medium", "Position indicative"
    LOW = "low", "Position approximative"
    UNKNOWN = "unknown", "Position inconnue"


class AccessKind(LabelledEnum):
    """A way to reach a site."""

    ROAD = "road", "Route"
    STATION = "station", "Gare"
    AIRPORT = "airport", "Aéroport"


class PremisesKind(LabelledEnum):
    """What a premises unit is."""

    OFFICE = "office", "Bureau"
    WORKSHOP = "workshop", "Atelier"
    WAREHOUSE = "warehouse", "Entrepôt"
    LAND_PLOT = "land_plot", "Terrain"
    DESK = "desk", "Poste de travail"
    MIXED = "mixed", "Locaux mixtes"


class Availability(LabelledEnum):
    """Whether a premises unit can be taken."""

    AVAILABLE = "available", "Disponible"
    RESERVED = "reserved", "Réservé"
    OCCUPIED = "occupied", "Occupé"
    UNDER_CONSTRUCTION = "under_construction", "En construction"


_SECTOR_VALUES = ", ".join(f"'{sector.value}'" for sector in Sector)

site_commune = sa.Table(
    "site_commune",
    Base.metadata,
    sa.Column("site_id", sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "commune_insee", sa.ForeignKey("commune.insee", ondelete="RESTRICT"), primary_key=True
    ),
)


class Site(TimestampMixin, Base):
    """A place that hosts firms, with its perimeter and point."""

    __tablename__ = "site"
    __table_args__ = (
        sa.CheckConstraint(r"slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        sa.CheckConstraint("total_area_ha IS NULL OR total_area_ha > 0", name="area_positive"),
        sa.CheckConstraint(
            "saleable_area_ha IS NULL OR (saleable_area_ha > 0 AND "
            "(total_area_ha IS NULL OR saleable_area_ha <= total_area_ha))",
            name="saleable_area_within_total",
        ),
        sa.CheckConstraint(
            f"target_sectors <@ ARRAY[{_SECTOR_VALUES}]::varchar[]", name="known_sectors"
        ),
        sa.CheckConstraint(
            "position_confidence = 'unknown' OR point IS NOT NULL OR perimeter IS NOT NULL",
            name="located_unless_unknown",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[SiteKind] = mapped_column(enum_column(SiteKind, "site_kind"), index=True)
    status: Mapped[SiteStatus] = mapped_column(enum_column(SiteStatus, "site_status"))
    operator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    operator_label: Mapped[str | None] = mapped_column(sa.Text)
    perimeter = mapped_column(Geometry("MULTIPOLYGON", srid=4326), nullable=True)
    point = mapped_column(Geometry("POINT", srid=4326), nullable=True)
    position_confidence: Mapped[PositionConfidence] = mapped_column(
        enum_column(PositionConfidence, "position_confidence")
    )
    position_source: Mapped[str | None] = mapped_column(sa.Text)
    total_area_ha: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    saleable_area_ha: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    area_note: Mapped[str | None] = mapped_column(sa.Text)
    target_sectors: Mapped[list[str]] = mapped_column(
        ARRAY(sa.String(32)), default=list, server_default="{}"
    )
    services: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list, server_default="{}")
    address: Mapped[str | None] = mapped_column(sa.Text)
    pacte_action: Mapped[str | None] = mapped_column(sa.String(32))
    region_funded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    description: Mapped[str] = mapped_column(sa.Text, default="")
    source_urls: Mapped[list[str]] = mapped_column(
        ARRAY(sa.Text), default=list, server_default="{}"
    )

    operator: Mapped[Organisation | None] = relationship()
    communes: Mapped[list[Commune]] = relationship(secondary=site_commune, order_by=Commune.name)
    accesses: Mapped[list[SiteAccess]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="SiteAccess.distance_km"
    )
    premises: Mapped[list[Premises]] = relationship(
        back_populates="site", order_by="Premises.label"
    )

    @property
    def operator_unconfirmed(self) -> bool:
        """Whether the source names the operator only as an assumption."""
        label = (self.operator_label or "").lower()
        return "assumed" in label or "not verified" in label

    @property
    def sector_labels(self) -> list[str]:
        """French labels of the target sectors."""
        return [Sector(value).label for value in self.target_sectors]

    def __repr__(self) -> str:
        return f"<Site {self.slug}>"


class SiteAccess(Base):
    """A road, station or airport serving a site, with its distance."""

    __tablename__ = "site_access"
    __table_args__ = (sa.CheckConstraint("distance_km >= 0", name="distance_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AccessKind] = mapped_column(enum_column(AccessKind, "access_kind"))
    name: Mapped[str] = mapped_column(sa.String(200))
    distance_km: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))

    site: Mapped[Site] = relationship(back_populates="accesses")


class Premises(TimestampMixin, Base):
    """A unit a firm can rent or buy inside a site: office, workshop, plot, desk…"""

    __tablename__ = "premises"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "label", name="uq_premises_site_label"),
        # Premises placed at their site's point: found fast by the distance and bbox filters.
        sa.Index(
            "ix_premises_site_id_without_geometry",
            "site_id",
            postgresql_where=sa.text("geometry IS NULL"),
        ),
        sa.CheckConstraint("surface_m2 > 0", name="surface_positive"),
        sa.CheckConstraint(
            "rent_eur_m2_year IS NULL OR rent_eur_m2_year > 0", name="rent_positive"
        ),
        sa.CheckConstraint(
            "sale_price_eur_m2 IS NULL OR sale_price_eur_m2 > 0", name="sale_price_positive"
        ),
        sa.CheckConstraint(
            "ceiling_height_m IS NULL OR ceiling_height_m > 0", name="ceiling_height_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[PremisesKind] = mapped_column(
        enum_column(PremisesKind, "premises_kind"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(120))
    surface_m2: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), index=True)
    rent_eur_m2_year: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    sale_price_eur_m2: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    availability: Mapped[Availability] = mapped_column(
        enum_column(Availability, "availability"), index=True
    )
    available_from: Mapped[date | None]
    geometry = mapped_column(Geometry("GEOMETRY", srid=4326), nullable=True)
    cadastral_refs: Mapped[list[str]] = mapped_column(
        ARRAY(sa.String(20)), default=list, server_default="{}"
    )
    ceiling_height_m: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    features: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Archived premises are kept (history, leads) but hidden from the public pages and API.
    archived_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    site: Mapped[Site] = relationship(back_populates="premises")

    def __repr__(self) -> str:
        return f"<Premises {self.label} @site {self.site_id}>"


class PremisesSiteCount(Base):
    """How many premises not archived a site holds, per kind and availability (read only).

    Kept exact by triggers on premises (migration 0011): the map's clusters read these
    counts instead of counting the premises themselves when the search allows it.
    """

    __tablename__ = "premises_site_count"
    __table_args__ = (
        sa.CheckConstraint("n > 0", name="n_positive"),
        # A search's kinds and availabilities over every site: read from this index alone.
        sa.Index(
            "ix_premises_site_count_search",
            "kind",
            "availability",
            "site_id",
            postgresql_include=["n"],
        ),  # fmt: skip
    )

    site_id: Mapped[int] = mapped_column(
        sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[PremisesKind] = mapped_column(
        enum_column(PremisesKind, "premises_kind"), primary_key=True
    )
    availability: Mapped[Availability] = mapped_column(
        enum_column(Availability, "availability"), primary_key=True
    )
    n: Mapped[int]


# --- The public search's orders and their indexes ---------------------------------------
# Partial indexes on the premises not archived (the only ones searched), each yielding the
# rows in one of the search's orders so that a page (LIMIT) stops reading early; the id
# breaks ties in the key's direction, so one index serves both directions. The expressions
# hold constants only (no current_date, no bound parameter), so that the queries built from
# them (sites.queries) match the indexes.

CURRENT_PREMISES = Premises.archived_at.is_(None)

# « Disponible le plus tôt d'abord »: available with no date first, then by date (a past date
# is available now), then the premises neither available nor dated (date unknown).
AVAILABLE_ORDER = sa.func.coalesce(
    Premises.available_from,
    sa.case(
        {sa.literal_column("'available'"): sa.literal_column("'-infinity'::date")},
        value=Premises.availability,
        else_=sa.literal_column("'infinity'::date"),
    ),
)
PRICE = sa.func.coalesce(Premises.rent_eur_m2_year, Premises.sale_price_eur_m2)

# AVAILABLE_ORDER as PostgreSQL prints it back (pg_get_indexdef), which is what Alembic compares
# the models with; the planner matches the two as the same expression (tests/sites check it).
_AVAILABLE_ORDER_SQL = """COALESCE(available_from,
CASE availability
    WHEN 'available'::text THEN '-infinity'::date
    ELSE 'infinity'::date
END)"""
sa.Index("ix_premises_search_available", sa.text(_AVAILABLE_ORDER_SQL), Premises.id,
         postgresql_where=CURRENT_PREMISES)  # fmt: skip
sa.Index("ix_premises_search_surface", Premises.surface_m2, Premises.id,
         postgresql_where=CURRENT_PREMISES)  # fmt: skip
# Ascending prices, then the premises without a price; descending prices, then the same.
sa.Index("ix_premises_search_price", PRICE, Premises.id,
         postgresql_where=CURRENT_PREMISES)  # fmt: skip
sa.Index("ix_premises_search_price_desc", PRICE.desc().nulls_last(), Premises.id.desc(),
         postgresql_where=CURRENT_PREMISES)  # fmt: skip
# Searches by site (commune, intercommunality, kind of site, sector) and the counts: every
# column the filters read but the geometry, so that PostgreSQL reads this index alone.
sa.Index(
    "ix_premises_search_site", Premises.site_id, Premises.kind,
    postgresql_include=["id", "availability", "surface_m2", "rent_eur_m2_year",
                        "sale_price_eur_m2", "available_from"],
    postgresql_where=CURRENT_PREMISES,
)  # fmt: skip
# Searches by place (radius, map's bounding box) among the premises a search shows by default:
# about half of the table, so half the entries to read for a box.
sa.Index(
    "ix_premises_search_geometry", Premises.geometry, postgresql_using="gist",
    postgresql_where=sa.and_(
        CURRENT_PREMISES,
        Premises.availability.in_([Availability.AVAILABLE, Availability.UNDER_CONSTRUCTION]),
    ),
)  # fmt: skip
# Searches by kind and surface, around a point or not (sorted by distance, among others).
sa.Index("ix_premises_search_kind", Premises.kind, Premises.availability, Premises.surface_m2,
         postgresql_where=CURRENT_PREMISES)  # fmt: skip
