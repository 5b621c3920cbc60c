"""The privacy notice, its links, the consent record, and the administrators' pages."""

from __future__ import annotations

import html
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.inquiries.forms import CONSENT_LABEL
from hosting_app.inquiries.models import Inquiry
from hosting_app.leads.models import ContactPerson
from hosting_app.privacy.notice import NOTICE_VERSION
from hosting_app.sites.models import Premises, Site
from tests.helpers import csrf_token, login
from tests.privacy.conftest import contact, firm, inquiry

NOTICE = "/confidentialite"
ADMIN = "/admin/donnees-personnelles"


def test_notice_names_controllers_data_retention_rights_and_cookies(client):
    response = client.get(NOTICE)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "<h1>Données personnelles</h1>" in page
    for organisation in ("Communauté d'Agglomération Melun Val de Seine", "SAN de Sénart",
                         "Établissement Public d'Aménagement de Sénart", "SYMPAV",
                         "Maison de l'Emploi et de la Formation de Sénart"):  # fmt: skip
        assert organisation in page
    assert "Région Île-de-France, les départements" in page  # signatories without access
    assert "3 ans" in page and "consentement" in page and "mission d'intérêt public" in page
    for right in ("accéder", "rectifier", "effacer", "opposer"):
        assert right in page
    assert "CNIL" in page and 'href="https://www.cnil.fr/fr/plaintes"' in page
    assert "aucun bandeau" in page and "strictement nécessaire" in page
    assert 'aria-current="page">Données personnelles</a>' in page


def _public_pages(app) -> list[str]:
    """Every GET page without parameters, plus a site's, a premises' and a missing page."""
    with app.app_context():
        from hosting_app.extensions import db

        slug = db.session.scalar(sa.select(Site.slug).order_by(Site.id))
        premises = db.session.scalar(sa.select(Premises.id).order_by(Premises.id))
    paths = sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments
        and not rule.rule.startswith(("/api/", "/static", "/vendor"))
    )  # fmt: skip
    return paths + [f"/sites/{slug}", f"/locaux/{premises}", f"/demande?local={premises}",
                    "/page-absente"]  # fmt: skip


def test_every_public_page_links_to_the_notice(app, client):
    checked = []
    for path in _public_pages(app):
        response = client.get(path)
        if response.status_code in (200, 404) and response.mimetype == "text/html":
            assert f'href="{NOTICE}"' in response.get_data(as_text=True), path
            checked.append(path)
    assert {"/", "/locaux", "/demande", "/demande/merci", "/connexion", NOTICE} <= set(checked)
    assert "/page-absente" in checked


def test_inquiry_form_links_to_the_notice_next_to_the_consent(client):
    page = client.get("/demande").get_data(as_text=True)
    consent = page.index('name="consent"')
    link = page.index(f'href="{NOTICE}"', consent)
    assert link - consent < 1500  # right after the box, before the submit button
    assert link < page.index('type="submit"', consent)


def test_an_inquiry_keeps_the_notice_version_and_consent_wording(app, client, session):
    form = client.get("/demande").get_data(as_text=True)
    response = client.post("/demande", data={
        "contact_name": "Camille Durand", "firm_name": "Atelier Durand SAS",
        "email": "camille.durand@example.fr", "premises_kind": "", "consent": "y",
        "message": "Nous cherchons un atelier.", "csrf_token": csrf_token(form),
        "wanted_from": (date.today() + timedelta(days=30)).isoformat(),
    })  # fmt: skip
    assert response.status_code == 302
    stored = session.scalar(sa.select(Inquiry).where(Inquiry.email == "camille.durand@example.fr"))
    entry = session.scalar(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "inquiry", AuditEntry.entity_id == stored.id))  # fmt: skip
    assert entry.action == AuditAction.CREATE and entry.user_id is None
    assert entry.details["notice_version"] == NOTICE_VERSION
    assert entry.details["consent_wording"] == CONSENT_LABEL
    assert "camille" not in json.dumps(entry.details).lower()


def test_viewing_the_inquiries_is_logged(client, session, make_user):
    sent = inquiry(session, email="vu@example.fr", name="Vu Lu", firm_name="VUE SARL")
    session.commit()
    login(client, make_user("developer"))
    assert client.get("/espace/demandes").status_code == 200
    entry = session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == AuditAction.VIEW_PERSONAL_DATA,
        AuditEntry.entity_type == "inquiry"))  # fmt: skip
    assert sent.id in entry.details["ids"]


@pytest.mark.parametrize("role", ["developer", "marketing"])
def test_only_admins_reach_the_privacy_requests(client, make_user, role):
    login(client, make_user(role))
    assert client.get(ADMIN).status_code == 403
    assert client.post(ADMIN, data={"email": "x@example.fr"}).status_code in (400, 403)
    assert client.post(f"{ADMIN}/export", data={"email": "x@example.fr"}).status_code in (400, 403)
    assert client.post(f"{ADMIN}/effacer", data={"email": "x@example.fr"}).status_code in (
        400, 403)  # fmt: skip


