"""Reading and checking perimeters (pure: no database)."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Polygon

from hosting_app.backoffice import geometry
from tests.backoffice.support import BOWTIE, SQUARE


def _polygon(coordinates, **extra) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [coordinates], **extra})


def test_wgs84_polygon_is_read_and_becomes_a_multipolygon():
    parsed = geometry.parse_geojson(_polygon(SQUARE))
    assert parsed.srid == geometry.WGS84
    geometry.check(parsed.geometry)
    assert geometry.as_multipolygon(parsed.geometry).geom_type == "MultiPolygon"


def test_lambert93_is_recognised_by_its_coordinates_or_its_crs():
    metres = [[680000, 6835000], [680200, 6835000], [680200, 6835200], [680000, 6835000]]
    assert geometry.parse_geojson(_polygon(metres)).srid == geometry.LAMBERT93
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    named = _polygon(SQUARE, crs=crs)
    assert geometry.parse_geojson(named).srid == geometry.LAMBERT93
    with pytest.raises(geometry.GeometryError, match="non pris en charge"):
        geometry.parse_geojson(
            _polygon(SQUARE, crs={"type": "name", "properties": {"name": "EPSG:3857"}})
        )


def test_a_feature_collection_of_polygons_is_one_perimeter():
    east = [[x + 0.01, y] for x, y in SQUARE]
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": json.loads(_polygon(SQUARE))},
        {"type": "Feature", "properties": {}, "geometry": json.loads(_polygon(east))},
    ]}  # fmt: skip
    parsed = geometry.parse_geojson(json.dumps(collection))
    assert parsed.geometry.geom_type == "MultiPolygon" and len(parsed.geometry.geoms) == 2


@pytest.mark.parametrize(("text", "message"), [
    (json.dumps({"type": "Point", "coordinates": [2.66, 48.6]}), "reçu : un point"),
    ("[1, 2]", "doit être un objet"),
    (json.dumps({"type": "Polygon", "coordinates": "x"}), "mal formée"),
    (json.dumps({"type": "FeatureCollection", "features": []}), "aucune géométrie"),
    (_polygon([[-70, 18], [-69, 18], [-69, 19], [-70, 18]]), "hors de France"),
])  # fmt: skip
def test_refused_geojson_says_why(text, message):
    with pytest.raises(geometry.GeometryError, match=message):
        geometry.parse_geojson(text)


def test_invalid_polygon_is_refused_with_the_place_in_french():
    with pytest.raises(geometry.GeometryError) as error:
        geometry.check(Polygon(BOWTIE))
    assert "des côtés se croisent près de 48,60400 N, 2,66550 E" in str(error.value)


def test_premises_accept_a_point():
    point = json.dumps({"type": "Point", "coordinates": [2.6655, 48.604]})
    parsed = geometry.parse_geojson(point, allowed=geometry.PREMISES_TYPES)
    assert parsed.geometry.geom_type == "Point"


def test_cnig_row_is_chosen_by_the_site_name_when_the_file_has_several():
    header = "site_id;site_nom;site_geomsurf\n"
    rows = (f'A;Parc des Aulnes;"{_polygon(SQUARE).replace(chr(34), chr(34) * 2)}"\n'
            f'B;Autre zone;"{_polygon(BOWTIE).replace(chr(34), chr(34) * 2)}"\n')  # fmt: skip
    text = geometry.cnig_site_geojson(header + rows, site_name="PARC DES AULNES")
    assert json.loads(text)["coordinates"] == [SQUARE]
    with pytest.raises(geometry.GeometryError, match="plusieurs sites"):
        geometry.cnig_site_geojson(header + rows, site_name="Villaroche")
    with pytest.raises(geometry.GeometryError, match="site_geomsurf manque"):
        geometry.cnig_site_geojson("site_id;site_nom\nA;B\n", site_name="B")
