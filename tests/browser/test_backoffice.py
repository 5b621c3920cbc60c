"""The back-office in a real browser: a SYMPAV developer draws Villaroche's perimeter with the
mouse, then adds plots with their outlines and photos, and a visitor sees them at once."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from geoalchemy2 import Geography
from PIL import Image
from playwright.sync_api import expect

from hosting_app.auth.models import User
from hosting_app.backoffice.models import Photo
from hosting_app.sites.models import Premises, Site
from tests.browser.conftest import axe_violations
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

VILLAROCHE = "pole-aeronautique-paris-villaroche"
MAP = "window[document.querySelector('.folium-map').id]"


@pytest.fixture
def sympav_dev(session, make_user) -> User:
    """A developer of SYMPAV, the operator of Villaroche."""
    email = make_user("developer", "sympav", email="dev@sympav.example")
    return session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def photo_file(tmp_path):
    """A photo on disk, as a user would pick it."""
    path = tmp_path / "lot.jpg"
    Image.new("RGB", (1200, 800), (90, 140, 60)).save(path, "JPEG")
    return path


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Photos go to the test's own folder."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def _log_in(page, user: User) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Vous êtes connecté.")).to_be_visible()


def _wait_for_drawing_map(page) -> None:
    # A function, not an expression: Playwright polls an expression with eval(), which the
    # Content-Security-Policy refuses.
    page.wait_for_function("() => document.querySelector('.leaflet-pm-toolbar') !== null")


def _click_at(page, lat: float, lon: float) -> None:
    """A real mouse click on the map at a latitude and longitude."""
    x, y = page.evaluate(
        f"([lat, lon]) => {{ const p = {MAP}.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }", [lat, lon])  # fmt: skip
    box = page.locator(".draw-map .folium-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def _draw_polygon(page, corners: list[tuple[float, float]]) -> None:
    page.get_by_role("button", name="Dessiner des polygones").click()
    for lat, lon in corners:
        _click_at(page, lat, lon)
    _click_at(page, *corners[0])  # back on the first vertex closes the shape


def test_a_developer_draws_the_perimeter_and_saves_it(page, offline, session, sympav_dev):
    site = session.scalar(sa.select(Site).where(Site.slug == VILLAROCHE))
    _log_in(page, sympav_dev)
    page.get_by_role("link", name="Gestion", exact=True).click()
    page.get_by_role("link", name=site.name).click()
    page.get_by_role("link", name="Modifier le site et son périmètre").click()
    _wait_for_drawing_map(page)
    assert axe_violations(page) == []

    lat, lon = 48.60667, 2.67028  # the park's point: the map is centred on it
    corners = [(lat - 0.0015, lon - 0.002), (lat - 0.0015, lon + 0.002),
               (lat + 0.0015, lon + 0.002), (lat + 0.0015, lon - 0.002)]  # fmt: skip
    _draw_polygon(page, corners)
    expect(page.locator("#draw-status")).to_have_text("1 contour dessiné.")
    drawn = json.loads(page.locator("#perimeter").input_value())
    assert drawn["type"] == "MultiPolygon" and len(drawn["coordinates"][0][0]) == 5

    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url(f"**/gestion/sites/{site.id}")
    expect(page.get_by_text("Site enregistré : la page publique est à jour.")).to_be_visible()
    valid, srid, kind, inside, area = session.execute(sa.select(
        sa.func.ST_IsValid(Site.perimeter), sa.func.ST_SRID(Site.perimeter),
        sa.func.GeometryType(Site.perimeter), sa.func.ST_Contains(Site.perimeter, Site.point),
        sa.func.ST_Area(sa.cast(Site.perimeter, Geography)),
    ).where(Site.id == site.id)).one()  # fmt: skip
    assert (valid, srid, kind, inside) == (True, 4326, "MULTIPOLYGON", True)
    assert 80_000 < area < 120_000  # about 290 m × 330 m

    page.goto(f"/sites/{VILLAROCHE}")
    page.wait_for_function("document.querySelector('.folium-map') && window.L")
    polygons = page.evaluate(
        f"() => {{ let n = 0; {MAP}.eachLayer(l => {{ if (l instanceof L.Polygon && "
        "l.feature && l.feature.properties.slug) { n += 1; } }); return n; }")  # fmt: skip
    assert polygons == 1
    expect(page.get_by_text("Données mises à jour le")).to_contain_text("SYMPAV")
    assert offline == []


def test_three_plots_with_outlines_and_photos_reach_the_public_map(
    page, offline, session, sympav_dev, photo_file
):
    site = session.scalar(sa.select(Site).where(Site.slug == VILLAROCHE))
    _log_in(page, sympav_dev)
    for number, (lat, lon) in enumerate([(48.6040, 2.6640), (48.6040, 2.6680),
                                         (48.6075, 2.6640)], start=21):  # fmt: skip
        page.goto(f"/gestion/sites/{site.id}/locaux/nouveau")
        _wait_for_drawing_map(page)
        page.get_by_label("Nom du local").fill(f"Lot {number}")
        page.get_by_label("Type de local").select_option(label="Terrain")
        page.get_by_label("Surface (m²)").fill("9 800")
        page.get_by_label("Prix de vente (€ HT/m²)").fill("95")
        page.get_by_label("Disponibilité").select_option(label="Disponible")
        _draw_polygon(page, [(lat, lon), (lat, lon + 0.0012), (lat + 0.0009, lon + 0.0012),
                             (lat + 0.0009, lon)])  # fmt: skip
        expect(page.locator("#draw-status")).to_have_text("1 contour dessiné.")
        if number == 21:
            assert axe_violations(page) == []
        page.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(page.get_by_text(f"Local « Lot {number} » créé")).to_be_visible()
        page.get_by_label("Photo", exact=True).set_input_files(photo_file)
        page.get_by_label("Texte alternatif", exact=True).fill(f"Le lot {number} vu du ciel")
        page.get_by_role("button", name="Ajouter la photo").click()
        expect(page.get_by_text("Photo ajoutée")).to_be_visible()
        if number == 21:
            page.wait_for_selector(".leaflet-pm-toolbar")
            assert axe_violations(page) == []  # the edit page with its photo list

    page.goto(f"/gestion/sites/{site.id}")
    assert axe_violations(page) == []
    plots = session.scalars(
        sa.select(Premises).where(
            Premises.site_id == site.id, Premises.label.in_(["Lot 21", "Lot 22", "Lot 23"])
        )
    ).all()
    assert len(plots) == 3 and all(p.geometry is not None for p in plots)
    assert session.scalar(sa.select(sa.func.count()).select_from(Photo).where(
        Photo.premises_id.in_([p.id for p in plots]))) == 3  # fmt: skip

    visitor = page.context.browser.new_context(base_url=page.url.split("/gestion")[0])
    public = visitor.new_page()
    public.goto("/locaux?site_kind=aero_park&kind=land_plot")
    public.wait_for_function("document.querySelector('.folium-map') && window.L")
    labels = public.evaluate(
        f"() => {{ const found = []; {MAP}.eachLayer(l => {{ if (l instanceof L.MarkerClusterGroup)"
        " { l.getLayers().forEach(m => found.push(m.getPopup().getContent().textContent)); } });"
        " return found; }")  # fmt: skip
    for number in (21, 22, 23):
        assert any(label.startswith(f"Lot {number} — ") for label in labels)
    public.goto(f"/locaux/{plots[0].id}")
    expect(public.get_by_role("img", name=f"{plots[0].label.replace('Lot', 'Le lot')} vu du ciel")
           ).to_be_visible()  # fmt: skip
    visitor.close()
    assert offline == []
