"""Maps built with folium from data the views pass in (no SQL here).

folium writes Leaflet's JavaScript; its assets are rewritten to the files the app serves
(``/vendor/…``) and the page embeds the map's parts (no iframe, no CDN).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import CssLink, Element, JavascriptLink
from folium.plugins import FastMarkerCluster, VectorGridProtobuf
from folium.utilities import JsCode
from jinja2 import Template
from markupsafe import Markup

from hosting_app.security import csp_nonce
from hosting_app.sites.models import Availability, SiteKind

IGN_PLAN = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM"
    "&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
BASEMAPS: dict[str, tuple[str, str, str]] = {
    "ign": (IGN_PLAN, "Plan IGN", "© IGN-F / Géoplateforme"),
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "OpenStreetMap",
        "© les contributeurs d'OpenStreetMap",
    ),
}

KIND_COLOURS: dict[SiteKind, str] = {
    SiteKind.INCUBATOR: "#6a3d9a",
    SiteKind.BUSINESS_HOTEL: "#1f78b4",
    SiteKind.SERVICES_HUB: "#008080",
    SiteKind.ECO_PARK: "#33a02c",
    SiteKind.CRAFT_VILLAGE: "#b15928",
    SiteKind.ACTIVITY_ZONE: "#e31a1c",
    SiteKind.AERO_PARK: "#ff7f00",
}
AVAILABILITY_COLOURS: dict[Availability, str] = {
    Availability.AVAILABLE: "#1a7f37",
    Availability.UNDER_CONSTRUCTION: "#d4a000",
    Availability.RESERVED: "#8250df",
    Availability.OCCUPIED: "#6e7781",
}

# folium's asset names → files served by the app; any other asset is refused (no CDN).
LOCAL_ASSETS: dict[str, str | None] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    "vectorGrid": "leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    # Not used by these maps.
    "jquery": None,
    "bootstrap": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers": None,
    "awesome_markers_css": None,
    "awesome_markers_font_css": None,
    "awesome_rotate_css": None,
}


@dataclass(frozen=True)
class RenderedMap:
    """The parts of a folium map to place in a page."""

    name: str
    assets: Markup
    html: Markup
    script: Markup


def new_map(
    *, centre: tuple[float, float], zoom: int, basemap: str, communes: dict | None
) -> folium.Map:
    """A map on the chosen basemap, with the tile-free layer of commune contours."""
    m = folium.Map(location=list(centre), zoom_start=zoom, tiles=None, control_scale=True)
    order = (
        [basemap] + [name for name in BASEMAPS if name != basemap] if basemap in BASEMAPS else []
    )
    for position, name in enumerate(order):
        url, label, attribution = BASEMAPS[name]
        folium.TileLayer(
            url, name=label, attr=attribution, max_zoom=19, show=position == 0, overlay=False
        ).add_to(m)
    if communes is not None:
        folium.GeoJson(
            communes,
            name="Communes (sans fond de carte)",
            style_function=lambda _f: {
                "color": "#4a4a4a",
                "weight": 1,
                "fill": True,
                "fillColor": "#f3f6f9",
                "fillOpacity": 0.35 if basemap in BASEMAPS else 0.9,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
            control=True,
        ).add_to(m)
    return m


_SITE_FEATURE = JsCode(
    """function (feature, layer) {
        var p = feature.properties, box = document.createElement('div');
        var link = document.createElement('a');
        link.href = p.url; link.textContent = p.name;
        var title = document.createElement('strong'); title.appendChild(link);
        box.appendChild(title);
        var kind = document.createElement('div'); kind.textContent = p.kind_label;
        box.appendChild(kind);
        if (p.approximate) {
            var warn = document.createElement('div'); warn.className = 'map-warning';
            warn.textContent = p.confidence_label;
            box.appendChild(warn);
        }
        layer.bindPopup(box);
        var tip = document.createElement('span');
        tip.textContent = p.name + (p.approximate ? ' (' + p.confidence_label + ')' : '');
        layer.bindTooltip(tip);
    }"""
)
_SITE_POINT = JsCode(
    """function (feature, latlng) {
        var p = feature.properties;
        return L.circleMarker(latlng, {radius: p.approximate ? 14 : 9, color: p.colour,
            weight: 3, dashArray: p.approximate ? '5 5' : null, fillColor: p.colour,
            fillOpacity: p.approximate ? 0.1 : 0.35});
    }"""
)


def add_sites(m: folium.Map, features: list[dict]) -> None:
    """Site perimeters (or points) in one layer per kind, coloured by kind.

    Each feature's properties: name, url, kind; approximate positions are dashed.
    """
    for kind in SiteKind:
        of_kind = [f for f in features if f["properties"]["kind"] == kind.value]
        if not of_kind:
            continue
        for feature in of_kind:
            feature["properties"]["colour"] = KIND_COLOURS[kind]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": of_kind},
            name=f'<span class="swatch" style="background:{KIND_COLOURS[kind]}"></span>'
            f"{kind.label}",
            style_function=lambda f: {
                "color": f["properties"]["colour"],
                "weight": 2,
                "dashArray": "6 4" if f["properties"]["approximate"] else None,
                "fillOpacity": 0.15,
            },
            on_each_feature=_SITE_FEATURE,
            point_to_layer=_SITE_POINT,
        ).add_to(m)


_PREMISES_MARKER = """function callback(row) {
    // row: [lat, lon, id, availability code, label, site name, surface]
    var colours = %s, labels = %s;
    var marker = L.circleMarker([row[0], row[1]], {radius: 7, color: '#ffffff', weight: 1.5,
        fillColor: colours[row[3]], fillOpacity: 0.95});
    var box = document.createElement('div'), link = document.createElement('a');
    link.href = '/locaux/' + row[2]; link.textContent = row[4] + ' — ' + row[5];
    box.appendChild(link);
    var info = document.createElement('div');
    info.textContent = row[6] + ' m² · ' + labels[row[3]];
    box.appendChild(info);
    marker.bindPopup(box);
    return marker;
}"""


def premises_callback() -> str:
    """The JavaScript that draws one premises marker from a data row."""
    codes = list(Availability)
    colours = [AVAILABILITY_COLOURS[a] for a in codes]
    labels = [a.label for a in codes]
    return _PREMISES_MARKER % (json.dumps(colours), json.dumps(labels, ensure_ascii=False))


def availability_code(availability: Availability) -> int:
    """The index of an availability in the marker rows."""
    return list(Availability).index(availability)


def add_premises(m: folium.Map, rows: list[list[Any]]) -> None:
    """Premises as clustered markers coloured by availability, drawn in the browser."""
    FastMarkerCluster(
        rows,
        callback=premises_callback(),
        name="Locaux",
        options={"chunkedLoading": True, "showCoverageOnHover": False, "maxClusterRadius": 50},
    ).add_to(m)


_TILES_PANE = """
if (!map.getPane('donnees-tuiles')) {
    map.createPane('donnees-tuiles').style.zIndex = 450;  // above the commune contours
}
// VectorGrid's points are circle markers without a position of their own: Leaflet would read
// it for their events and fail; without getLatLng it takes the pointer's position instead.
function pointsWithoutPosition(layer) {
    var create = layer._createLayer;
    layer._createLayer = function () {
        var symbolizer = create.apply(this, arguments);
        if (symbolizer instanceof L.CircleMarker) { symbolizer.getLatLng = null; }
        return symbolizer;
    };
    return layer;
}"""


class SiteTiles(VectorGridProtobuf):
    """The matching sites as vector tiles (``/api/tiles/sites/…``), coloured by kind."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var map = {{ this._parent.get_name() }};
            {{ this.pane_script }}
            var colours = {{ this.colours|tojson }}, labels = {{ this.labels|tojson }};
            var layer = pointsWithoutPosition(L.vectorGrid.protobuf({{ this.url|tojson }}, {
                pane: 'donnees-tuiles', interactive: true, minZoom: {{ this.min_zoom }},
                maxNativeZoom: 22,
                vectorTileLayerStyles: {sites: function (p) {
                    var colour = colours[p.kind] || '#444444';
                    var rough = p.confidence === 'low' || p.confidence === 'unknown';
                    return {color: colour, weight: 2, fill: true, fillColor: colour,
                            fillOpacity: 0.15, radius: 9, dashArray: rough ? '6 4' : null,
                            bubblingMouseEvents: false};  // a click on a site is not the map's
                }}
            }));
            layer.on('click', function (event) {
                var p = event.layer.properties, box = document.createElement('div');
                var title = document.createElement('strong'), link = document.createElement('a');
                link.href = '/sites/' + p.slug; link.textContent = p.name;
                title.appendChild(link); box.appendChild(title);
                var kind = document.createElement('div'); kind.textContent = labels[p.kind] || '';
                box.appendChild(kind);
                var at = event.latlng || map.mouseEventToLatLng(event.originalEvent);
                L.popup().setLatLng(at).setContent(box).openOn(map);
                L.DomEvent.stop(event);
            });
            return layer;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, url: str, min_zoom: int = 12):
        """``url``: the tiles' URL template, ``{z}/{x}/{y}`` and the search's filters."""
        super().__init__(url, name=f"Sites (à partir du zoom {min_zoom})")
        self._name = "SiteTiles"
        self.min_zoom = min_zoom
        self.pane_script = _TILES_PANE
        self.colours = {kind.value: colour for kind, colour in KIND_COLOURS.items()}
        self.labels = {kind.value: kind.label for kind in SiteKind}


