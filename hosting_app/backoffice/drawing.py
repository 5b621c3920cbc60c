"""The drawing maps of the back-office: folium's map, with Leaflet-Geoman added by the page."""

from __future__ import annotations

import folium
from flask import current_app
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from hosting_app.sites import maps
from hosting_app.sites import queries as site_queries
from hosting_app.sites.models import Premises, Site
from hosting_app.sites.services import TERRITORY_CENTRE, vendor_url

MARGIN = 0.004  # degrees around a lone point (about 400 m)


def _bounds(*elements) -> list[list[float]] | None:
    shapes = [to_shape(e) for e in elements if e is not None]
    if not shapes:
        return None
    west = min(s.bounds[0] for s in shapes)
    south = min(s.bounds[1] for s in shapes)
    east = max(s.bounds[2] for s in shapes)
    north = max(s.bounds[3] for s in shapes)
    if east - west < MARGIN and north - south < MARGIN:
        west, south, east, north = west - MARGIN, south - MARGIN, east + MARGIN, north + MARGIN
    return [[south, west], [north, east]]


def drawing_map(
    session: Session, *, site: Site | None, premises: Premises | None = None, unit: bool = False
):
    """A map to draw a site's perimeter, or a unit's outline or point (``unit``) on.

    Commune contours show where one is; a unit's site is outlined (dashed) around it.
    """
    communes = session.scalar(site_queries.communes_geojson())
    basemap = current_app.config.get("MAP_BASEMAP", "ign")
    m = maps.new_map(centre=TERRITORY_CENTRE, zoom=11, basemap=basemap, communes=communes)
    site_bounds = _bounds(site.perimeter, site.point) if site is not None else None
    if unit and site is not None:
        outline = site.perimeter if site.perimeter is not None else site.point
        if outline is not None:
            folium.GeoJson(
                mapping(to_shape(outline)),
                name=f"Site : {site.name}",
                style_function=lambda _f: {"color": "#4a4a4a", "weight": 2, "dashArray": "6 4",
                                           "fillOpacity": 0.05},
                marker=folium.CircleMarker(radius=8, color="#4a4a4a"),
            ).add_to(m)  # fmt: skip
    own = _bounds(premises.geometry) if premises is not None else None
    maps.fit(m, own or site_bounds)
    return maps.render(m, vendor_url)
