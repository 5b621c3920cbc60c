"""Queries on sites and premises; each returns a Select for the caller to run."""

from __future__ import annotations

import dataclasses
import math

import sqlalchemy as sa
import sqlalchemy.orm
from geoalchemy2 import Geography, Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSON, aggregate_order_by
from sqlalchemy.orm import contains_eager, selectinload

from hosting_app.auth.models import Organisation
from hosting_app.sites.filters import PremisesFilters
from hosting_app.sites.models import Availability, Premises, Site, site_commune
from hosting_app.territory.models import Commune


def sites_for_home() -> sa.Select:
    """Every site with its communes and operator."""
    return (
        sa.select(Site)
        .options(selectinload(Site.communes), selectinload(Site.operator))
        .order_by(Site.name)
    )


def available_premises_counts() -> sa.Select:
    """Number of available premises per site id."""
    return (
        sa.select(Premises.site_id, sa.func.count())
        .where(Premises.availability == Availability.AVAILABLE, Premises.archived_at.is_(None))
        .group_by(Premises.site_id)
    )


def site_by_slug(slug: str) -> sa.Select:
    """One site with what its page shows."""
    return (
        sa.select(Site)
        .where(Site.slug == slug)
        .options(
            selectinload(Site.communes),
            selectinload(Site.operator),
            selectinload(Site.accesses),
            selectinload(Site.premises.and_(Premises.archived_at.is_(None))),
        )
    )


def site_coordinates(site_id: int) -> sa.Select:
    """Latitude and longitude of a site's point, or of its perimeter's point on surface."""
    where = sa.func.coalesce(Site.point, sa.func.ST_PointOnSurface(Site.perimeter))
    return sa.select(sa.func.ST_Y(where), sa.func.ST_X(where)).where(Site.id == site_id)


# --- Premises search: every spatial predicate is written so that the GiST index is used ---

METRES_PER_DEGREE = 111_320.0


def search_centre(filters: PremisesFilters) -> sa.ColumnElement | None:
    """The search's centre as a geometry: the given point, or the chosen commune's centroid."""
    if filters.point is not None:
        lon, lat = filters.point
        return sa.func.ST_SetSRID(
            sa.func.ST_MakePoint(lon, lat),
            4326,
        )
    if filters.near is not None:
        return sa.select(Commune.centroid).where(Commune.insee == filters.near).scalar_subquery()
    return None


def _within_radius(geometry, centre, radius_km: float, centre_lat: float) -> sa.ColumnElement:
    """``geometry`` within ``radius_km`` of ``centre`` (metres on the spheroid).

    A box in degrees around the centre (``&&``, served by the GiST index) is checked first,
    then the exact geodesic distance; the indexed column itself is never cast.
    """
    metres = radius_km * 1000
    dlat = metres / METRES_PER_DEGREE
    dlon = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(abs(centre_lat) + dlat)), 0.01))
    box = sa.func.ST_Expand(centre, dlon, dlat)
    return sa.and_(
        geometry.op("&&")(box),
        sa.func.ST_DWithin(sa.cast(geometry, Geography), sa.cast(centre, Geography), metres),
    )


def distance_m(filters: PremisesFilters) -> sa.ColumnElement | None:
    """Distance in metres from the search's centre to the premises (or its site's point)."""
    centre = search_centre(filters)
    if centre is None:
        return None
    where = sa.func.coalesce(Premises.geometry, _site_point())
    return sa.func.ST_Distance(sa.cast(where, Geography), sa.cast(centre, Geography))


def _site_point() -> sa.ScalarSelect:
    """The premises' site point (a correlated subquery, evaluated only when needed)."""
    site = sa.orm.aliased(Site)
    return sa.select(site.point).where(site.id == Premises.site_id).scalar_subquery()


def _of_sites(*conditions) -> sa.ColumnElement:
    """The premises' site satisfies ``conditions`` (a semi-join: no join is needed)."""
    return Premises.site_id.in_(sa.select(Site.id).where(*conditions))


