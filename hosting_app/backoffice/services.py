"""Back-office operations on sites and premises; each flushes, the request commits once.

Every change is recorded in the audit log with the fields' values before and after.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from geoalchemy2.shape import from_shape, to_shape
from shapely import wkb
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from slugify import slugify
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import apply_changes, record
from hosting_app.auth.models import User
from hosting_app.backoffice import geometry
from hosting_app.sites.models import AccessKind, Premises, Site, SiteAccess
from hosting_app.territory.models import Commune

SITE_FIELDS = (
    "name", "kind", "status", "operator_id", "operator_label", "address", "total_area_ha",
    "saleable_area_ha", "area_note", "target_sectors", "services", "pacte_action",
    "region_funded", "description", "source_urls", "position_confidence", "position_source",
)  # fmt: skip
PREMISES_FIELDS = (
    "label", "kind", "surface_m2", "rent_eur_m2_year", "sale_price_eur_m2", "availability",
    "available_from", "ceiling_height_m", "cadastral_refs", "description", "is_demo",
)  # fmt: skip
UNSET = object()


class StaleEdit(Exception):
    """Someone saved the record since it was loaded: the save is refused."""

    def __init__(self, current: dict[str, Any], changed_by: str | None):
        super().__init__("stale edit")
        self.current = current
        self.changed_by = changed_by


class SlugTaken(ValueError):
    """Another site already has this page address."""


def version_of(obj: Site | Premises) -> str:
    """The token of a record's saved state: its last update time."""
    return obj.updated_at.isoformat() if obj.updated_at else ""


def guard_version(session: Session, obj, expected: str | None, entity: str, fields) -> None:
    """Raise StaleEdit when the record was saved since the form was loaded."""
    if expected and expected != version_of(obj):
        from hosting_app.audit.service import history

        last = session.scalar(history(entity, obj.id).limit(1))
        who = None
        if last is not None and last.user is not None:
            who = last.user.full_name or last.user.email
        raise StaleEdit({f: getattr(obj, f) for f in fields}, who)


# --- Geometry ---------------------------------------------------------------------------


def read_geometry(
    session: Session, text: str, *, allowed: tuple[str, ...] = geometry.PERIMETER_TYPES
) -> BaseGeometry:
    """A GeoJSON geometry in WGS84, checked by shapely then PostGIS (GeometryError if not)."""
    parsed = geometry.parse_geojson(text, allowed=allowed)
    shape = parsed.geometry
    if parsed.srid != geometry.WGS84:
        projected = sa.func.ST_Transform(sa.func.ST_GeomFromText(shape.wkt, parsed.srid), 4326)
        shape = wkb.loads(bytes(session.scalar(sa.select(sa.func.ST_AsBinary(projected)))))
    geometry.check(shape)
    valid, reason = session.execute(
        sa.select(sa.func.ST_IsValid(_ewkt(shape)), sa.func.ST_IsValidReason(_ewkt(shape)))
    ).one()
    if not valid:
        raise geometry.GeometryError(geometry.invalid_message(reason))
    return shape


def _ewkt(shape: BaseGeometry):
    return sa.func.ST_GeomFromText(shape.wkt, 4326)


def point_on_surface(session: Session, shape: BaseGeometry) -> Point:
    """PostGIS' point on the surface of a perimeter (always inside it)."""
    return wkb.loads(
        bytes(
            session.scalar(sa.select(sa.func.ST_AsBinary(sa.func.ST_PointOnSurface(_ewkt(shape)))))
        )
    )


def _wkt(element) -> str | None:
    return to_shape(element).wkt if element is not None else None


