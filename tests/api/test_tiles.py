"""Vector tiles of premises and sites: what they hold, filters, clusters, errors, caching."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import pytest
import sqlalchemy as sa

from hosting_app.sites import tiles
from tests.lab import CENTRE

LAB = f"lat={CENTRE[1]}&lon={CENTRE[0]}&radius_km=20"
MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the tile holding a point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def position(session, premises) -> tuple[float, float]:
    """(lon, lat) of a premises' point."""
    from sqlalchemy import func, select

    point = func.ST_PointOnSurface(premises.geometry)
    return session.execute(select(func.ST_X(point), func.ST_Y(point))).one()


def layers(response) -> dict:
    """The decoded tile: {layer: [feature properties]}."""
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == MVT
    body = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    decoded = mapbox_vector_tile.decode(body)
    return {name: [f["properties"] for f in layer["features"]] for name, layer in decoded.items()}


def test_a_premises_appears_in_its_tile_at_high_zoom(client, session, lab):
    office = lab.premises["office"]
    z, x, y = tile_of(*position(session, office), 16)
    found = layers(client.get(f"/api/tiles/premises/{z}/{x}/{y}.pbf"))
    features = found["premises"]
    mine = [f for f in features if f.get("id") == office.id]
    assert len(mine) == 1
    assert mine[0]["kind"] == "office" and mine[0]["n"] == 1
    assert mine[0]["label"] == "office" and mine[0]["slug"] == "site-d-essai"
    # The plot, 3 km east, is in another tile.
    assert lab.premises["plot"].id not in {f.get("id") for f in features}


def test_a_premises_outside_the_tile_is_absent(client, session, lab):
    lon, lat = position(session, lab.premises["plot"])
    z, x, y = tile_of(lon, lat, 16)
    found = layers(client.get(f"/api/tiles/premises/{z}/{x}/{y}.pbf"))
    ids = {f.get("id") for f in found.get("premises", [])}
    assert lab.premises["plot"].id in ids
    assert lab.premises["office"].id not in ids


def test_the_search_filters_apply_to_tiles(client, session, lab):
    office = lab.premises["office"]
    z, x, y = tile_of(*position(session, office), 16)
    kept = layers(client.get(f"/api/tiles/premises/{z}/{x}/{y}.pbf?kind=office&surface_max=50"))
    assert office.id in {f.get("id") for f in kept["premises"]}
    for query in ("kind=workshop", "surface_min=100", "availability=occupied", "commune=77251"):
        dropped = layers(client.get(f"/api/tiles/premises/{z}/{x}/{y}.pbf?{query}"))
        assert office.id not in {f.get("id") for f in dropped.get("premises", [])}, query


def test_at_low_zoom_clusters_count_the_matching_premises(client, lab):
    z, x, y = tile_of(*CENTRE, 6)
    west, south, east, north = tiles.lonlat_bounds(z, x, y)
    # The whole 20 km search circle lies inside this tile (zoom 6: 5.6° wide).
    assert west < CENTRE[0] - 0.3 and east > CENTRE[0] + 0.3
    assert south < CENTRE[1] - 0.2 and north > CENTRE[1] + 0.2
    for query in (LAB, f"{LAB}&kind=workshop", f"{LAB}&max_rent=100"):
        expected = client.get(f"/api/premises?{query}").get_json(force=True)["numberMatched"]
        found = layers(client.get(f"/api/tiles/premises/{z}/{x}/{y}.pbf?{query}"))
        assert "premises" not in found
        assert sum(f["n"] for f in found["clusters"]) == expected, query
    assert expected == 2  # near (90 €) and later (100 €)


def test_a_lone_premises_in_a_cluster_carries_its_id(client, lab):
    z, x, y = tile_of(*CENTRE, 6)
    found = layers(client.get(f"/api/tiles/premises/{z}/{x}/{y}.pbf?{LAB}&kind=office"))
    assert found["clusters"] == [{"n": 1, "id": lab.premises["office"].id}]


def test_sites_tile_holds_the_matching_sites(client, lab):
    z, x, y = tile_of(*CENTRE, 12)
    found = layers(client.get(f"/api/tiles/sites/{z}/{x}/{y}.pbf"))
    lab_site = [f for f in found["sites"] if f["slug"] == "site-d-essai"]
    assert lab_site and lab_site[0]["kind"] == "business_hotel"
    assert lab_site[0]["name"] == "Site d'essai"
    other = layers(client.get(f"/api/tiles/sites/{z}/{x}/{y}.pbf?site_kind=incubator"))
    assert "site-d-essai" not in {f["slug"] for f in other.get("sites", [])}


def test_an_empty_tile_is_an_empty_answer(client, lab):
    response = client.get("/api/tiles/premises/10/0/0.pbf")
    assert response.status_code == 200 and response.mimetype == MVT
    assert response.get_data() == b""


@pytest.mark.parametrize(
    "path", ["premises/23/0/0.pbf", "premises/3/8/0.pbf", "premises/3/0/8.pbf", "sites/0/1/0.pbf"]
)
def test_a_tile_out_of_the_pyramid_is_a_json_404(client, path):
    response = client.get(f"/api/tiles/{path}")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert "Tuile inexistante" in response.get_json()["error"]


