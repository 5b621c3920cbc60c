"""Assemble what the public pages show: queries (SQL) on one side, maps (folium) on the other."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlencode

from flask import current_app, url_for
from sqlalchemy.orm import Session

from hosting_app.sites import maps, queries
from hosting_app.sites.filters import PremisesFilters, TilePremisesSchema, TileSiteSchema
from hosting_app.sites.models import PositionConfidence, Premises, Site, SiteKind

TERRITORY_CENTRE = (48.59, 2.62)  # between Sénart and Melun


def vendor_url(path: str) -> str:
    """URL of a front-end file served by the app (``package/file``)."""
    package, filename = path.split("/", 1)
    return url_for("vendor.asset", package=package, filename=filename)


def _site_features(rows) -> list[dict]:
    features = []
    for (feature,) in rows:
        properties = feature["properties"]
        confidence = PositionConfidence(properties["position_confidence"])
        properties["url"] = url_for("sites.site", slug=properties["slug"])
        properties["approximate"] = confidence in (
            PositionConfidence.LOW,
            PositionConfidence.UNKNOWN,
        )
        properties["confidence_label"] = confidence.label
        properties["kind_label"] = SiteKind(properties["kind"]).label
        features.append(feature)
    return features


def _new_map(session: Session, *, centre=TERRITORY_CENTRE, zoom: int = 11):
    communes = session.scalar(queries.communes_geojson())
    basemap = current_app.config.get("MAP_BASEMAP", "ign")
    return maps.new_map(centre=centre, zoom=zoom, basemap=basemap, communes=communes)


def search_map(
    session: Session,
    filters: PremisesFilters,
    centre_lat: float | None,
    api_query: str,
    count: int,
) -> tuple[maps.RenderedMap, list[Site]]:
    """The search map: matching sites by kind, the ``count`` matching premises clustered
    (embedded; above MAP_EMBED_LIMIT, both as vector tiles); unlocated sites."""
    m = _new_map(session)
    limit = current_app.config.get("MAP_EMBED_LIMIT", 10_000)
    if count <= limit:
        maps.add_sites(
            m, _site_features(session.execute(queries.site_map_features(filters, centre_lat)))
        )
        everything = dataclasses.replace(filters, page=1, per_page=limit)
        rows = session.execute(queries.premises_map_rows(everything, centre_lat)).all()
        maps.add_premises(
            m,
            [
                [float(r[0]), float(r[1]), r[2], maps.availability_code(r[3]), r[4], r[5],
                 float(r[6])]
                for r in rows
            ],
        )  # fmt: skip
    else:
        site_query = _only(api_query, TileSiteSchema())
        maps.SiteTiles(_tiles_url("api.sites_tile") + site_query).add_to(m)
        maps.PremisesTiles(
            _tiles_url("api.premises_tile") + _only(api_query, TilePremisesSchema()),
            notice_id="map-notice",
            cluster_max_zoom=current_app.config.get("TILE_CLUSTER_MAX_ZOOM", 13),
        ).add_to(m)
    if filters.point is not None:
        lon, lat = filters.point
        maps.add_centre(m, lat, lon, filters.radius_km)
    if centre_lat is not None and filters.radius_km:
        bounds = session.execute(queries.radius_bounds(filters)).first()
        maps.fit(m, [list(corner) for corner in bounds] if bounds else None)
    unlocated = list(session.scalars(queries.unlocated_sites(filters, centre_lat)))
    return maps.render(m, vendor_url), unlocated


def _only(query: str, schema) -> str:
    """``?`` and the parameters of ``query`` that ``schema`` reads (or nothing)."""
    kept = [(k, v) for k, v in parse_qsl(query) if k in schema.fields]
    return f"?{urlencode(kept)}" if kept else ""


def _tiles_url(endpoint: str) -> str:
    """A tile endpoint's URL with Leaflet's ``{z}/{x}/{y}`` placeholders."""
    url = url_for(endpoint, z=0, x=0, y=0)
    return url.removesuffix("/0/0/0.pbf") + "/{z}/{x}/{y}.pbf"


def site_map(session: Session, site: Site) -> maps.RenderedMap | None:
    """A small map of one site: its perimeter or point, and its premises."""
    feature = session.execute(queries.site_feature(site.id)).first()
    if feature is None:
        return None
    m = _new_map(session, zoom=14)
    maps.add_sites(m, _site_features([feature]))
    rows = session.execute(queries.site_premises_rows(site.id)).all()
    maps.add_premises(
        m, [[float(r[0]), float(r[1]), r[2], maps.availability_code(r[3]), r[4], r[5], float(r[6])]
            for r in rows],
    )  # fmt: skip
    bounds = session.execute(queries.site_bounds(site.id)).first()
    maps.fit(m, [list(corner) for corner in bounds] if bounds else None)
    return maps.render(m, vendor_url)


def premises_map(session: Session, premises: Premises) -> maps.RenderedMap | None:
    """A small map of one premises unit within its site."""
    row = session.execute(queries.premises_marker(premises.id)).first()
    if row is None:
        return None
    m = _new_map(session, centre=(float(row[0]), float(row[1])), zoom=15)
    feature = session.execute(queries.site_feature(premises.site_id)).first()
    if feature is not None:
        maps.add_sites(m, _site_features([feature]))
    maps.add_premises(
        m, [[float(row[0]), float(row[1]), row[2], maps.availability_code(row[3]), row[4],
             row[5], float(row[6])]],
    )  # fmt: skip
    return maps.render(m, vendor_url)