def _set_location(
    session: Session,
    site: Site,
    *,
    perimeter: BaseGeometry | None | object,
    point: tuple[Decimal, Decimal] | None,
) -> dict[str, tuple[Any, Any]]:
    """Store the perimeter (MultiPolygon) and the point: the given one, else in the perimeter."""
    changes: dict[str, tuple[Any, Any]] = {}
    before_perimeter, before_point = _wkt(site.perimeter), _wkt(site.point)
    if perimeter is not UNSET:
        shape = geometry.as_multipolygon(perimeter) if perimeter is not None else None
        if (shape.wkt if shape is not None else None) != before_perimeter:
            site.perimeter = from_shape(shape, srid=4326) if shape is not None else None
            changes["perimeter"] = (before_perimeter, shape.wkt if shape is not None else None)
    current = to_shape(site.perimeter) if site.perimeter is not None else None
    if point is not None:
        lat, lon = point
        new_point = Point(float(lon), float(lat))
    elif current is not None:
        new_point = point_on_surface(session, current)
    else:
        new_point = None
    after_point = new_point.wkt if new_point is not None else None
    if after_point != before_point:
        site.point = from_shape(new_point, srid=4326) if new_point is not None else None
        changes["point"] = (before_point, after_point)
    return changes


def point_is_automatic(session: Session, site: Site) -> bool:
    """Whether the site's point is the one computed in its perimeter (or it has neither)."""
    if site.perimeter is None:
        return site.point is None
    if site.point is None:
        return True
    computed = point_on_surface(session, to_shape(site.perimeter))
    return to_shape(site.point).distance(computed) < 1e-7


# --- Sites -----------------------------------------------------------------------------


def _unique_slug(session: Session, wanted: str | None, name: str, site_id: int | None) -> str:
    slug = wanted or slugify(name, max_length=110, word_boundary=True) or "site"
    taken = session.scalar(sa.select(Site.id).where(Site.slug == slug, Site.id != site_id))
    if taken is None:
        return slug
    if wanted:
        raise SlugTaken("Cette adresse de page est déjà celle d'un autre site.")
    for number in range(2, 1000):
        candidate = f"{slug}-{number}"
        if session.scalar(sa.select(Site.id).where(Site.slug == candidate)) is None:
            return candidate
    raise SlugTaken("Choisissez une adresse de page.")


def _communes(session: Session, insee_codes: list[str]) -> list[Commune]:
    if not insee_codes:
        return []
    return list(session.scalars(sa.select(Commune).where(Commune.insee.in_(insee_codes))))


def _set_accesses(site: Site, accesses: list[tuple[AccessKind, str, Decimal]]) -> dict:
    before = [f"{a.kind.label} ; {a.name} ; {a.distance_km}" for a in site.accesses]
    after = [f"{kind.label} ; {name} ; {distance}" for kind, name, distance in accesses]
    if before == after:
        return {}
    site.accesses = [SiteAccess(kind=k, name=n, distance_km=d) for k, n, d in accesses]
    return {"accesses": (before, after)}


def _set_communes(session: Session, site: Site, insee_codes: list[str]) -> dict:
    before = sorted(c.insee for c in site.communes)
    if before == sorted(insee_codes):
        return {}
    site.communes = _communes(session, insee_codes)
    return {"communes": (before, sorted(c.insee for c in site.communes))}


def create_site(
    session: Session,
    *,
    user: User,
    values: dict[str, Any],
    communes: list[str],
    accesses: list[tuple[AccessKind, str, Decimal]],
    perimeter: BaseGeometry | None,
    point: tuple[Decimal, Decimal] | None,
) -> Site:
    """A new site, audited with every value it was given."""
    values = dict(values)
    slug = _unique_slug(session, values.pop("slug", None), values["name"], None)
    site = Site(slug=slug, **values)
    session.add(site)
    site.communes = _communes(session, communes)
    site.accesses = [SiteAccess(kind=k, name=n, distance_km=d) for k, n, d in accesses]
    location = _set_location(session, site, perimeter=perimeter, point=point)
    session.flush()
    created = {k: (None, getattr(site, k)) for k in ("slug", *SITE_FIELDS)}
    created.update(location)
    created["communes"] = (None, sorted(communes))
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="site", entity_id=site.id,
        changes=created,
    )  # fmt: skip
    return site


