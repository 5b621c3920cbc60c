"""Load the territory's reference data (and the demo premises) idempotently.

Rows are matched on natural keys (organisation key, INSEE code, site slug, premises label);
an attribute is written only when its value changed, so a second run changes nothing.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from slugify import slugify
from sqlalchemy.orm import Session

from hosting_app.auth.models import Organisation, OrganisationKind
from hosting_app.sites.models import PositionConfidence, Site, SiteKind
from hosting_app.territory.models import Commune
from seed import demo, demo_crm, demo_journeys, editorial

DATA_DIR = Path(__file__).resolve().parent / "data"


def read(name: str) -> Any:
    """Parse one of the JSON files of seed/data."""
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def assign(obj: object, **values: Any) -> None:
    """Set the attributes whose value differs (geometries compared as shapes)."""
    for key, value in values.items():
        current = getattr(obj, key)
        if isinstance(value, BaseGeometry):
            if isinstance(current, WKBElement) and to_shape(current).equals_exact(value, 0):
                continue
            value = from_shape(value, srid=4326)
        elif current == value and type(current) is type(value):
            continue
        setattr(obj, key, value)


def run(session: Session, *, demo_data: bool = True) -> dict[str, int]:
    """Load everything; return the number of rows of each kind."""
    organisations = load_organisations(session)
    communes = load_communes(session, organisations)
    load_territories(session, organisations)
    sites = load_sites(session, organisations, communes)
    summary = {
        "organisations": len(organisations),
        "communes": len(communes),
        "sites": len(sites),
    }
    if demo_data:
        summary["locaux de démonstration"] = demo.load(session, sites)
        summary["entreprises de démonstration"] = demo_crm.load(
            session, organisations, date.today()
        )
        summary["occupations de démonstration"] = demo_journeys.load(session, date.today())
    session.flush()
    return summary


def load_organisations(session: Session) -> dict[str, Organisation]:
    """The organisations named by the Pacte, keyed by their key."""
    existing = {o.key: o for o in session.scalars(sa.select(Organisation))}
    for row in read("organisations.json")["organisations"]:
        organisation = existing.get(row["key"])
        if organisation is None:
            organisation = existing[row["key"]] = Organisation(key=row["key"])
            session.add(organisation)
        assign(
            organisation,
            name=row["name"],
            short_name=row["short"],
            kind=OrganisationKind(row["kind"]),
            siren=row.get("siren"),
            address=row.get("address"),
        )
    session.flush()
    return existing


def load_communes(session: Session, organisations: dict[str, Organisation]) -> dict[str, Commune]:
    """The communes of the territory with their contours, keyed by INSEE code."""
    existing = {c.insee: c for c in session.scalars(sa.select(Commune))}
    for row in read("communes.json")["communes"]:
        commune = existing.get(row["insee"])
        if commune is None:
            commune = existing[row["insee"]] = Commune(insee=row["insee"])
            session.add(commune)
        intercommunality = row.get("intercommunality_2011") or {}
        key = editorial.INTERCOMMUNALITY_NAMES.get(intercommunality.get("name"))
        assign(
            commune,
            name=row["name"],
            departement=row["departement"],
            postal_codes=list(row["postal_codes"]),
            population=int(row["population_insee"]) if row.get("population_insee") else None,
            intercommunality_2011_id=organisations[key].id if key else None,
            in_pacte_territory=bool(row["in_pacte_territory_2011"]),
            contour=shape(row["contour"]),
            centroid=Point(row["centroid"]["lon"], row["centroid"]["lat"]),
        )
    session.flush()
    return existing


def load_territories(session: Session, organisations: dict[str, Organisation]) -> None:
    """Each intercommunality's 2011 territory and EPA Sénart's: the union of their communes."""
    members = {
        row["key"]: row["members_2011"]
        for row in read("intercommunalities.json")["intercommunalities"]
        if row.get("members_2011") and row["key"] in organisations
    }
    members["epa_senart"] = list(editorial.EPA_SENART_COMMUNES)
    for key, insee_codes in members.items():
        union = (
            sa.select(sa.func.ST_Multi(sa.func.ST_Union(Commune.contour)))
            .where(Commune.insee.in_(insee_codes))
            .scalar_subquery()
        )
        session.execute(
            sa.update(Organisation)
            .where(Organisation.key == key, Organisation.territory.is_distinct_from(union))
            .values(territory=union)
        )


def position_confidence(coord_source: str | None, has_point: bool) -> PositionConfidence:
    """Read the position's confidence from the ``coord_source`` wording of sites.json."""
    if not has_point or not coord_source or coord_source.startswith("unknown"):
        return PositionConfidence.UNKNOWN
    if coord_source.startswith("low"):
        return PositionConfidence.LOW
    if coord_source.startswith("medium"):
        return PositionConfidence.MEDIUM
    return PositionConfidence.HIGH


def site_slug(name: str) -> str:
    """A stable URL slug for a site name, without its parenthesised remarks."""
    return slugify(re.sub(r"\s*\([^)]*\)", "", name), max_length=80, word_boundary=True)


def load_sites(
    session: Session, organisations: dict[str, Organisation], communes: dict[str, Commune]
) -> dict[str, Site]:
    """The sites named by the Pacte and the territory's main parks, keyed by slug."""
    existing = {s.slug: s for s in session.scalars(sa.select(Site))}
    for row in read("sites.json")["sites"]:
        slug = site_slug(row["name"])
        site = existing.get(slug)
        if site is None:
            site = existing[slug] = Site(slug=slug)
            session.add(site)
        has_point = row.get("lat") is not None and row.get("lon") is not None
        insee_codes = row.get("insee_all") or ([row["insee"]] if row.get("insee") else [])
        operator = editorial.operator_key(row.get("operator"))
        assign(
            site,
            name=row["name"],
            kind=SiteKind(row["kind"]),
            status=editorial.status_of(row["name"]),
            operator_id=organisations[operator].id if operator else None,
            operator_label=row.get("operator"),
            position_confidence=position_confidence(row.get("coord_source"), has_point),
            position_source=row.get("coord_source"),
            total_area_ha=Decimal(str(row["area_ha"])).quantize(Decimal("0.01"))
            if row.get("area_ha")
            else None,
            area_note=row.get("area_note"),
            target_sectors=[s.value for s in editorial.SECTORS.get(row["name"], [])],
            address=row.get("address"),
            pacte_action=row.get("pacte_action"),
            description=row.get("description_fr") or "",
            source_urls=list(row.get("sources") or []),
        )
        if has_point:
            assign(site, point=Point(row["lon"], row["lat"]))
        elif site.point is not None:
            site.point = None
        wanted = [communes[code] for code in insee_codes]
        if {c.insee for c in site.communes} != {c.insee for c in wanted}:
            site.communes = wanted
    session.flush()
    return existing
