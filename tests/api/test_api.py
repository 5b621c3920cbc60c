"""The GeoJSON API: filters, bbox, errors as JSON 400, the OpenAPI document."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.lab import CENTRE

LAB = f"lat={CENTRE[1]}&lon={CENTRE[0]}&radius_km=20"


def test_premises_are_a_feature_collection_with_counts(client, lab):
    response = client.get(f"/api/premises?{LAB}&kind=workshop&sort=distance")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == 3
    labels = [f["properties"]["label"] for f in body["features"]]
    assert labels == ["later", "near", "edge_out"]
    first = body["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["properties"]["site_slug"] == "site-d-essai"
    assert first["properties"]["is_demo"] is True
    assert first["properties"]["distance_m"] == pytest.approx(500, abs=1)


def test_premises_pagination(client, lab):
    first = client.get(f"/api/premises?{LAB}&sort=surface&per_page=2&page=1").get_json(force=True)
    second = client.get(f"/api/premises?{LAB}&sort=surface&per_page=2&page=2").get_json(force=True)
    assert first["numberMatched"] == 6 and first["numberReturned"] == 2
    assert [f["properties"]["label"] for f in first["features"]] == ["office", "near"]
    assert [f["properties"]["label"] for f in second["features"]] == ["edge_out", "later"]


@pytest.mark.parametrize("collection", ["premises", "sites"])
def test_a_page_far_beyond_the_end_is_empty_not_an_error(client, lab, collection):
    # Its first row, (page - 1) × per_page, passes 2^31: beyond PostgreSQL's integer.
    response = client.get(f"/api/{collection}?per_page=10000&page=300000")
    assert response.status_code == 200
    body = response.get_json(force=True)
    assert body["numberReturned"] == 0 and body["features"] == []
    assert body["numberMatched"] == client.get(f"/api/{collection}").get_json()["numberMatched"]


def test_bbox_selects_premises_and_sites_crossing_it(client, lab):
    premises = client.get("/api/premises?bbox=2.05,46.99,2.2,47.01").get_json(force=True)
    assert [f["properties"]["label"] for f in premises["features"]] == ["wide_plot"]
    # The lab site's perimeter (1.99–2.01 E) crosses a box starting at 2.005 E.
    sites = client.get("/api/sites?bbox=2.005,46.9,2.1,47.1").get_json(force=True)
    assert [f["properties"]["slug"] for f in sites["features"]] == ["site-d-essai"]
    assert sites["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_sites_filters(client):
    body = client.get("/api/sites?site_kind=aero_park").get_json(force=True)
    assert [f["properties"]["slug"] for f in body["features"]] == [
        "pole-aeronautique-paris-villaroche"
    ]
    assert body["features"][0]["properties"]["position_confidence"] == "high"
    body = client.get("/api/sites?per_page=100").get_json(force=True)
    # Sites without a known position are listed with a null geometry.
    village = next(f for f in body["features"] if f["properties"]["slug"] == "village-artisanal")
    assert village["geometry"] is None


def test_one_premises(client, lab):
    premises_id = lab.premises["plot"].id
    body = client.get(f"/api/premises/{premises_id}").get_json(force=True)
    assert body["type"] == "Feature" and body["id"] == premises_id
    assert body["properties"]["sale_price_eur_m2"] == 80
    missing = client.get("/api/premises/987654321")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "Local introuvable."}


def test_rows_format_for_the_map(client, lab):
    body = client.get(f"/api/premises?{LAB}&format=rows&kind=office").get_json()
    assert body["matched"] == 1
    lat, lon, premises_id, availability, label, site, surface = body["rows"][0]
    assert (premises_id, availability, label, surface) == (
        lab.premises["office"].id,
        0,
        "office",
        40.0,
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("surface_min=abc", "surface_min"),
        ("kind=castle", "kind"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=3,47,2,48", "bbox"),
        ("lat=91&lon=2", "lat"),
        ("radius_km=3", "radius_km"),
        ("per_page=0", "per_page"),
        ("near=99999&radius_km=3", "near"),
        ("available_by=2027-13-45", "available_by"),
        ("surfce_min=10", "surfce_min"),
        ("format=xml", "format"),
    ],
)
def test_bad_parameters_get_400_json(client, query, field):
    response = client.get(f"/api/premises?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"].startswith("Paramètres invalides.")
    assert field in body["fields"]


def test_sites_bad_parameter(client):
    response = client.get("/api/sites?site_kind=palace")
    assert response.status_code == 400
    assert "site_kind" in response.get_json()["fields"]


def test_unknown_api_path_is_json(client):
    response = client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Ressource introuvable."}


def test_openapi_document_validates_and_describes_the_filters(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert {"/api/sites", "/api/premises", "/api/premises/{premises_id}"} <= set(spec["paths"])
    parameters = {p["name"] for p in spec["paths"]["/api/premises"]["get"]["parameters"]}
    assert {
        "kind",
        "surface_min",
        "surface_max",
        "max_rent",
        "max_sale_price",
        "available_by",
        "site_kind",
        "commune",
        "intercommunality",
        "sector",
        "lat",
        "lon",
        "near",
        "radius_km",
        "bbox",
        "sort",
        "page",
        "per_page",
    } <= parameters
    assert "400" in spec["paths"]["/api/premises"]["get"]["responses"]