def test_only_admins_reach_the_privacy_requests_with_a_valid_token(client, make_user):
    login(client, make_user("developer"))
    token = csrf_token(client.get("/demande").get_data(as_text=True))
    for path in (ADMIN, f"{ADMIN}/export", f"{ADMIN}/effacer"):
        response = client.post(path, data={"email": "x@example.fr", "csrf_token": token,
                                           "confirm": "y"})  # fmt: skip
        assert response.status_code == 403, path


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(ADMIN)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.fixture
def person(session, senart_dev):
    """Léa Petit, contact of one firm and sender of one inquiry."""
    at = firm(session, senart_dev, "PETIT ATELIER", met_days_ago=5)
    row = contact(session, senart_dev, at, "Léa Petit", "lea.petit@example.fr", "+33164109999")
    sent = inquiry(session, email="lea.petit@example.fr", name="Léa Petit", firm_name="PETIT")
    session.commit()
    return {"contact": row.id, "inquiry": sent.id, "firm": at.id}


def _search(client, email: str):
    token = csrf_token(client.get(ADMIN).get_data(as_text=True))
    return client.post(ADMIN, data={"email": email, "csrf_token": token})


def test_admin_finds_a_person_and_the_search_is_logged(client, session, make_user, person):
    login(client, make_user("admin"))
    response = _search(client, "Lea.Petit@example.fr")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Données trouvées pour lea.petit@example.fr" in page
    assert "PETIT ATELIER" in page and "Léa Petit" in page and "01 64 10 99 99" in page
    assert "Télécharger les données (JSON)" in page and "Effacer définitivement" in page
    entry = session.scalar(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "privacy_subject"))  # fmt: skip
    assert entry.action == AuditAction.VIEW_PERSONAL_DATA
    assert entry.details["records"] == {"contact_person": [person["contact"]],
                                        "inquiry": [person["inquiry"]]}  # fmt: skip
    assert "lea" not in json.dumps(entry.details).lower()


def test_admin_search_of_an_unknown_address(client, make_user):
    login(client, make_user("admin"))
    page = html.unescape(_search(client, "nobody@example.fr").get_data(as_text=True))
    assert "Aucun contact, aucune demande ni aucun compte ne porte cette adresse." in page


def test_admin_search_refuses_a_bad_address(client, make_user):
    login(client, make_user("admin"))
    response = _search(client, "pas-une-adresse")
    assert response.status_code == 400
    assert "Adresse électronique invalide." in html.unescape(response.get_data(as_text=True))


def test_admin_downloads_the_json(client, session, make_user, person):
    login(client, make_user("admin"))
    page = _search(client, "lea.petit@example.fr").get_data(as_text=True)
    response = client.post(f"{ADMIN}/export", data={
        "email": "lea.petit@example.fr", "csrf_token": csrf_token(page)})  # fmt: skip
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="donnees-personnelles-'
    )
    assert "lea" not in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["contact_persons"][0]["name"] == "Léa Petit"
    assert data["inquiries"][0]["id"] == person["inquiry"]
    assert (
        session.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.entity_type == "privacy_subject", AuditEntry.action == AuditAction.EXPORT
            )
        )
        == 1
    )


def test_admin_erasure_needs_the_box_ticked(client, session, make_user, person):
    login(client, make_user("admin"))
    page = _search(client, "lea.petit@example.fr").get_data(as_text=True)
    response = client.post(f"{ADMIN}/effacer", data={
        "email": "lea.petit@example.fr", "csrf_token": csrf_token(page)})  # fmt: skip
    assert response.status_code == 400
    assert "Cochez la case pour confirmer l'effacement." in html.unescape(
        response.get_data(as_text=True)
    )
    assert session.get(ContactPerson, person["contact"]) is not None


def test_admin_erasure_needs_the_csrf_token(client, session, make_user, person):
    login(client, make_user("admin"))
    response = client.post(f"{ADMIN}/effacer", data={
        "email": "lea.petit@example.fr", "confirm": "y"})  # fmt: skip
    assert response.status_code in (302, 400)
    assert session.get(ContactPerson, person["contact"]) is not None


def test_admin_erases_a_person(client, session, make_user, person):
    admin = make_user("admin")
    login(client, admin)
    page = _search(client, "lea.petit@example.fr").get_data(as_text=True)
    form = {"email": "lea.petit@example.fr", "confirm": "y", "csrf_token": csrf_token(page)}
    response = client.post(f"{ADMIN}/effacer", data=form)
    assert response.status_code == 302
    message = html.unescape(client.get(ADMIN).get_data(as_text=True))
    assert "Données effacées : 1 contact(s) supprimé(s), 1 demande(s) effacée(s)" in message
    session.expire_all()
    assert session.get(ContactPerson, person["contact"]) is None
    assert session.get(Inquiry, person["inquiry"]).contact_name == "[effacé]"
    request = session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "privacy_subject", AuditEntry.action == AuditAction.DELETE
        )
    )
    assert request.user.email == admin
    assert request.details["records"] == {"contact_person": [person["contact"]],
                                          "inquiry": [person["inquiry"]]}  # fmt: skip
