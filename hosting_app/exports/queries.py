"""Queries of the exports; each returns a Select. Reprojection to Lambert-93 is done by PostGIS."""

from __future__ import annotations

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.orm import selectinload

from hosting_app.auth.models import Organisation
from hosting_app.sites.models import Premises, PremisesKind, Site, site_commune
from hosting_app.territory.models import Commune

LAMBERT_93 = 2154
WGS84 = 4326
# Paris, point zéro des routes de France (parvis de Notre-Dame): lon, lat.
PARIS = (2.348785, 48.853402)


def _not_archived() -> sa.ColumnElement:
    """Archived premises are kept for history but no longer offered: never exported."""
    return Premises.archived_at.is_(None)


def _site_position() -> sa.ColumnElement:
    """A site's point, or its perimeter's point on surface."""
    return sa.func.coalesce(Site.point, sa.func.ST_PointOnSurface(Site.perimeter))


def _premises_position() -> sa.ColumnElement:
    """Where a premises is drawn: its own geometry, else its site's position."""
    return sa.func.ST_PointOnSurface(sa.func.coalesce(Premises.geometry, _site_position()))


def _l93(geometry) -> sa.ColumnElement:
    return sa.func.ST_Transform(geometry, LAMBERT_93)


def _geojson(geometry, decimals: int) -> sa.ColumnElement:
    return sa.func.ST_AsGeoJSON(geometry, decimals)


def _rounded(value, decimals: int) -> sa.ColumnElement:
    return sa.func.round(sa.cast(value, sa.Numeric), decimals)


def sites_with_details(site_ids: list[int] | None = None) -> sa.Select:
    """Sites with their communes (and 2011 intercommunality), operator, accesses, premises."""
    query = (
        sa.select(Site)
        .options(
            selectinload(Site.communes).selectinload(Commune.intercommunality_2011),
            selectinload(Site.operator),
            selectinload(Site.accesses),
            selectinload(Site.premises.and_(_not_archived())),
        )
        .order_by(Site.name, Site.id)
    )
    if site_ids is not None:
        query = query.where(Site.id.in_(site_ids))
    return query


def site_names() -> sa.Select:
    """Id, kind and name of every site."""
    return sa.select(Site.id, Site.kind, Site.name)


def site_shapes(site_ids: list[int] | None = None) -> sa.Select:
    """Per located site: id, Lambert-93 x and y of its position, its perimeter as Lambert-93
    GeoJSON (text, or None), and its distance to Paris in km (as the crow flies)."""
    position = _site_position()
    paris = sa.func.ST_SetSRID(sa.func.ST_MakePoint(*PARIS), WGS84)
    query = sa.select(
        Site.id,
        sa.func.ST_X(_l93(position)),
        sa.func.ST_Y(_l93(position)),
        _geojson(_l93(Site.perimeter), 1),
        sa.func.ST_Distance(sa.cast(position, Geography), sa.cast(paris, Geography)) / 1000.0,
    ).where(position.is_not(None))
    if site_ids is not None:
        query = query.where(Site.id.in_(site_ids))
    return query


def premises_points(site_ids: list[int] | None = None) -> sa.Select:
    """Per located premises: site id, availability, Lambert-93 x and y."""
    position = _premises_position()
    query = (
        sa.select(
            Premises.site_id,
            Premises.availability,
            sa.func.ST_X(_l93(position)),
            sa.func.ST_Y(_l93(position)),
        )
        .join(Premises.site)
        .where(position.is_not(None), _not_archived())
        .order_by(Premises.id)
    )
    if site_ids is not None:
        query = query.where(Premises.site_id.in_(site_ids))
    return query


def commune_shapes() -> sa.Select:
    """Every commune: INSEE code, name, whether in the Pacte's territory, its contour as
    Lambert-93 GeoJSON (text, metres) and the Lambert-93 x, y of a point inside it."""
    inside = _l93(sa.func.ST_PointOnSurface(Commune.contour))
    return (
        sa.select(
            Commune.insee,
            Commune.name,
            Commune.in_pacte_territory,
            _geojson(_l93(Commune.contour), 0),
            sa.func.ST_X(inside),
            sa.func.ST_Y(inside),
        )
        .where(Commune.contour.is_not(None))
        .order_by(Commune.insee)
    )


