"""Perimeters and outlines from GeoJSON or a CNIG site-eco row: parsed and checked (pure).

The database checks them again (ST_IsValid) and reprojects Lambert-93 input: see services.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass

from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import explain_validity

WGS84 = 4326
LAMBERT93 = 2154
# Metropolitan France and Corsica, with a margin (lon/lat, then Lambert-93 metres).
FRANCE_LONLAT = (-5.8, 41.0, 10.0, 51.5)
FRANCE_LAMBERT93 = (0.0, 6_000_000.0, 1_300_000.0, 7_200_000.0)

PERIMETER_TYPES = ("Polygon", "MultiPolygon")
PREMISES_TYPES = ("Point", "Polygon", "MultiPolygon")
TYPE_LABELS = {
    "Point": "un point",
    "MultiPoint": "plusieurs points",
    "LineString": "une ligne",
    "MultiLineString": "plusieurs lignes",
    "Polygon": "un polygone",
    "MultiPolygon": "plusieurs polygones",
    "GeometryCollection": "une collection de géométries",
}
REASONS = {
    "Ring Self-intersection": "un contour se recoupe lui-même",
    "Self-intersection": "des côtés se croisent",
    "Too few points in geometry component": "il manque des sommets",
    "Hole lies outside shell": "un trou sort du contour",
    "Holes are nested": "des trous sont imbriqués",
    "Interior is disconnected": "l'intérieur est coupé en morceaux",
    "Nested shells": "des polygones sont imbriqués",
    "Duplicate Rings": "un contour est répété",
    "Invalid Coordinate": "une coordonnée est invalide",
}


class GeometryError(ValueError):
    """A geometry refused; the message says why, in French."""


@dataclass(frozen=True)
class ParsedGeometry:
    """A geometry read from GeoJSON, in the coordinate system it came in."""

    geometry: BaseGeometry
    srid: int


def parse_geojson(text: str, *, allowed: tuple[str, ...] = PERIMETER_TYPES) -> ParsedGeometry:
    """Read a GeoJSON geometry, Feature or FeatureCollection of the ``allowed`` types."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as error:
        raise GeometryError(
            "Le GeoJSON n'est pas lisible : vérifiez le texte ou le fichier."
        ) from error
    if not isinstance(data, dict):
        raise GeometryError(
            "Le GeoJSON doit être un objet (géométrie, Feature ou FeatureCollection)."
        )
    srid = _declared_srid(data)
    geometries = [_geometry(g) for g in _geometry_objects(data)]
    if not geometries:
        raise GeometryError("Le GeoJSON ne contient aucune géométrie.")
    for geometry in geometries:
        if geometry.geom_type not in allowed:
            wanted = " ou ".join(TYPE_LABELS[t] for t in allowed)
            got = TYPE_LABELS.get(geometry.geom_type, geometry.geom_type)
            raise GeometryError(f"La géométrie doit être {wanted} (reçu : {got}).")
    if len(geometries) == 1:
        geometry = geometries[0]
    elif all(g.geom_type in PERIMETER_TYPES for g in geometries):
        geometry = unary_union(geometries)
    else:
        raise GeometryError("Une seule géométrie est attendue : dessinez un seul point ou contour.")
    return ParsedGeometry(geometry, srid if srid is not None else _guess_srid(geometry))


def _geometry_objects(data: dict) -> list[dict]:
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features") or []
        if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
            raise GeometryError("Le GeoJSON est mal formé : « features » doit être une liste.")
        return [f.get("geometry") for f in features if f.get("geometry")]
    if kind == "Feature":
        return [data["geometry"]] if data.get("geometry") else []
    return [data]


def _geometry(data) -> BaseGeometry:
    try:
        return shape(data)
    except Exception as error:  # shapely raises several kinds on malformed input
        raise GeometryError("La géométrie GeoJSON est mal formée (type ou coordonnées).") from error