def update_site(
    session: Session,
    *,
    user: User,
    site: Site,
    values: dict[str, Any],
    communes: list[str],
    accesses: list[tuple[AccessKind, str, Decimal]],
    perimeter: BaseGeometry | None | object = UNSET,
    point: tuple[Decimal, Decimal] | None,
    expected_version: str | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Save a site's edited values unless someone saved it since the form was loaded."""
    guard_version(session, site, expected_version, "site", ("slug", *SITE_FIELDS))
    values = dict(values)
    slug = _unique_slug(session, values.pop("slug", None) or site.slug, values["name"], site.id)
    changes = apply_changes(site, {"slug": slug, **values})
    changes.update(_set_communes(session, site, communes))
    changes.update(_set_accesses(site, accesses))
    changes.update(_set_location(session, site, perimeter=perimeter, point=point))
    if changes:
        site.updated_at = sa.func.now()
        session.flush()
        record(
            session, user=user, action=AuditAction.UPDATE, entity_type="site",
            entity_id=site.id, changes=changes,
        )  # fmt: skip
    return changes


# --- Premises --------------------------------------------------------------------------


def _premises_geometry(shape: BaseGeometry | None):
    return from_shape(shape, srid=4326) if shape is not None else None


def create_premises(
    session: Session, *, user: User, site: Site, values: dict[str, Any], shape: BaseGeometry | None
) -> Premises:
    """A new premises unit of ``site``, audited."""
    premises = Premises(site=site, geometry=_premises_geometry(shape), **values)
    session.add(premises)
    session.flush()
    created = {k: (None, getattr(premises, k)) for k in PREMISES_FIELDS}
    created["geometry"] = (None, shape.wkt if shape is not None else None)
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="premises",
        entity_id=premises.id, changes=created, details={"site_id": site.id},
    )  # fmt: skip
    return premises


def update_premises(
    session: Session,
    *,
    user: User,
    premises: Premises,
    values: dict[str, Any],
    shape: BaseGeometry | None | object = UNSET,
    expected_version: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Save a premises' edited values unless someone saved it since the form was loaded."""
    guard_version(session, premises, expected_version, "premises", PREMISES_FIELDS)
    changes = apply_changes(premises, values)
    if shape is not UNSET:
        before = _wkt(premises.geometry)
        after = shape.wkt if shape is not None else None
        if before != after:
            premises.geometry = _premises_geometry(shape)
            changes["geometry"] = (before, after)
    if changes:
        premises.updated_at = sa.func.now()
        session.flush()
        record(
            session, user=user, action=AuditAction.UPDATE, entity_type="premises",
            entity_id=premises.id, changes=changes,
            details={"site_id": premises.site_id, **(details or {})},
        )  # fmt: skip
    return changes


def duplicate_premises(session: Session, *, user: User, premises: Premises) -> Premises:
    """A copy of a unit (same facts, no outline) under a free label « … (copie) »."""
    query = sa.select(Premises.label).where(Premises.site_id == premises.site_id)
    labels = set(session.scalars(query))
    base = f"{premises.label[:100]} (copie"
    label = f"{base})"
    number = 2
    while label in labels:
        label = f"{base} {number})"
        number += 1
    values = {k: getattr(premises, k) for k in PREMISES_FIELDS} | {"label": label}
    values["cadastral_refs"] = []
    values["features"] = dict(premises.features or {})
    copy = Premises(site_id=premises.site_id, **values)
    session.add(copy)
    session.flush()
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="premises",
        entity_id=copy.id, changes={k: (None, getattr(copy, k)) for k in PREMISES_FIELDS},
        details={"site_id": copy.site_id, "duplicated_from": premises.id},
    )  # fmt: skip
    return copy


def set_archived(session: Session, *, user: User, premises: Premises, archived: bool) -> bool:
    """Archive (hide from the public) or restore a unit; whether anything changed."""
    if (premises.archived_at is not None) == archived:
        return False
    before = premises.archived_at
    premises.archived_at = datetime.now(UTC) if archived else None
    session.flush()
    record(
        session, user=user, action=AuditAction.UPDATE, entity_type="premises",
        entity_id=premises.id, changes={"archived_at": (before, premises.archived_at)},
        details={"site_id": premises.site_id},
    )  # fmt: skip
    return True
