"""The privacy notice and the administrators' privacy requests in a real browser (axe-core)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hosting_app.leads import services
from tests.browser.conftest import axe_violations
from tests.helpers import PASSWORD, totp_code

pytestmark = pytest.mark.browser


def _log_in(page, app, email: str) -> None:
    """The login form, then the second step (administrators have two-factor authentication)."""
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/connexion/code")
    page.get_by_label("Code de vérification").fill(totp_code(app, email))
    page.get_by_role("button", name="Valider").click()


def test_notice_is_reached_from_the_footer_and_passes_axe(page):
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Données personnelles").click()
    page.wait_for_url("**/confidentialite")
    expect(page.locator("h1")).to_have_text("Données personnelles")
    for heading in ("Responsables du traitement", "Vos droits et comment les exercer", "Cookies"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    page.get_by_role("link", name="Vos droits et comment les exercer").click()
    assert page.evaluate("location.hash") == "#droits"
    assert axe_violations(page) == []


def test_inquiry_form_links_to_the_notice_beside_the_consent(page):
    page.goto("/demande")
    link = page.get_by_role("link", name="Données personnelles : qui reçoit vos informations")
    expect(link).to_have_attribute("href", "/confidentialite")
    consent = page.get_by_label("J'accepte que ces informations soient transmises", exact=False)
    assert consent.bounding_box()["y"] < link.bounding_box()["y"]
    assert axe_violations(page) == []


def test_admin_finds_then_erases_a_person(app, page, session, senart_dev, make_user):
    firm = services.create_firm(session, user=senart_dev, data={"name": "PETIT ATELIER"})
    services.add_contact(
        session, user=senart_dev, firm=firm, name="Léa Petit", email="lea.petit@example.fr"
    )
    session.commit()
    admin = make_user("admin")
    page.goto("/admin/donnees-personnelles")
    _log_in(page, app, admin)
    page.wait_for_url("**/admin/donnees-personnelles")
    assert axe_violations(page) == []

    page.get_by_label("Adresse électronique de la personne").fill("lea.petit@example.fr")
    page.get_by_role("button", name="Rechercher").click()
    expect(
        page.get_by_role("heading", name="Données trouvées pour lea.petit@example.fr")
    ).to_be_visible()
    expect(page.get_by_role("table", name="Contacts d'entreprises (1)")).to_contain_text(
        "Léa Petit"
    )
    assert axe_violations(page) == []

    page.get_by_role("button", name="Effacer définitivement").click()
    expect(page.get_by_role("alert")).to_contain_text("Cochez la case pour confirmer")
    assert axe_violations(page) == []
    page.get_by_label("Je confirme l'effacement définitif de ces données").check()
    page.get_by_role("button", name="Effacer définitivement").click()
    expect(page.get_by_text("Données effacées : 1 contact(s) supprimé(s)")).to_be_visible()
    assert axe_violations(page) == []