def site_conditions(filters: PremisesFilters, centre_lat: float | None) -> list:
    """WHERE clauses on Site: kind, commune, intercommunality, sector, radius, bbox."""
    conditions: list = []
    if filters.site_kinds:
        conditions.append(Site.kind.in_(filters.site_kinds))
    if filters.sector is not None:
        conditions.append(Site.target_sectors.contains([filters.sector.value]))
    if filters.commune is not None:
        conditions.append(
            sa.exists().where(
                site_commune.c.site_id == Site.id, site_commune.c.commune_insee == filters.commune
            )
        )
    if filters.intercommunality is not None:
        conditions.append(
            sa.exists().where(
                site_commune.c.site_id == Site.id,
                site_commune.c.commune_insee == Commune.insee,
                Commune.intercommunality_2011_id == Organisation.id,
                Organisation.key == filters.intercommunality,
            )
        )
    centre = search_centre(filters)
    if centre is not None and filters.radius_km is not None and centre_lat is not None:
        conditions.append(
            sa.or_(
                _within_radius(Site.point, centre, filters.radius_km, centre_lat),
                _within_radius(Site.perimeter, centre, filters.radius_km, centre_lat),
            )
        )
    if filters.bbox is not None:
        envelope = sa.func.ST_MakeEnvelope(*filters.bbox, 4326)
        conditions.append(sa.or_(Site.point.op("&&")(envelope), Site.perimeter.op("&&")(envelope)))
    return conditions


def premises_conditions(filters: PremisesFilters, centre_lat: float | None) -> list:
    """WHERE clauses of a premises search, on Premises alone (joining Site is not needed).

    Site-level filters apply through the premises' site; distance and bbox apply to the
    premises' own geometry, or to its site's point when it has none.
    """
    site_only = dataclasses.replace(filters, point=None, near=None, radius_km=None, bbox=None)
    conditions: list = [
        Premises.availability.in_(filters.availability),
        Premises.archived_at.is_(None),
    ]
    of_site = site_conditions(site_only, None)
    if of_site:
        conditions.append(_of_sites(*of_site))
    if filters.kinds:
        conditions.append(Premises.kind.in_(filters.kinds))
    if filters.surface_min is not None:
        conditions.append(Premises.surface_m2 >= filters.surface_min)
    if filters.surface_max is not None:
        conditions.append(Premises.surface_m2 <= filters.surface_max)
    if filters.max_rent is not None:
        conditions.append(Premises.rent_eur_m2_year <= filters.max_rent)
    if filters.max_sale_price is not None:
        conditions.append(Premises.sale_price_eur_m2 <= filters.max_sale_price)
    if filters.available_by is not None:
        conditions.append(
            sa.or_(
                Premises.available_from.is_(None),
                Premises.available_from <= filters.available_by,
            )
        )
    centre = search_centre(filters)
    if centre is not None and filters.radius_km is not None and centre_lat is not None:
        conditions.append(
            sa.or_(
                _within_radius(Premises.geometry, centre, filters.radius_km, centre_lat),
                sa.and_(
                    Premises.geometry.is_(None),
                    _of_sites(_within_radius(Site.point, centre, filters.radius_km, centre_lat)),
                ),
            )
        )
    if filters.bbox is not None:
        envelope = sa.func.ST_MakeEnvelope(*filters.bbox, 4326)
        conditions.append(
            sa.or_(
                Premises.geometry.op("&&")(envelope),
                sa.and_(Premises.geometry.is_(None), _of_sites(Site.point.op("&&")(envelope))),
            )
        )
    return conditions


def centre_latitude(filters: PremisesFilters) -> sa.Select | None:
    """A query for the latitude of the search's centre when it is a commune."""
    if filters.near is None:
        return None
    return sa.select(sa.func.ST_Y(Commune.centroid)).where(Commune.insee == filters.near)


