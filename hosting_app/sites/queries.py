"""Queries on sites and premises; each returns a Select for the caller to run."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm
from geoalchemy2 import Geography, Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSON, aggregate_order_by
from sqlalchemy.orm import contains_eager, selectinload

from hosting_app.auth.models import Organisation
from hosting_app.sites.filters import PremisesFilters
from hosting_app.sites.models import (
    AVAILABLE_ORDER,
    PRICE,
    Availability,
    Premises,
    Site,
    site_commune,
)
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
# Matching rows are counted exactly up to this number; beyond it, « plus de 10 000 ».
COUNT_LIMIT = 10_000


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
        conditions.append(Premises.surface_m2 >= _decimal(filters.surface_min))
    if filters.surface_max is not None:
        conditions.append(Premises.surface_m2 <= _decimal(filters.surface_max))
    if filters.max_rent is not None:
        conditions.append(Premises.rent_eur_m2_year <= _decimal(filters.max_rent))
    if filters.max_sale_price is not None:
        conditions.append(Premises.sale_price_eur_m2 <= _decimal(filters.max_sale_price))
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


def search_settings(*, local: bool = True) -> sa.TextClause:
    """Settings for the search's statements (for the transaction when ``local``).

    They run in milliseconds, but PostGIS functions declare high costs (ST_DWithin: 10,000
    operations a row), which lift some estimates above jit_above_cost: compiling them took
    120 ms of a 270 ms search at 1,000,000 premises. Parallel workers, which such estimates
    also call for, cost more to start than they save here, and take the cores that the other
    requests need.
    """
    return sa.text(
        "SELECT set_config('jit', 'off', :local), "
        "set_config('max_parallel_workers_per_gather', '0', :local)"
    ).bindparams(sa.bindparam("local", local, type_=sa.Boolean))


def _decimal(value: float) -> Decimal:
    """A bound for a NUMERIC column: a float parameter would turn the column into a double
    precision value in the comparison, and its index would no longer serve the range."""
    return Decimal(repr(value))


def centre_latitude(filters: PremisesFilters) -> sa.Select | None:
    """A query for the latitude of the search's centre when it is a commune."""
    if filters.near is None:
        return None
    return sa.select(sa.func.ST_Y(Commune.centroid)).where(Commune.insee == filters.near)


def centre_point(filters: PremisesFilters) -> sa.Select | None:
    """A query for (longitude, latitude) of the search's centre when it is a commune.

    Searching around these values rather than around a subquery lets PostgreSQL estimate how
    many premises lie in the search's box, and so choose the right index.
    """
    if filters.near is None:
        return None
    centroid = Commune.centroid
    return sa.select(sa.func.ST_X(centroid), sa.func.ST_Y(centroid)).where(
        Commune.insee == filters.near
    )


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
    return query.order_by(*_ordering(*_sort_key(filters, distance), Premises.id))


def _sort_key(filters: PremisesFilters, distance) -> tuple[sa.ColumnElement, bool, bool]:
    """The expression to sort on, whether descending, and whether it can be NULL."""
    sort = filters.sort or ("distance" if distance is not None else "available_from")
    key = sort.lstrip("-")
    if key == "surface":
        column, nullable = Premises.surface_m2, False
    elif key == "price":
        column, nullable = PRICE, True
    elif key == "distance":
        column, nullable = distance, True
    else:
        column, nullable = AVAILABLE_ORDER, False
    return column, sort.startswith("-"), nullable


def _ordering(column, descending: bool, nullable: bool, tie_breaker) -> list:
    """ORDER BY the key then ``tie_breaker`` (the id) in the same direction, so that one
    btree index on (key, id) yields the rows in either order; NULL keys come last."""
    if descending:
        key = column.desc().nulls_last() if nullable else column.desc()
        return [key, tie_breaker.desc()]
    return [column.asc(), tie_breaker.asc()]  # ASC puts NULLs last