def territory_population() -> sa.Select:
    """Sum of the populations and number of the communes of the Pacte's territory."""
    return sa.select(sa.func.sum(Commune.population), sa.func.count()).where(
        Commune.in_pacte_territory.is_(True)
    )


def territory_intercommunalities() -> sa.Select:
    """Names of the 2011 intercommunalities of the Pacte's territory."""
    members = sa.select(Commune.intercommunality_2011_id).where(
        Commune.in_pacte_territory.is_(True)
    )
    return (
        sa.select(Organisation.name).where(Organisation.id.in_(members)).order_by(Organisation.name)
    )


# --- Data files --------------------------------------------------------------------------


def site_coordinates_and_geojson() -> sa.Select:
    """Per site: id, WGS84 latitude and longitude of its position, and its geometry
    (perimeter, else point) as WGS84 GeoJSON text (None when not located)."""
    position = _site_position()
    return sa.select(
        Site.id,
        _rounded(sa.func.ST_Y(position), 6),
        _rounded(sa.func.ST_X(position), 6),
        _geojson(sa.func.coalesce(Site.perimeter, Site.point), 6),
    )


def premises_with_geojson() -> sa.Select:
    """Every premises with its site, WGS84 latitude and longitude of where it is drawn, and
    its geometry (its own, else its site's point) as WGS84 GeoJSON text."""
    position = _premises_position()
    geometry = sa.func.coalesce(Premises.geometry, _site_position())
    return (
        sa.select(
            Premises,
            _rounded(sa.func.ST_Y(position), 6),
            _rounded(sa.func.ST_X(position), 6),
            _geojson(geometry, 6),
        )
        .join(Premises.site)
        .where(_not_archived())
        .options(selectinload(Premises.site))
        .order_by(Site.name, Premises.label, Premises.id)
    )


# --- CNIG Sites économiques ----------------------------------------------------------------


def _principal_commune() -> sa.ScalarSelect:
    """INSEE code of a site's main commune: the one of its communes holding its position,
    else the first by name."""
    return (
        sa.select(Commune.insee)
        .join(site_commune, site_commune.c.commune_insee == Commune.insee)
        .where(site_commune.c.site_id == Site.id)
        .order_by(
            sa.func.coalesce(sa.func.ST_Covers(Commune.contour, _site_position()), False).desc(),
            Commune.name,
        )
        .limit(1)
        .scalar_subquery()
    )


def cnig_sites() -> sa.Select:
    """Located sites, by id, with their main commune, their geometry (perimeter, else point)
    as Lambert-93 GeoJSON to the centimetre, and WGS84 longitude and latitude."""
    position = _site_position()
    return (
        sa.select(
            Site,
            _principal_commune(),
            _geojson(_l93(sa.func.coalesce(Site.perimeter, Site.point)), 2),
            _rounded(sa.func.ST_X(position), 6),
            _rounded(sa.func.ST_Y(position), 6),
        )
        .where(position.is_not(None))
        .options(
            selectinload(Site.communes).selectinload(Commune.intercommunality_2011),
            selectinload(Site.operator),
            selectinload(Site.accesses),
        )
        .order_by(Site.id)
    )


def unlocated_site_names() -> sa.Select:
    """Names of the sites with neither point nor perimeter."""
    return (
        sa.select(Site.name)
        .where(Site.point.is_(None), Site.perimeter.is_(None))
        .order_by(Site.name)
    )


def cnig_terrains() -> sa.Select:
    """Published land plots (not demo) of located sites, by id, with their geometry (their
    own, else their site's position) as Lambert-93 GeoJSON to the centimetre."""
    geometry = sa.func.coalesce(Premises.geometry, _site_position())
    return (
        sa.select(Premises, _geojson(_l93(geometry), 2))
        .join(Premises.site)
        .where(
            Premises.kind == PremisesKind.LAND_PLOT,
            Premises.is_demo.is_(False),
            _not_archived(),
            _site_position().is_not(None),
        )
        .order_by(Premises.id)
    )


def from_lambert93(wkt: str, *, multi: bool) -> sa.Select:
    """A Lambert-93 WKT geometry as WGS84 EWKT (as a MultiPolygon when ``multi``)."""
    geometry = sa.func.ST_Transform(sa.func.ST_GeomFromText(wkt, LAMBERT_93), WGS84)
    if multi:
        geometry = sa.func.ST_Multi(geometry)
    return sa.select(sa.func.ST_AsEWKT(geometry))
