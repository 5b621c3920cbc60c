"""Mapbox vector tiles of the premises search and of the sites, built by PostGIS.

Each tile is one statement: the search's own conditions (``queries.premises_conditions``,
``queries.site_conditions``) with the tile's envelope as the bounding box, then ST_AsMVTGeom
and ST_AsMVT. Two kinds of premises tiles, by zoom:

- above ``cluster_max_zoom``, layer ``premises``: one feature per position — the premises'
  own point (a polygon's point on surface), or its site's point when it has no geometry;
  premises sharing a position (to the tile's resolution) make one feature with their count;
- up to ``cluster_max_zoom``, layer ``clusters``: the matching premises counted per site
  (through the covering index, without reading their geometry), the sites placed at their
  point, grouped on a grid of ``GRID`` × ``GRID`` cells of the tile, each cluster at the
  weighted centre of its sites with its count. Premises of sites with no known position
  are counted at their own point. A premises belongs to the tile holding that position:
  the counts of a tile's clusters sum to its matching premises.
"""

from __future__ import annotations

import dataclasses
import math

import sqlalchemy as sa

from hosting_app.sites import queries
from hosting_app.sites.filters import PremisesFilters
from hosting_app.sites.models import Premises, PremisesSiteCount, Site

MAX_ZOOM = 22
EXTENT = 4096  # tile coordinates per side (the MVT default)
BUFFER = 256  # tile coordinates drawn beyond each edge (markers cut by an edge stay whole)
GRID = 8  # cluster cells per tile side (32 pixels of a 256-pixel tile)
WEB_MERCATOR_HALF = 20037508.342789244  # metres from the centre to an edge of EPSG:3857


def valid(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names a tile of the Web Mercator pyramid (zoom 0 to MAX_ZOOM)."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def mercator_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a tile in EPSG:3857 metres (as ST_TileEnvelope)."""
    size = 2 * WEB_MERCATOR_HALF / 2**z
    xmin = -WEB_MERCATOR_HALF + x * size
    ymax = WEB_MERCATOR_HALF - y * size
    return xmin, ymax - size, xmin + size, ymax


def lonlat_bounds(z: int, x: int, y: int, margin: float = 0.0) -> tuple[float, ...]:
    """(west, south, east, north) of a tile in WGS84 degrees, widened by ``margin`` tiles."""
    n = 2**z

    def lon(tx: float) -> float:
        return min(180.0, max(-180.0, tx / n * 360.0 - 180.0))

    def lat(ty: float) -> float:
        ty = min(float(n), max(0.0, ty))
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * ty / n))))

    return lon(x - margin), lat(y + 1 + margin), lon(x + 1 + margin), lat(y - margin)


def _envelope(z: int, x: int, y: int) -> sa.ColumnElement:
    return sa.func.ST_TileEnvelope(z, x, y)


def _mvt(rows: sa.Subquery, layer: str) -> sa.Select:
    """The rows' features (column ``geom`` in tile coordinates) as one MVT layer (bytea)."""
    return sa.select(
        sa.func.coalesce(
            sa.func.ST_AsMVT(rows.table_valued(), layer, EXTENT, "geom"),
            sa.text("''::bytea"),
        )
    )


def premises_tile(
    filters: PremisesFilters,
    centre_lat: float | None,
    z: int,
    x: int,
    y: int,
    *,
    cluster_max_zoom: int,
) -> sa.Select:
    """The tile (bytea) of the premises that ``filters`` match: points, or clusters."""
    if z > cluster_max_zoom:
        return _premises_points(filters, centre_lat, z, x, y)
    return _premises_clusters(filters, centre_lat, z, x, y)


def _premises_points(filters, centre_lat, z: int, x: int, y: int) -> sa.Select:
    envelope = _envelope(z, x, y)
    in_tile = dataclasses.replace(filters, bbox=lonlat_bounds(z, x, y, BUFFER / EXTENT))
    point = sa.func.ST_Transform(
        sa.func.ST_PointOnSurface(sa.func.coalesce(Premises.geometry, Site.point)), 3857
    )
    matching = (
        sa.select(
            Premises.id, Premises.label, Premises.kind, Premises.availability,
            Premises.surface_m2, Site.name.label("site"), Site.slug.label("slug"),
            sa.func.ST_AsMVTGeom(point, envelope, EXTENT, BUFFER, True).label("geom"),
        )
        .join(Site, Site.id == Premises.site_id)
        .where(*queries.premises_conditions(in_tile, centre_lat))
        .subquery()
    )  # fmt: skip
    n = sa.func.count()
    single = n == 1

    def only_one(column) -> sa.ColumnElement:
        return sa.case((single, sa.func.min(sa.cast(column, sa.Text))))

    rows = (
        sa.select(
            matching.c.geom,
            n.label("n"),
            sa.case((single, sa.func.min(matching.c.id))).label("id"),
            only_one(matching.c.label).label("label"),
            only_one(matching.c.kind).label("kind"),
            only_one(matching.c.availability).label("availability"),
            sa.case((single, sa.func.min(matching.c.surface_m2))).label("surface_m2"),
            sa.func.min(matching.c.site).label("site"),
            sa.func.min(matching.c.slug).label("slug"),
        )
        .where(matching.c.geom.is_not(None))
        .group_by(matching.c.geom)
        .subquery("premises")
    )
    return _mvt(rows, "premises")


