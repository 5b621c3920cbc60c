"""The premises search and its map in a real browser, with no request to another host."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.lab import CENTRE

pytestmark = pytest.mark.browser

LAB = f"lat={CENTRE[1]}&lon={CENTRE[0]}&radius_km=20"

COUNT_LAYERS = """() => {
    const map = window[document.querySelector('script[data-map]').dataset.map];
    let markers = 0, shapes = 0;
    map.eachLayer(layer => {
        if (layer instanceof L.MarkerClusterGroup) { markers += layer.getLayers().length; }
        else if (layer instanceof L.Polygon) { shapes += 1; }
    });
    return {markers, shapes};
}"""


def test_map_shows_polygons_and_markers_and_a_filter_narrows_both(page, lab, offline):
    page.goto(f"/locaux?{LAB}")
    page.wait_for_function("document.querySelector('script[data-map]') && window.L")
    layers = page.evaluate(COUNT_LAYERS)
    assert layers["markers"] == 6
    assert layers["shapes"] >= 1  # the lab site's perimeter (and commune contours)
    assert page.locator("#results").inner_text() == "6 locaux correspondent"

    page.get_by_label("Bureau").check()
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**kind=office**")
    assert page.locator("#results").inner_text() == "1 local correspond"
    assert page.locator("table.results tbody tr").count() == 1
    page.wait_for_function("window.L")
    assert page.evaluate(COUNT_LAYERS)["markers"] == 1
    assert offline == []


# What the vector tiles drew: cluster icons (SVG images) and points (SVG paths).
TILE_FEATURES = """() => {
    const pane = document.querySelector('.leaflet-donnees-tuiles-pane');
    return pane ? pane.querySelectorAll('svg image, svg path').length : 0;
}"""


def test_above_the_embed_limit_premises_load_as_vector_tiles(app, page, lab, offline, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_EMBED_LIMIT", 2)
    with page.expect_response(
        lambda r: "/api/tiles/premises/" in r.url and ".pbf" in r.url and r.status == 200
    ) as response:
        page.goto(f"/locaux?{LAB}")
    assert response.value.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert "lat=" in response.value.url  # the search's filters
    page.wait_for_function(f"() => ({TILE_FEATURES})() > 0")
    # No marker embedded in the page (nor the marker cluster plugin): all comes from the tiles.
    assert page.evaluate("() => window.L.MarkerClusterGroup === undefined")
    assert "regroupe" in page.locator("#map-notice").inner_text()
    # At this zoom the lab's 6 premises are one cluster; its popup offers to zoom in.
    page.wait_for_load_state("networkidle")  # the map has settled on the search's circle
    page.wait_for_function(f"() => ({TILE_FEATURES})() === 1")
    page.locator(".leaflet-donnees-tuiles-pane svg image").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("6 locaux dans cette zone")
    zoom_before = page.evaluate(ZOOM)
    popup.get_by_role("button", name="Zoomer sur cette zone").click()
    page.wait_for_function(f"() => ({ZOOM})() > {zoom_before}")
    # The list stays the text alternative.
    assert page.locator("table.results tbody tr").count() == 6
    assert axe_violations(page) == []
    assert offline == []


def test_at_high_zoom_a_tile_point_links_to_its_premises(app, page, lab, offline, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_EMBED_LIMIT", 0)
    page.goto(f"/locaux?{LAB}&kind=office")
    page.wait_for_function(f"() => ({TILE_FEATURES})() > 0")
    office = lab.premises["office"]
    with page.expect_response(lambda r: "/api/tiles/premises/17/" in r.url):
        page.evaluate(
            """() => {
                const map = window[document.querySelector('script[data-map]').dataset.map];
                map.setView([46.9982, 2.0], 17, {animate: false});
            }"""
        )
    page.wait_for_load_state("networkidle")
    # The office lies 200 m south of the lab's centre: click its point.
    x, y = page.evaluate(
        """() => {
            const map = window[document.querySelector('script[data-map]').dataset.map];
            const p = map.latLngToContainerPoint([46.998201, 2.0]);
            return [p.x, p.y];
        }"""
    )
    page.locator(".folium-map").click(position={"x": x, "y": y})
    link = page.locator(".leaflet-popup-content a")
    expect(link).to_have_attribute("href", f"/locaux/{office.id}")
    expect(link).to_contain_text("office — Site d'essai")
    assert offline == []


ZOOM = """() => window[document.querySelector('script[data-map]').dataset.map].getZoom()"""


def test_clicking_the_map_chooses_the_search_point(page, lab, offline):
    page.goto("/locaux")
    page.wait_for_function("document.querySelector('script[data-map]') && window.L")
    # Hide the sites and premises (their popups take the clicks) with the layer control,
    # then click Lieusaint's town centre on the commune contours.
    overlays = page.locator(".leaflet-control-layers-overlays label")
    for index in range(overlays.count()):
        if "Communes" not in overlays.nth(index).inner_text():
            overlays.nth(index).get_by_role("checkbox").uncheck()
    x, y = page.evaluate("""() => {
        const map = window[document.querySelector('script[data-map]').dataset.map];
        const p = map.latLngToContainerPoint([48.6258, 2.5499]);
        return [p.x, p.y];
    }""")
    page.locator(".folium-map").click(position={"x": x, "y": y})
    assert page.locator("#point-text").inner_text().startswith("Point choisi")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**lat=**")
    assert "Distance" in page.locator("table.results thead").inner_text()
    assert offline == []


def test_visitor_finds_a_workshop_near_lieusaint_and_reaches_the_inquiry(page, offline):
    page.goto("/")
    page.get_by_role("link", name="Trouver un local").click()
    page.get_by_label("Atelier").check()
    page.get_by_label("Surface minimale (m²)").fill("200")
    page.get_by_label("Surface maximale (m²)").fill("400")
    page.get_by_label("Autour de la commune").select_option(label="Lieusaint")
    page.get_by_label("Dans un rayon de (km)").fill("10")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**near=77251**")
    rows = page.locator("table.results tbody tr")
    assert rows.count() >= 1
    first = rows.first
    assert "Atelier" in first.inner_text()
    first.get_by_role("link").first.click()
    page.wait_for_url("**/locaux/*")
    expect(page.locator("h1")).to_contain_text("Atelier")
    page.locator(".breadcrumb a").nth(1).click()
    page.wait_for_url("**/sites/**")
    expect(page.get_by_role("table", name="Locaux du site")).to_be_visible()
    page.get_by_role("link", name="Envoyer une demande sur ce site").click()
    page.wait_for_url("**/demande?site=**")
    assert offline == []


def test_search_and_premises_pages_pass_axe(page, lab, offline):
    page.goto(f"/locaux?{LAB}")
    page.wait_for_function("window.L")
    assert axe_violations(page) == []
    page.goto(f"/locaux/{lab.premises['near'].id}")
    assert axe_violations(page) == []
    page.goto("/locaux?surface_min=abc")
    assert axe_violations(page) == []