def test_bad_filters_are_a_json_400(client):
    response = client.get("/api/tiles/premises/10/519/353.pbf?kind=castle&sort=surface")
    assert response.status_code == 400
    body = response.get_json()
    assert set(body["fields"]) == {"kind", "sort"}


def test_tiles_are_gzipped_cached_and_revalidated(client, session, lab):
    z, x, y = tile_of(*position(session, lab.premises["office"]), 16)
    url = f"/api/tiles/premises/{z}/{x}/{y}.pbf"
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert lab.premises["office"].id in {f.get("id") for f in layers(zipped)["premises"]}
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    again = client.get(url, headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_cached_tile_is_stale_after_a_change(client, session, lab, app):
    from hosting_app import cache as api_cache

    previous = app.extensions["api_cache"]
    api_cache.install(app, api_cache.MemoryStore())
    try:
        office = lab.premises["office"]
        z, x, y = tile_of(*position(session, office), 16)
        url = f"/api/tiles/premises/{z}/{x}/{y}.pbf"
        assert office.id in {f.get("id") for f in layers(client.get(url))["premises"]}
        office.kind = "workshop"
        session.commit()
        kinds = {f.get("id"): f.get("kind") for f in layers(client.get(url))["premises"]}
        assert kinds[office.id] == "workshop"
    finally:
        app.extensions["api_cache"] = previous


# --- Clusters read off the counts per site (premises_site_count) --------------------------

TERRITORY = (2.6, 48.59)  # lon, lat: Sénart and Melun Val de Seine


def features(response) -> list:
    """The tile's clusters as sorted (geometry, n, id): to compare two tiles exactly."""
    assert response.status_code == 200, response.get_data()[:300]
    decoded = mapbox_vector_tile.decode(response.get_data()).get("clusters", {"features": []})
    return sorted(
        (repr(f["geometry"]), f["properties"]["n"], f["properties"].get("id"))
        for f in decoded["features"]
    )


def both_ways(client, monkeypatch, url: str) -> tuple[list, list]:
    """The tile as the app makes it, then with the premises counted live."""
    from hosting_app.sites.filters import PremisesFilters

    made = features(client.get(url))
    with monkeypatch.context() as patch:
        patch.setattr(PremisesFilters, "counted_per_site", lambda self: False)
        live = features(client.get(url))
    return made, live


def cluster_tiles(session) -> list[tuple[int, int, int]]:
    """Tiles of the territory and of the test site, at zooms that hold clusters."""
    return [tile_of(*TERRITORY, 10), tile_of(*TERRITORY, 12), tile_of(*CENTRE, 6),
            tile_of(*CENTRE, 13)]  # fmt: skip


@pytest.mark.parametrize(
    "query",
    ["", "kind=office&kind=workshop", "kind=workshop&availability=occupied",
     "availability=reserved&availability=available", "site_kind=business_hotel&kind=office",
     "site_kind=activity_zone", "commune=77251", "commune=77251&kind=office",
     "intercommunality=camvs", "kind=land_plot&surface_min=1000", "surface_max=100"],
)  # fmt: skip
def test_clusters_from_the_counts_match_the_live_count(client, session, lab, monkeypatch, query):
    seen = 0
    for z, x, y in cluster_tiles(session):
        made, live = both_ways(client, monkeypatch, f"/api/tiles/premises/{z}/{x}/{y}.pbf?{query}")
        assert made == live, (z, x, y, query)
        seen += sum(n for _, n, _ in made)
    assert seen > 0, query  # the comparison is not between two empty tiles


def test_a_lone_premises_counted_per_site_carries_its_id(client, lab):
    z, x, y = tile_of(*CENTRE, 10)
    for query, label in (("kind=office", "office"), ("availability=occupied", "occupied"),
                         ("kind=workshop&availability=under_construction", "later")):  # fmt: skip
        found = layers(client.get(f"/api/tiles/premises/{z}/{x}/{y}.pbf?{query}"))
        assert found["clusters"] == [{"n": 1, "id": lab.premises[label].id}], query
    found = layers(client.get(f"/api/tiles/premises/{z}/{x}/{y}.pbf?kind=workshop"))
    assert found["clusters"] == [{"n": 3}]  # near, edge_out, later


def test_clusters_read_the_counts_unless_a_filter_needs_the_premises(client, session, lab):
    """A count changed by hand shows in the tiles whose filters the counts answer only."""
    session.execute(
        sa.text(
            "UPDATE premises_site_count SET n = n + 1000 "
            "WHERE site_id = :site AND kind = 'office' AND availability = 'available'"
        ),
        {"site": lab.site.id},
    )
    session.commit()
    z, x, y = tile_of(*CENTRE, 10)
    url = f"/api/tiles/premises/{z}/{x}/{y}.pbf?kind=office"
    assert layers(client.get(url))["clusters"] == [{"n": 1001}]
    assert layers(client.get(f"{url}&site_kind=business_hotel"))["clusters"] == [{"n": 1001}]
    assert layers(client.get(f"{url}&surface_max=100"))["clusters"] == [
        {"n": 1, "id": lab.premises["office"].id}
    ]
    assert layers(client.get(f"{url}&{LAB}"))["clusters"] == [
        {"n": 1, "id": lab.premises["office"].id}
    ]