class PremisesTiles(VectorGridProtobuf):
    """The matching premises as vector tiles (``/api/tiles/premises/…``): clusters with their
    count at low zoom, points coloured by availability beyond."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var map = {{ this._parent.get_name() }};
            {{ this.pane_script }}
            var colours = {{ this.colours|tojson }}, labels = {{ this.labels|tojson }};
            function clusterIcon(n) {
                var size = n < 10 ? 26 : n < 100 ? 32 : n < 1000 ? 38 : 46, r = size / 2 - 2;
                var text = n < 10000 ? String(n) : Math.round(n / 1000) + ' k';
                var svg = '<svg xmlns="http://www.w3.org/2000/svg" width="' + size
                    + '" height="' + size + '"><circle cx="' + size / 2 + '" cy="' + size / 2
                    + '" r="' + r + '" fill="#0b5394" fill-opacity="0.85" stroke="#ffffff" '
                    + 'stroke-width="2"/><text x="50%" y="50%" dy="0.35em" text-anchor="middle" '
                    + 'font-family="sans-serif" font-size="12" font-weight="bold" fill="#ffffff">'
                    + text + '</text></svg>';
                return L.icon({iconUrl: 'data:image/svg+xml;charset=utf-8,'
                    + encodeURIComponent(svg), iconSize: [size, size]});
            }
            function point(p) {
                return {radius: p.n > 1 ? 9 : 7, color: '#ffffff', weight: 1.5, fill: true,
                        fillColor: colours[p.availability] || '#0b5394', fillOpacity: 0.95,
                        bubblingMouseEvents: false};  // a click on a premises is not the map's
            }
            var layer = pointsWithoutPosition(L.vectorGrid.protobuf({{ this.url|tojson }}, {
                pane: 'donnees-tuiles', interactive: true, maxNativeZoom: 22,
                vectorTileLayerStyles: {
                    premises: point,
                    clusters: function (p) {
                        return p.n > 1 ? {icon: clusterIcon(p.n), bubblingMouseEvents: false}
                            : point(p);
                    }
                }
            }));
            function line(box, text) {
                var div = document.createElement('div'); div.textContent = text;
                box.appendChild(div);
                return div;
            }
            layer.on('click', function (event) {
                var p = event.layer.properties, box = document.createElement('div'), link;
                // Leaflet reads a point symbolizer's own position, which VectorGrid leaves unset.
                var at = event.latlng || map.mouseEventToLatLng(event.originalEvent);
                if (p.n === 1 && p.id) {
                    link = document.createElement('a'); link.href = '/locaux/' + p.id;
                    link.textContent = p.label ? p.label + ' — ' + p.site : 'Voir ce local';
                    box.appendChild(link);
                    if (p.surface_m2) {
                        line(box, p.surface_m2 + ' m² · ' + (labels[p.availability] || ''));
                    }
                } else if (p.site) {
                    line(box, p.n + ' locaux à cet emplacement');
                    link = document.createElement('a'); link.href = '/sites/' + p.slug;
                    link.textContent = p.site; box.appendChild(link);
                } else {
                    line(box, p.n + ' locaux dans cette zone');
                    var zoom = document.createElement('button'); zoom.type = 'button';
                    zoom.textContent = 'Zoomer sur cette zone';
                    zoom.addEventListener('click', function () {
                        map.closePopup();
                        map.setView(at, Math.min(map.getZoom() + 2, 18));
                    });
                    box.appendChild(zoom);
                }
                L.popup().setLatLng(at).setContent(box).openOn(map);
                L.DomEvent.stop(event);
            });
            function announce() {  // the notice follows the map in the page
                var notice = document.getElementById({{ this.notice_id|tojson }});
                if (notice) { notice.textContent = {{ this.notice|tojson }}; }
            }
            if (document.readyState === 'loading') {
                document.addEventListener('DOMContentLoaded', announce);
            } else { announce(); }
            return layer;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, url: str, notice_id: str, cluster_max_zoom: int):
        """``url``: the tiles' URL template, ``{z}/{x}/{y}`` and the search's filters."""
        super().__init__(url, name="Locaux")
        self._name = "PremisesTiles"
        self.notice_id = notice_id
        self.notice = (
            f"Trop de locaux pour les afficher un à un : jusqu'au zoom {cluster_max_zoom}, la "
            "carte les regroupe par zone avec leur nombre ; zoomez pour les voir, ou consultez "
            "la liste."
        )
        self.pane_script = _TILES_PANE
        codes = list(Availability)
        self.colours = {a.value: AVAILABILITY_COLOURS[a] for a in codes}
        self.labels = {a.value: a.label for a in codes}


def fit(m: folium.Map, bounds: list[list[float]] | None) -> None:
    """Zoom the map onto ``[[south, west], [north, east]]`` when known."""
    if bounds:
        m.fit_bounds(bounds, max_zoom=15)


def render(m: folium.Map, vendor_url) -> RenderedMap:
    """The map's assets (local files only), its container and its script (for this request)."""
    folium.LayerControl(collapsed=False).add_to(m)
    figure = m.get_root()
    figure.render()
    links = []
    for name, child in figure.header._children.items():
        if isinstance(child, JavascriptLink | CssLink):
            if name not in LOCAL_ASSETS:
                raise ValueError(f"map asset {name!r} has no local copy")
            local = LOCAL_ASSETS[name]
            if local is None:
                continue
            url = vendor_url(local)
            links.append(
                f'<script src="{url}"></script>'
                if isinstance(child, JavascriptLink)
                else f'<link rel="stylesheet" href="{url}">'
            )
        elif not isinstance(child, Element):
            raise ValueError(f"unexpected map header part {name!r}")
    # folium's output: generated markup, every datum in it JSON-encoded with HTML escapes.
    # The script carries the request's nonce: the Content-Security-Policy runs no other inline
    # script (URL-safe Base64, nothing to escape).
    script = f'<script nonce="{csp_nonce()}">{figure.script.render()}</script>'
    return RenderedMap(
        name=m.get_name(),
        assets=Markup("\n".join(links)),  # noqa: S704
        html=Markup(figure.html.render()),  # noqa: S704
        script=Markup(script),  # noqa: S704
    )


def add_centre(m: folium.Map, lat: float, lon: float, radius_km: float | None) -> None:
    """The point chosen on the map, and the search radius around it."""
    folium.CircleMarker(
        [lat, lon], radius=6, color="#000000", fill=True, fill_opacity=1,
        tooltip="Point de recherche",
    ).add_to(m)  # fmt: skip
    if radius_km:
        folium.Circle(
            [lat, lon], radius=radius_km * 1000, color="#000000", weight=1, fill=False,
            dash_array="4 6",
        ).add_to(m)  # fmt: skip
