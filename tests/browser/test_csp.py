"""The pages with maps under the Content-Security-Policy, in a real browser: nothing is refused,
nothing is logged, and the Leaflet maps are drawn (their inline script runs by its nonce)."""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from hosting_app.sites import maps
from hosting_app.sites.models import Site
from tests.browser.conftest import log_in
from tests.lab import CENTRE

pytestmark = pytest.mark.browser

LAB = f"lat={CENTRE[1]}&lon={CENTRE[0]}&radius_km=20"
VILLAROCHE = "pole-aeronautique-paris-villaroche"

# Runs before any script of each document (DevTools injects it: the CSP does not apply).
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
    window.__violations.push({directive: e.effectiveDirective, blocked: e.blockedURI,
                              source: e.sourceFile, line: e.lineNumber, sample: e.sample});
});
"""

# The drawn map: Leaflet's container, the map object the inline script made, its layers.
MAP_STATE = """() => {
    const element = document.querySelector('.folium-map');
    const map = element && window[element.id];
    if (!map || !element.classList.contains('leaflet-container')) { return null; }
    let vectors = 0, clustered = 0;
    map.eachLayer(function (layer) {
        if (layer instanceof L.Path) { vectors += 1; }
        if (L.MarkerClusterGroup && layer instanceof L.MarkerClusterGroup) {
            clustered += layer.getLayers().length;
        }
    });
    return {tiles: element.querySelectorAll('.leaflet-tile').length, vectors, clustered,
            controls: element.querySelectorAll('.leaflet-control-layers').length};
}"""


@pytest.fixture
def clean(page, offline):
    """Record CSP violations, console messages and uncaught errors; the returned check asserts
    that the current document had no violation and that nothing was logged (nor any other host
    requested) since the last check."""
    messages: list[str] = []
    page.add_init_script(LISTEN)
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))

    def check() -> None:
        assert page.evaluate("window.__violations") == [], page.url
        assert messages == [], page.url
        assert offline == [], page.url
        messages.clear()

    return check


def drawn_map(page) -> dict:
    """Wait until the page's map is drawn; return what it shows."""
    page.wait_for_function(f"() => ({MAP_STATE})() !== null")  # a function: no eval() to poll
    return page.evaluate(MAP_STATE)


def test_public_pages_draw_their_maps_without_violation(page, clean, lab):
    page.goto("/")
    page.wait_for_load_state("load")
    clean()

    page.goto(f"/locaux?{LAB}")
    search = drawn_map(page)
    assert search["tiles"] > 0 and search["controls"] == 1
    assert search["clustered"] == 6  # the lab's premises, drawn by the inline script
    assert search["vectors"] > 0  # site perimeters and commune contours
    clean()

    page.goto("/locaux?view=liste")
    page.wait_for_load_state("load")
    assert page.locator(".folium-map").count() == 0
    clean()

    page.goto("/sites/ecopole-de-senart")
    site = drawn_map(page)
    assert site["tiles"] > 0 and site["vectors"] > 0
    page.locator(".leaflet-control-layers-base label", has_text="OpenStreetMap").click()
    page.wait_for_function(
        "() => document.querySelector('img.leaflet-tile[src*=\"tile.openstreetmap.org\"]')"
    )  # the other basemap's tiles are allowed too
    clean()

    page.goto(f"/locaux/{lab.premises['near'].id}")
    premises = drawn_map(page)
    assert premises["tiles"] > 0 and premises["vectors"] > 0
    clean()


def test_vector_tiles_pass_connect_src_and_img_src(app, page, clean, lab, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_EMBED_LIMIT", 2)
    with page.expect_response(lambda r: "/api/tiles/premises/" in r.url) as response:
        page.goto(f"/locaux?{LAB}")
    assert response.value.ok
    # The cluster's icon (a data: SVG image) is drawn.
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-donnees-tuiles-pane svg image').length > 0"
    )
    clean()


def test_back_office_maps_and_crm_pages_without_violation(
    page, clean, session, make_user, senart_dev, aero
):
    email = make_user("developer", "sympav", email="dev@sympav.example")
    site = session.scalar(sa.select(Site).where(Site.slug == VILLAROCHE))
    log_in(page, email)
    clean()

    page.goto(f"/gestion/sites/{site.id}/modifier")
    page.wait_for_selector(".leaflet-pm-toolbar")  # Geoman's toolbar on the folium map
    assert drawn_map(page)["tiles"] > 0
    clean()

    page.goto(f"/gestion/sites/{site.id}/locaux/nouveau")
    page.wait_for_selector(".leaflet-pm-toolbar")
    clean()

    page.context.clear_cookies()
    log_in(page, senart_dev.email)
    page.goto(f"/entreprises/{aero.id}")
    expect(page.locator("h1")).to_contain_text("AERO MECA SENART")
    clean()

    page.goto("/entreprises/nouvelle")
    with page.expect_response(lambda r: r.request.method == "POST" and "match" in r.url) as match:
        page.get_by_label("Raison sociale").fill("AERO MECA SENART")
    assert match.value.ok
    clean()


def test_an_inline_script_without_the_nonce_is_refused(page, clean, monkeypatch):
    """The listener sees what the policy blocks: a map script with a wrong nonce never runs."""
    monkeypatch.setattr(maps, "csp_nonce", lambda: "bm90LXRoZS1ub25jZQ")
    page.goto("/sites/ecopole-de-senart")
    page.wait_for_function("() => window.__violations.length > 0")
    violations = page.evaluate("window.__violations")
    assert {v["directive"] for v in violations} == {"script-src-elem"}
    assert all(v["blocked"] == "inline" for v in violations)
    assert page.evaluate(MAP_STATE) is None  # no Leaflet map without its script


def test_an_injected_script_is_refused_and_reported(page, caplog):
    caplog.set_level(logging.WARNING)
    page.goto("/locaux?kind=office")
    page.wait_for_load_state("load")
    # As an injection would: a script element without the page's nonce.
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__injected = true;';
                   document.body.appendChild(s); }"""
    )
    assert page.evaluate("window.__injected") is None  # refused
    deadline = time.monotonic() + 10
    while "CSP violation" not in caplog.text and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # the browser sends its report to /csp-rapport
    assert "CSP violation: script-src-elem blocked inline on " in caplog.text
    assert "/locaux (source" in caplog.text and "kind=office" not in caplog.text
