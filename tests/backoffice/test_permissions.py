"""Who edits what: each organisation its own sites, admins everything, marketing nothing."""

from __future__ import annotations

import sqlalchemy as sa

from hosting_app.sites.models import Site
from tests.backoffice.support import logged_in, post


def _site_form(site: Site, **changes) -> dict:
    data = {
        "name": site.name, "slug": site.slug, "kind": site.kind.value,
        "status": site.status.value, "position_confidence": site.position_confidence.value,
        "point_mode": "manual", "latitude": "48.60667", "longitude": "2.67028",
        "description": site.description,
    }  # fmt: skip
    return data | changes


def test_sympav_developer_edits_villaroche_but_not_the_ecopole(
    client, session, sympav_dev, villaroche, ecopole
):
    logged_in(client, sympav_dev)
    assert client.get(f"/gestion/sites/{villaroche.id}/modifier").status_code == 200
    response = post(
        client,
        f"/gestion/sites/{villaroche.id}/modifier",
        _site_form(villaroche, area_note="Surface revue par SYMPAV."),
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Site, villaroche.id).area_note == "Surface revue par SYMPAV."

    assert client.get(f"/gestion/sites/{ecopole.id}/modifier").status_code == 403
    assert client.get(f"/gestion/sites/{ecopole.id}").status_code == 403
    refused = post(
        client,
        f"/gestion/sites/{ecopole.id}/modifier",
        _site_form(ecopole, area_note="Pas à nous."),
        page=f"/gestion/sites/{villaroche.id}/modifier",
    )
    assert refused.status_code == 403
    session.expire_all()
    assert session.get(Site, ecopole.id).area_note != "Pas à nous."
    assert client.get(f"/gestion/sites/{ecopole.id}/locaux/nouveau").status_code == 403


def test_the_back_office_lists_only_the_organisations_sites(client, sympav_dev, epa_dev):
    page = logged_in(client, sympav_dev).get("/gestion").get_data(as_text=True)
    assert "Pôle aéronautique Paris-Villaroche" in page or "Villaroche" in page
    assert "Écopôle de Sénart" not in page
    client.post("/deconnexion", data={})
    other = client.application.test_client()
    page = logged_in(other, epa_dev).get("/gestion").get_data(as_text=True)
    assert "Écopôle de Sénart" in page and "Villaroche" not in page


def test_admin_edits_every_site(client, admin, villaroche, ecopole):
    logged_in(client, admin)
    for site in (villaroche, ecopole):
        assert client.get(f"/gestion/sites/{site.id}/modifier").status_code == 200
    page = client.get("/gestion").get_data(as_text=True)
    assert "Villaroche" in page and "Écopôle de Sénart" in page


def test_marketing_and_anonymous_edit_nothing(client, marketing, ecopole):
    anonymous = client.get(f"/gestion/sites/{ecopole.id}/modifier")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    logged_in(client, marketing)
    assert client.get("/gestion").status_code == 403
    assert client.get(f"/gestion/sites/{ecopole.id}/modifier").status_code == 403


def test_a_developers_new_site_is_operated_by_their_organisation(client, session, sympav_dev):
    logged_in(client, sympav_dev)
    response = post(client, "/gestion/sites/nouveau", {
        "name": "Extension Villaroche Nord", "kind": "aero_park", "status": "planned",
        "position_confidence": "unknown", "point_mode": "auto", "description": "",
    })  # fmt: skip
    assert response.status_code == 302
    site = session.scalar(sa.select(Site).where(Site.name == "Extension Villaroche Nord"))
    assert site.slug == "extension-villaroche-nord"
    assert site.operator_id == sympav_dev.organisation_id
    assert client.get(f"/gestion/sites/{site.id}/modifier").status_code == 200


def test_the_gestion_link_shows_for_developers_only(client, sympav_dev, marketing):
    page = logged_in(client, sympav_dev).get("/").get_data(as_text=True)
    assert 'href="/gestion"' in page
    other = client.application.test_client()
    assert 'href="/gestion"' not in logged_in(other, marketing).get("/").get_data(as_text=True)