def _declared_srid(data: dict) -> int | None:
    """The SRID named by a GeoJSON 2008 ``crs`` member (still written by GIS software)."""
    crs = data.get("crs")
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = str(properties.get("name") or "") if isinstance(properties, dict) else ""
    if not name:
        return None
    if name.endswith(("CRS84", ":4326", "::4326")):
        return WGS84
    if name.endswith((":2154", "::2154")):
        return LAMBERT93
    raise GeometryError(
        f"Système de coordonnées non pris en charge ({name}) : WGS84 ou Lambert-93 attendu."
    )


def _within(geometry: BaseGeometry, box: tuple[float, float, float, float]) -> bool:
    west, south, east, north = geometry.bounds
    return box[0] <= west and east <= box[2] and box[1] <= south and north <= box[3]


def _guess_srid(geometry: BaseGeometry) -> int:
    if geometry.is_empty or _within(geometry, FRANCE_LONLAT):
        return WGS84
    if _within(geometry, FRANCE_LAMBERT93):
        return LAMBERT93
    raise GeometryError(
        "Les coordonnées sont hors de France métropolitaine : la longitude vient avant la "
        "latitude, en WGS84 (ou en Lambert-93)."
    )


def check(geometry: BaseGeometry) -> None:
    """Refuse an empty, invalid or out-of-France geometry (in WGS84)."""
    if geometry.is_empty:
        raise GeometryError("La géométrie est vide : dessinez au moins un contour.")
    if not geometry.is_valid:
        raise GeometryError(invalid_message(explain_validity(geometry)))
    if not _within(geometry, FRANCE_LONLAT):
        raise GeometryError(
            "La géométrie sort de la France métropolitaine : vérifiez l'ordre longitude, "
            "latitude et le système de coordonnées (WGS84 attendu)."
        )
    if geometry.geom_type in PERIMETER_TYPES and geometry.area == 0:
        raise GeometryError("Le contour n'a pas de surface.")


def invalid_message(reason: str) -> str:
    """A French message for a GEOS/PostGIS validity reason such as ``Self-intersection[x y]``."""
    match = re.match(r"\s*([^\[]+?)\s*(?:\[\s*([-0-9.eE]+)\s+([-0-9.eE]+)\s*\])?\s*$", reason)
    label, x, y = match.groups() if match else (reason, None, None)
    text = f"La géométrie n'est pas valide : {REASONS.get(label, label.lower())}"
    if x and y:
        text += f" près de {float(y):.5f} N, {float(x):.5f} E".replace(".", ",")
    return text + ". Corrigez le dessin (aucun côté ne doit en croiser un autre)."


def as_multipolygon(geometry: BaseGeometry) -> MultiPolygon:
    """A Polygon or MultiPolygon as a MultiPolygon (the perimeter column's type)."""
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    if isinstance(geometry, MultiPolygon):
        return geometry
    raise GeometryError("Le périmètre doit être un polygone.")


def _normalised(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", ascii_name.lower()).strip()


def cnig_site_geojson(text: str, *, site_name: str) -> str:
    """The ``site_geomsurf`` of a CNIG site-eco CSV: its only row, or the row of ``site_name``."""
    header = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if "site_geomsurf" not in (reader.fieldnames or []):
            raise GeometryError(
                "Ce fichier n'est pas au format CNIG site-eco : la colonne site_geomsurf manque."
            )
        rows = [  # cells beyond the header's columns (under the key None) are ignored
            row for row in reader
            if any((value or "").strip() for key, value in row.items() if key is not None)
        ]  # fmt: skip
    except csv.Error as error:
        raise GeometryError(
            f"Le fichier CSV est illisible ligne {reader.line_num} : vérifiez les guillemets."
        ) from error
    if len(rows) > 1:
        rows = [r for r in rows if _normalised(r.get("site_nom") or "") == _normalised(site_name)]
        if len(rows) != 1:
            raise GeometryError(
                "Le fichier CNIG contient plusieurs sites et aucun ne porte le nom de celui-ci "
                "(colonne site_nom) : gardez la seule ligne de ce site."
            )
    if not rows or not (rows[0].get("site_geomsurf") or "").strip():
        raise GeometryError("La ligne CNIG n'a pas de géométrie (colonne site_geomsurf vide).")
    return rows[0]["site_geomsurf"]
