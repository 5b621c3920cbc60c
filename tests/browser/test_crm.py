"""The shared CRM in a real browser: the duplicate warning while typing, the shared timeline."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_camvs_developer_is_warned_then_logs_the_call(page, aero, camvs_dev):
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(camvs_dev.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Entreprises", exact=True).click()
    page.get_by_role("link", name="Nouvelle entreprise").click()

    page.get_by_label("Raison sociale").press_sequentially("Sté Aéro Méca de Sénart", delay=20)
    warning = page.locator("#live-candidates")
    expect(warning).to_contain_text("Cette entreprise est peut-être déjà suivie")
    expect(warning).to_contain_text("Déjà suivie par SAN Sénart 77 depuis le")
    expect(warning).to_contain_text("dernier contact le")
    # A postcode being typed is not sent half-way: the warning stays.
    page.get_by_label("Code postal").press_sequentially("77", delay=20)
    page.wait_for_timeout(1000)
    expect(warning).to_contain_text("Déjà suivie par SAN Sénart 77 depuis le")
    assert axe_violations(page) == []

    warning.get_by_role("link", name="AERO MECA SENART SAS").first.click()
    page.wait_for_url("**/entreprises/*")
    expect(page.locator("h1")).to_contain_text("AERO MECA SENART SAS")

    page.get_by_label("Type de contact").select_option(label="Appel")
    page.get_by_label("Compte rendu").fill("Appel : le projet d'atelier se confirme.")
    page.get_by_role("button", name="Enregistrer la démarche").click()
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Appel : le projet d'atelier se confirme.")
    expect(timeline).to_contain_text("CAMVS")
    expect(timeline).to_contain_text("SAN Sénart 77")
    expect(page.get_by_text("Démarche enregistrée sur la fiche partagée.")).to_be_visible()
    assert axe_violations(page) == []
    assert str(date.today().year) in timeline.inner_text()