def _premises_clusters(filters, centre_lat, z: int, x: int, y: int) -> sa.Select:
    xmin, ymin, xmax, ymax = mercator_bounds(z, x, y)
    envelope = _envelope(z, x, y)
    box = lonlat_bounds(z, x, y)
    box_4326 = sa.func.ST_MakeEnvelope(*box, 4326)
    anywhere = dataclasses.replace(filters, bbox=None)
    site_point = sa.func.coalesce(Site.point, sa.func.ST_PointOnSurface(Site.perimeter))
    # Premises of the located sites near the tile, counted per site (index only).
    located_sites = sa.select(Site.id).where(
        sa.or_(
            Site.point.op("&&")(box_4326),
            sa.and_(Site.point.is_(None), Site.perimeter.op("&&")(box_4326)),
        )
    )
    counted = filters.counted_per_site()
    if counted:
        # Read off the counts per site, kind and availability: a few rows per site instead
        # of every matching premises. The site's own filters apply to the sites here.
        site_only = dataclasses.replace(anywhere, point=None, near=None, radius_km=None)
        kept = queries.site_conditions(site_only, None)
        counts = PremisesSiteCount
        per_site = (
            sa.select(
                counts.site_id,
                sa.func.sum(counts.n).label("n"),
                sa.null().label("id"),  # looked up below for a cluster of one premises
            )
            .where(counts.availability.in_(filters.availability))
            .where(*([counts.kind.in_(filters.kinds)] if filters.kinds else []))
            .where(counts.site_id.in_(located_sites.where(*kept)))
            .group_by(counts.site_id)
            .subquery()
        )
    else:
        per_site = (
            sa.select(
                Premises.site_id,
                sa.func.count().label("n"),
                sa.func.min(Premises.id).label("id"),
            )
            .where(*queries.premises_conditions(anywhere, centre_lat))
            .where(Premises.site_id.in_(located_sites))
            .group_by(Premises.site_id)
            .subquery()
        )
    of_sites = sa.select(
        per_site.c.n,
        sa.cast(per_site.c.id, sa.Integer).label("id"),
        per_site.c.site_id,
        sa.func.ST_Transform(site_point, 3857).label("point"),
    ).join(Site, Site.id == per_site.c.site_id)
    # Premises of the sites with no position, at their own point.
    unplaced = dataclasses.replace(filters, bbox=box)
    own = sa.select(
        sa.literal(1).label("n"),
        Premises.id,
        sa.cast(sa.null(), sa.Integer).label("site_id"),
        sa.func.ST_Transform(sa.func.ST_PointOnSurface(Premises.geometry), 3857).label("point"),
    ).where(
        *queries.premises_conditions(unplaced, centre_lat),
        Premises.geometry.is_not(None),
        Premises.site_id.in_(
            sa.select(Site.id).where(Site.point.is_(None), Site.perimeter.is_(None))
        ),
    )
    # Materialised: the tile's filter below must not be pushed down into the sites' scan,
    # whose estimate it would ruin (one row instead of thousands, then a nested loop).
    placed = sa.union_all(of_sites, own).cte("placed").prefix_with("MATERIALIZED")
    # Half-open cells and tile: a point on an edge belongs to one tile only.
    px, py = sa.func.ST_X(placed.c.point), sa.func.ST_Y(placed.c.point)
    cell = (xmax - xmin) / GRID
    column = sa.func.floor((px - xmin) / cell)
    row = sa.func.floor((py - ymin) / cell)
    total = sa.func.sum(placed.c.n)
    centre = sa.func.ST_SetSRID(
        sa.func.ST_MakePoint(
            sa.func.sum(placed.c.n * px) / total, sa.func.sum(placed.c.n * py) / total
        ),
        3857,
    )
    rows = (
        sa.select(
            sa.func.ST_AsMVTGeom(centre, envelope, EXTENT, BUFFER, True).label("geom"),
            sa.cast(total, sa.Integer).label("n"),
            sa.case((total == 1, sa.func.min(placed.c.id))).label("id"),
            sa.case((total == 1, sa.func.min(placed.c.site_id))).label("site_id"),
        )
        .where(px >= xmin, px < xmax, py > ymin, py <= ymax)
        .group_by(column, row)
        .subquery("clusters")
    )
    if not counted:
        return _mvt(sa.select(rows.c.geom, rows.c.n, rows.c.id).subquery("clusters"), "clusters")
    # A cluster of one premises counted per site: that premises' id (one indexed lookup).
    lone = (
        sa.select(Premises.id)
        .where(Premises.site_id == rows.c.site_id)
        .where(*queries.premises_conditions(anywhere, centre_lat))
        .limit(1)
        .scalar_subquery()
    )
    found = sa.select(
        rows.c.geom,
        rows.c.n,
        sa.case((rows.c.site_id.is_not(None), lone), else_=rows.c.id).label("id"),
    ).subquery("clusters")
    return _mvt(found, "clusters")


def sites_tile(filters: PremisesFilters, centre_lat: float | None, z: int, x: int, y: int):
    """The tile (bytea) of the matching sites: perimeters, or points when unknown."""
    envelope = _envelope(z, x, y)
    in_tile = dataclasses.replace(filters, bbox=lonlat_bounds(z, x, y, BUFFER / EXTENT))
    shape = sa.func.ST_Transform(sa.func.coalesce(Site.perimeter, Site.point), 3857)
    rows = (
        sa.select(
            sa.func.ST_AsMVTGeom(shape, envelope, EXTENT, BUFFER, True).label("geom"),
            Site.id,
            Site.name,
            Site.slug,
            sa.cast(Site.kind, sa.Text).label("kind"),
            sa.cast(Site.position_confidence, sa.Text).label("confidence"),
        )
        .where(*queries.site_conditions(in_tile, centre_lat))
        .subquery()
    )
    drawn = sa.select(rows).where(rows.c.geom.is_not(None)).subquery("sites")
    return _mvt(drawn, "sites")
