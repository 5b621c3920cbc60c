"""The premises search page (HTML): filters in the URL, French errors, map embedded locally."""

from __future__ import annotations

import re

from tests.lab import CENTRE

LAB = f"lat={CENTRE[1]}&lon={CENTRE[0]}&radius_km=20"


def test_search_page_lists_matching_premises_with_count(client, lab):
    page = client.get(f"/locaux?{LAB}&kind=workshop&sort=distance").get_data(as_text=True)
    assert "3 locaux correspondent" in page
    table = page[page.index('<table class="table results"') :]
    labels = re.findall(r'href="/locaux/\d+">([^<]+)</a>', table)
    assert labels == ["later", "near", "edge_out"]
    assert "0,5 km" in table
    # The filters stay in the form, so the URL can be shared and refined.
    assert 'value="workshop" checked' in page
    assert f'value="{CENTRE[1]}"' in page


def test_pagination_keeps_the_filters(client, lab):
    page = client.get(f"/locaux?{LAB}&per_page=2&sort=surface&view=liste").get_data(as_text=True)
    assert "Page 1 sur 3" in page
    next_link = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert "page=2" in next_link and "sort=surface" in next_link and "radius_km=20" in next_link
    second = client.get(next_link).get_data(as_text=True)
    assert "Page 2 sur 3" in second


def test_bad_filter_gives_a_french_message_and_keeps_the_input(client):
    response = client.get("/locaux?surface_min=beaucoup&kind=workshop")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Surface minimale (m²) : nombre attendu." in page
    assert 'value="beaucoup"' in page
    assert 'aria-invalid="true"' in page


def test_list_view_has_no_map_and_map_view_has_one(client):
    assert "folium-map" not in client.get("/locaux?view=liste").get_data(as_text=True)
    page = client.get("/locaux").get_data(as_text=True)
    assert 'class="folium-map"' in page
    assert "/vendor/leaflet/leaflet.js" in page
    assert "/vendor/leaflet.markercluster/leaflet.markercluster.js" in page


def test_map_page_loads_nothing_from_another_host_but_tiles(client):
    page = client.get("/locaux").get_data(as_text=True)
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith("/") or url.startswith("#"), url
    hosts = set(re.findall(r"https?://([^/\"'{}]+)", page))
    assert hosts <= {"data.geopf.fr", "tile.openstreetmap.org", "leafletjs.com"}, hosts


def test_map_embeds_markers_under_the_limit_and_loads_tiles_above(app, client, lab, monkeypatch):
    embedded = client.get(f"/locaux?{LAB}").get_data(as_text=True)
    assert "markerClusterGroup" in embedded and "vectorGrid" not in embedded
    assert str(lab.premises["near"].id) in embedded
    monkeypatch.setitem(app.config, "MAP_EMBED_LIMIT", 3)
    tiled = client.get(f"/locaux?{LAB}").get_data(as_text=True)
    assert "markerClusterGroup" not in tiled and "Site d&#39;essai" not in tiled.split("<table")[0]
    # Premises and sites come from the tiles, with the search's filters (sites: theirs only).
    assert "/api/tiles/premises/{z}/{x}/{y}.pbf?lat=47.0" in tiled
    assert "/api/tiles/sites/{z}/{x}/{y}.pbf?lat=47.0" in tiled
    assert "/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in tiled


def test_premises_page(client, lab):
    premises = lab.premises["plot"]
    page = client.get(f"/locaux/{premises.id}").get_data(as_text=True)
    assert "Terrain « plot »" in page
    assert "5\u202f000 m²" in page
    assert "400\u202f000 € HT" in page  # 5,000 m² at 80 €/m²
    assert f'href="/demande?local={premises.id}"' in page
    assert client.get("/locaux/987654321").status_code == 404


def test_empty_form_fields_mean_no_filter(client, lab):
    page = client.get(f"/locaux?{LAB}&kind=office&surface_min=&max_rent=&sort=&near=")
    assert page.status_code == 200
    assert "1 local correspond" in page.get_data(as_text=True)
    api = client.get(f"/api/premises?{LAB}&kind=office&surface_min=&sort=")
    assert api.status_code == 200
    assert api.get_json(force=True)["numberMatched"] == 1


def test_archived_premises_page_is_gone(client, session, lab):
    from datetime import UTC, datetime

    premises = lab.premises["plot"]
    premises.archived_at = datetime.now(UTC)
    session.commit()
    assert client.get(f"/locaux/{premises.id}").status_code == 404