def premises_search(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """Matching premises (with their site), in the requested order; not paginated."""
    query = (
        sa.select(Premises)
        .join(Premises.site)
        .options(contains_eager(Premises.site))
        .where(*premises_conditions(filters, centre_lat))
    )
    distance = distance_m(filters)
    if distance is not None:
        query = query.add_columns(distance.label("distance_m"))
    return query.order_by(*_ordering(filters, distance), Premises.id)


def _sort_key(filters: PremisesFilters, distance) -> tuple[sa.ColumnElement, bool]:
    """The expression to sort on, and whether descending."""
    sort = filters.sort or ("distance" if distance is not None else "available_from")
    key = sort.lstrip("-")
    if key == "surface":
        column = Premises.surface_m2
    elif key == "price":
        column = sa.func.coalesce(Premises.rent_eur_m2_year, Premises.sale_price_eur_m2)
    elif key == "distance":
        column = distance
    else:
        column = sa.func.coalesce(Premises.available_from, sa.func.current_date())
    return column, sort.startswith("-")


def _ordered(column, descending: bool):
    return column.desc().nulls_last() if descending else column.asc().nulls_last()


def _ordering(filters: PremisesFilters, distance) -> list:
    return [_ordered(*_sort_key(filters, distance))]


def premises_count(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """How many premises match."""
    return (
        sa.select(sa.func.count())
        .select_from(Premises)
        .where(*premises_conditions(filters, centre_lat))
    )


# --- GeoJSON and map data, built by PostGIS ---------------------------------------------

_SITE_GEOMETRY = sa.func.coalesce(Site.perimeter, Site.point)


def _site_feature() -> sa.ColumnElement:
    return sa.func.json_build_object(
        "type", "Feature",
        "id", Site.id,
        "geometry", sa.cast(sa.func.ST_AsGeoJSON(_SITE_GEOMETRY, 6), JSON),
        "properties", sa.func.json_build_object(
            "name", Site.name,
            "slug", Site.slug,
            "kind", Site.kind,
            "status", Site.status,
            "position_confidence", Site.position_confidence,
            "total_area_ha", Site.total_area_ha,
            "target_sectors", Site.target_sectors,
            "pacte_action", Site.pacte_action,
            "region_funded", Site.region_funded,
        ),
    )  # fmt: skip


def sites_geojson(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """A FeatureCollection (text) of the matching sites, geometry = perimeter or point."""
    page = (
        sa.select(_site_feature().label("feature"))
        .where(*site_conditions(filters, centre_lat))
        .order_by(Site.name)
        .limit(filters.per_page)
        .offset((filters.page - 1) * filters.per_page)
        .subquery()
    )
    return _collection(page, sites_count(filters, centre_lat))


def sites_count(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """How many sites match."""
    return sa.select(sa.func.count()).select_from(Site).where(*site_conditions(filters, centre_lat))


def _collection(page: sa.Subquery, count: sa.Select) -> sa.Select:
    return sa.select(
        sa.cast(
            sa.func.json_build_object(
                "type", "FeatureCollection",
                "numberMatched", count.scalar_subquery(),
                "numberReturned", sa.func.count(page.c.feature),
                "features", sa.func.coalesce(
                    sa.func.json_agg(page.c.feature), sa.text("'[]'::json")
                ),
            ),
            sa.Text,
        )
    ).select_from(page)  # fmt: skip


def _premises_feature(distance) -> sa.ColumnElement:
    properties = [
        "label", Premises.label,
        "kind", Premises.kind,
        "surface_m2", Premises.surface_m2,
        "rent_eur_m2_year", Premises.rent_eur_m2_year,
        "sale_price_eur_m2", Premises.sale_price_eur_m2,
        "availability", Premises.availability,
        "available_from", Premises.available_from,
        "is_demo", Premises.is_demo,
        "site_id", Site.id,
        "site_slug", Site.slug,
        "site_name", Site.name,
        "site_kind", Site.kind,
    ]  # fmt: skip
    if distance is not None:
        properties += ["distance_m", sa.func.round(sa.cast(distance, sa.Numeric), 0)]
    return sa.func.json_build_object(
        "type", "Feature",
        "id", Premises.id,
        "geometry", sa.cast(
            sa.func.ST_AsGeoJSON(sa.func.coalesce(Premises.geometry, Site.point), 6), JSON
        ),
        "properties", sa.func.json_build_object(*properties),
    )  # fmt: skip


def premises_geojson(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """A FeatureCollection (text) of one page of matching premises, in the requested order.

    One scan finds the page's ids, sort keys and the number matched (a window count);
    the features are then built for the page's rows only.
    """
    distance = distance_m(filters)
    key, descending = _sort_key(filters, distance)
    columns = [
        Premises.id.label("id"),
        key.label("sort_key"),
        sa.func.count().over().label("matched"),
    ]
    if distance is not None:
        columns.append(distance.label("distance"))
    page = (
        sa.select(*columns)
        .select_from(Premises)
        .where(*premises_conditions(filters, centre_lat))
        .order_by(_ordered(key, descending), Premises.id)
        .limit(filters.per_page)
        .offset((filters.page - 1) * filters.per_page)
        .subquery()
    )
    feature = _premises_feature(page.c.distance if distance is not None else None)
    features = aggregate_order_by(feature, _ordered(page.c.sort_key, descending), page.c.id)
    # Past the last page there is no row to carry the window count: count apart (lazily).
    matched = sa.func.coalesce(
        sa.func.max(page.c.matched), premises_count(filters, centre_lat).scalar_subquery()
    )
    return sa.select(
        sa.cast(
            sa.func.json_build_object(
                "type", "FeatureCollection",
                "numberMatched", matched,
                "numberReturned", sa.func.count(page.c.id),
                "features", sa.func.coalesce(sa.func.json_agg(features), sa.text("'[]'::json")),
            ),
            sa.Text,
        )
    ).select_from(
        page.join(Premises, Premises.id == page.c.id).join(Site, Site.id == Premises.site_id)
    )  # fmt: skip


def premises_feature(premises_id: int) -> sa.Select:
    """One premises as a GeoJSON Feature (text), or no row."""
    return (
        sa.select(sa.cast(_premises_feature(None), sa.Text))
        .select_from(Premises)
        .join(Premises.site)
        .where(Premises.id == premises_id, Premises.archived_at.is_(None))
    )


def premises_map_rows(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """Compact marker rows: lat, lon, id, availability, label, site name, surface."""
    return (
        sa.select(*_marker_columns())
        .select_from(Premises)
        .join(Premises.site)
        .where(*premises_conditions(filters, centre_lat))
        .where(sa.func.coalesce(Premises.geometry, Site.point).is_not(None))
        .order_by(Premises.id)
        .limit(filters.per_page)
    )


AVAILABILITY_ORDER = [availability.value for availability in Availability]


def premises_map_rows_json(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """``{"matched": n, "rows": [[lat, lon, id, availability index, label, site, surface]]}``
    as text, built by PostGIS (the map's bounding-box loads)."""
    rows = premises_map_rows(filters, centre_lat).subquery()
    columns = list(rows.c)
    row = sa.func.json_build_array(
        columns[0], columns[1], columns[2],
        sa.func.array_position(sa.cast(AVAILABILITY_ORDER, ARRAY(sa.Text)),
                               sa.cast(columns[3], sa.Text)) - 1,
        columns[4], columns[5], columns[6],
    )  # fmt: skip
    return sa.select(
        sa.cast(
            sa.func.json_build_object(
                "matched", premises_count(filters, centre_lat).scalar_subquery(),
                "rows", sa.func.coalesce(sa.func.json_agg(row), sa.text("'[]'::json")),
            ),
            sa.Text,
        )
    ).select_from(rows)  # fmt: skip


def site_map_features(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """Features (json) of the matching sites that have a position, for the map."""
    return (
        sa.select(_site_feature())
        .where(*site_conditions(filters, centre_lat), _SITE_GEOMETRY.is_not(None))
        .order_by(Site.name)
    )


def unlocated_sites(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """Matching sites with no known position: listed beside the map, never drawn."""
    return (
        sa.select(Site)
        .where(*site_conditions(filters, centre_lat), _SITE_GEOMETRY.is_(None))
        .order_by(Site.name)
    )


def communes_geojson() -> sa.Select:
    """The communes' contours as a FeatureCollection (json), for the tile-free layer."""
    feature = sa.func.json_build_object(
        "type", "Feature",
        "geometry", sa.cast(sa.func.ST_AsGeoJSON(Commune.contour, 5), JSON),
        "properties", sa.func.json_build_object("name", Commune.name, "insee", Commune.insee),
    )  # fmt: skip
    return sa.select(
        sa.func.json_build_object(
            "type", "FeatureCollection", "features", sa.func.json_agg(feature)
        )
    ).where(Commune.contour.is_not(None))  # fmt: skip


def communes_for_choice() -> sa.Select:
    """INSEE code and name of every commune, by name."""
    return sa.select(Commune.insee, Commune.name).order_by(Commune.name)


def intercommunalities_for_choice() -> sa.Select:
    """Key and name of the intercommunalities that communes belonged to in 2011."""
    return (
        sa.select(Organisation.key, Organisation.name)
        .where(Organisation.id.in_(sa.select(Commune.intercommunality_2011_id)))
        .order_by(Organisation.name)
    )


def site_feature(site_id: int) -> sa.Select:
    """One site's feature (json) when it has a position."""
    return sa.select(_site_feature()).where(Site.id == site_id, _SITE_GEOMETRY.is_not(None))


def _marker_columns():
    where = sa.func.ST_PointOnSurface(sa.func.coalesce(Premises.geometry, Site.point))
    return (
        sa.func.round(sa.cast(sa.func.ST_Y(where), sa.Numeric), 6),
        sa.func.round(sa.cast(sa.func.ST_X(where), sa.Numeric), 6),
        Premises.id,
        Premises.availability,
        Premises.label,
        Site.name,
        Premises.surface_m2,
    )


def site_premises_rows(site_id: int) -> sa.Select:
    """Marker rows of every premises of a site that has a position."""
    return (
        sa.select(*_marker_columns())
        .select_from(Premises)
        .join(Premises.site)
        .where(
            Premises.site_id == site_id,
            Premises.archived_at.is_(None),
            sa.func.coalesce(Premises.geometry, Site.point).is_not(None),
        )
    )


def premises_marker(premises_id: int) -> sa.Select:
    """The marker row of one premises, when it has a position."""
    return (
        sa.select(*_marker_columns())
        .select_from(Premises)
        .join(Premises.site)
        .where(
            Premises.id == premises_id,
            sa.func.coalesce(Premises.geometry, Site.point).is_not(None),
        )
    )


def site_bounds(site_id: int) -> sa.Select:
    """[[south, west], [north, east]] around a site and its premises."""
    extent = sa.func.ST_Extent(sa.func.coalesce(Premises.geometry, Site.perimeter, Site.point))
    box = (
        sa.select(extent.label("box"))
        .select_from(Site)
        .outerjoin(Premises, Premises.site_id == Site.id)
        .where(Site.id == site_id)
        .subquery()
    )
    return sa.select(
        sa.func.json_build_array(sa.func.ST_YMin(box.c.box), sa.func.ST_XMin(box.c.box)),
        sa.func.json_build_array(sa.func.ST_YMax(box.c.box), sa.func.ST_XMax(box.c.box)),
    ).where(box.c.box.is_not(None))


def radius_bounds(filters: PremisesFilters) -> sa.Select:
    """[[south, west], [north, east]] of the search circle."""
    circle = sa.cast(
        sa.func.ST_Buffer(sa.cast(search_centre(filters), Geography), filters.radius_km * 1000),
        Geometry,
    )
    return sa.select(
        sa.func.json_build_array(sa.func.ST_YMin(circle), sa.func.ST_XMin(circle)),
        sa.func.json_build_array(sa.func.ST_YMax(circle), sa.func.ST_XMax(circle)),
    )
