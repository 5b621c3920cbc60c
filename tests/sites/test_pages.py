"""The home page and a site's page."""

from __future__ import annotations

import re

import pytest


def test_home_lists_the_sites_by_kind(client):
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Les sites d'accueil des entreprises</h1>" in page
    for heading in (
        "Pépinière d&#39;entreprises",
        "Parc aéronautique",
        "Zone d&#39;activités",
        "Village artisanal",
    ):
        assert heading in page
    assert "Écopôle de Sénart" in page
    assert 'href="/sites/pole-aeronautique-paris-villaroche"' in page
    # In the order of a firm's journey, incubators first.
    assert (
        page.index("Pépinière d&#39;entreprises")
        < page.index("Hôtel d&#39;entreprises")
        < page.index("Zone d&#39;activités")
        < page.index("Parc aéronautique")
    )
    # Approximate and unknown positions are said so.
    assert "Position approximative" in page
    assert "Position inconnue" in page


def test_site_page_shows_facts_and_demo_premises(client):
    response = client.get("/sites/pole-aeronautique-paris-villaroche")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Syndicat Mixte du Pôle de Villaroche" in page
    assert "541 ha" in page
    assert "Aéronautique" in page
    assert "démonstration" in page
    assert "Terrain" in page
    assert "48,60667 N, 2,67028 E" in page


def test_home_counts_available_premises_in_french(client, session):
    import sqlalchemy as sa

    from hosting_app.sites.models import Availability, Premises, Site

    site = session.scalar(sa.select(Site).where(Site.slug == "carre-senart"))
    session.execute(
        sa.update(Premises)
        .where(Premises.site_id == site.id)
        .values(availability=Availability.OCCUPIED)
    )
    first = session.scalars(
        sa.select(Premises).where(Premises.site_id == site.id).order_by(Premises.id)
    ).first()
    first.availability = Availability.AVAILABLE
    session.commit()
    page = client.get("/").get_data(as_text=True)
    card = page[page.index("Carré Sénart") :]
    card = card[: card.index("</li>")]
    assert "1 local disponible" in card


def test_low_confidence_site_page_warns_about_its_position(client):
    page = client.get("/sites/ecopole-de-senart").get_data(as_text=True)
    assert "Position approximative" in page
    assert "n'est pas l'emplacement exact" in page


@pytest.mark.parametrize("slug", ["nulle-part", "%00", "Ecopole-De-Senart", "ecopole--senart"])
def test_unknown_site_is_a_french_404(client, slug):
    # A NUL character (which PostgreSQL's text cannot hold) or any other path that is no
    # site's slug included.
    response = client.get(f"/sites/{slug}")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/locaux", "/sites/ecopole-de-senart"])
def test_pages_name_an_icon_that_exists(client, path):
    """Browsers ask every site for an icon: the pages name one the app serves (no 404)."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', page)
    assert match, "no icon declared"
    icon = client.get(match.group(1))
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