def premises_count(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """How many premises match."""
    return (
        sa.select(sa.func.count())
        .select_from(Premises)
        .where(*premises_conditions(filters, centre_lat))
    )


def capped_count(query: sa.Select, limit: int) -> sa.Select:
    """How many rows ``query`` yields, counting no further than ``limit + 1``.

    Past ``limit`` the exact number is not worth reading every matching row for: a result
    above ``limit`` means « more than ``limit`` ».
    """
    rows = (
        query.with_only_columns(sa.literal(1), maintain_column_froms=True)
        .order_by(None)
        .limit(limit + 1)
        .subquery()
    )
    return sa.select(sa.func.count()).select_from(rows)


def premises_count_capped(
    filters: PremisesFilters, centre_lat: float | None, limit: int = COUNT_LIMIT
) -> sa.Select:
    """How many premises match, up to ``limit + 1`` (see ``capped_count``)."""
    matching = sa.select(Premises.id).where(*premises_conditions(filters, centre_lat))
    return capped_count(matching, limit)


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


def sites_geojson(
    filters: PremisesFilters, centre_lat: float | None, count_limit: int = COUNT_LIMIT
) -> sa.Select:
    """A FeatureCollection (text) of the matching sites, geometry = perimeter or point."""
    conditions = site_conditions(filters, centre_lat)
    page = (
        sa.select(_site_feature().label("feature"))
        .where(*conditions)
        .order_by(Site.name)
        .limit(filters.per_page)
        .offset((filters.page - 1) * filters.per_page)
        .subquery()
    )
    counted = capped_count(sa.select(Site.id).where(*conditions), count_limit)
    returned = sa.func.count(page.c.feature)
    offset, per_page = (filters.page - 1) * filters.per_page, filters.per_page
    matched = _matched(returned, counted, offset=offset, per_page=per_page)
    return _collection(matched, count_limit, returned, sa.func.json_agg(page.c.feature), page)


def sites_count(filters: PremisesFilters, centre_lat: float | None) -> sa.Select:
    """How many sites match."""
    return sa.select(sa.func.count()).select_from(Site).where(*site_conditions(filters, centre_lat))


def _matched(returned, counted: sa.Select, *, offset: int, per_page: int, known=None):
    """The number matched: ``known`` (a count already made), else read off the page when it is
    neither empty nor full, else ``counted`` — which PostgreSQL then runs only in that case."""
    if known is None:
        # The offset as a bigint: page × per_page may pass 2^31 (a page far beyond the end).
        known = sa.case(
            (
                sa.and_(returned > 0, returned < per_page),
                sa.literal(offset, sa.BigInteger) + returned,
            )
        )
    return sa.func.coalesce(known, counted.scalar_subquery())


def _collection(matched, count_limit: int, returned, features, source) -> sa.Select:
    """The FeatureCollection (text): ``matched``, ``returned`` and ``features`` aggregate the
    page's rows from ``source``; above ``count_limit``, « more than ``count_limit`` »."""
    page = (
        sa.select(
            matched.label("matched"),
            returned.label("returned"),
            sa.func.coalesce(features, sa.text("'[]'::json")).label("features"),
        )
        .select_from(source)
        .subquery()
    )
    return sa.select(
        sa.cast(
            sa.func.json_build_object(
                "type", "FeatureCollection",
                "numberMatched", sa.func.least(page.c.matched, count_limit),
                "numberMatchedIsLowerBound", page.c.matched > count_limit,
                "numberReturned", page.c.returned,
                "features", page.c.features,
            ),
            sa.Text,
        )
    )  # fmt: skip


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


def premises_geojson(
    filters: PremisesFilters, centre_lat: float | None, count_limit: int = COUNT_LIMIT
) -> sa.Select:
    """A FeatureCollection (text) of one page of matching premises, in the requested order.

    The page's ids and sort keys come first, read in the order of an index where one
    serves the sort (LIMIT then stops early); the features are built for the page's rows only;
    the number matched is counted up to ``count_limit`` (above it: « more than »).
    """
    distance = distance_m(filters)
    key, descending, nullable = _sort_key(filters, distance)
    conditions = premises_conditions(filters, centre_lat)
    columns = [Premises.id.label("id"), key.label("sort_key")]
    if distance is not None:
        columns.append(distance.label("distance"))
    by_distance = key is distance
    if by_distance:
        # No index yields this order: every match is read and sorted anyway, so count them
        # in the same scan.
        columns.append(sa.func.count().over().label("matched"))
    offset = (filters.page - 1) * filters.per_page
    page = (
        sa.select(*columns)
        .where(*conditions)
        .order_by(*_ordering(key, descending, nullable, Premises.id))
        .limit(filters.per_page)
        .offset(offset)
        .subquery()
    )
    feature = _premises_feature(page.c.distance if distance is not None else None)
    in_order = _ordering(page.c.sort_key, descending, nullable, page.c.id)
    returned = sa.func.count(page.c.id)
    counted = capped_count(sa.select(Premises.id).where(*conditions), count_limit)
    matched = _matched(
        returned, counted, offset=offset, per_page=filters.per_page,
        known=sa.func.max(page.c.matched) if by_distance else None,
    )  # fmt: skip
    source = page.join(Premises, Premises.id == page.c.id).join(Site, Site.id == Premises.site_id)
    return _collection(
        matched,
        count_limit,
        returned,
        sa.func.json_agg(aggregate_order_by(feature, *in_order)),
        source,
    )


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


def premises_map_rows_json(
    filters: PremisesFilters, centre_lat: float | None, count_limit: int = COUNT_LIMIT
) -> sa.Select:
    """``{"matched": n, "matchedIsLowerBound": false, "rows": [[lat, lon, id, availability
    index, label, site, surface]]}`` as text, built by PostGIS (the map's bounding-box loads).

    One pass: matching premises that have a position are read until ``count_limit + 1`` are
    found, in no particular order; they are counted (above ``count_limit``: « more than »)
    and the first ``per_page`` of them become the rows, by id. When more match than the map
    shows, it shows some and asks to zoom in.
    """
    located = sa.or_(Premises.geometry.is_not(None), _of_sites(Site.point.is_not(None)))
    found = (
        sa.select(
            Premises.id, Premises.site_id, Premises.geometry, Premises.availability,
            Premises.label, Premises.surface_m2,
        )
        .where(*premises_conditions(filters, centre_lat), located)
        .limit(max(count_limit, filters.per_page) + 1)
        .subquery()
    )  # fmt: skip
    matching = sa.select(found, sa.func.row_number().over().label("n")).cte("matching")
    shown = (
        sa.select(
            matching,
            Site.name.label("site_name"),
            sa.func.ST_PointOnSurface(sa.func.coalesce(matching.c.geometry, Site.point)).label(
                "point"
            ),
        )
        .join(Site, Site.id == matching.c.site_id)
        .where(matching.c.n <= filters.per_page)
        .offset(0)  # a fence: each point is computed once, not once per coordinate
        .subquery()
    )
    row = sa.func.json_build_array(
        _degrees(sa.func.ST_Y(shown.c.point)), _degrees(sa.func.ST_X(shown.c.point)),
        shown.c.id,
        sa.func.array_position(sa.cast(AVAILABILITY_ORDER, ARRAY(sa.Text)),
                               sa.cast(shown.c.availability, sa.Text)) - 1,
        shown.c.label, shown.c.site_name, shown.c.surface_m2,
    )  # fmt: skip
    rows = sa.select(
        sa.func.coalesce(
            sa.func.json_agg(aggregate_order_by(row, shown.c.id)), sa.text("'[]'::json")
        ).label("rows")
    ).subquery()
    counted = sa.select(sa.func.count().label("matched")).select_from(matching).subquery()
    # ``counted`` and ``rows`` are one row each.
    return sa.select(
        sa.cast(
            sa.func.json_build_object(
                "matched", sa.func.least(counted.c.matched, count_limit),
                "matchedIsLowerBound", counted.c.matched > count_limit,
                "rows", rows.c.rows,
            ),
            sa.Text,
        )
    ).select_from(counted.join(rows, sa.true()))  # fmt: skip


def _degrees(value) -> sa.ColumnElement:
    """A coordinate rounded to 6 decimals (about 0.1 m), as a double (cheaper than numeric)."""
    return sa.func.round(value * 1e6) / 1e6


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
