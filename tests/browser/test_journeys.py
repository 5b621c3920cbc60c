"""An incubator term ends: proposal of business-hotel units, installation, the dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_incubator_firm_moves_to_the_business_hotel(page, incubated, lab, senart_dev):
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(senart_dev.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("link", name="Alertes").click()
    card = page.locator("section.card", has_text="Jeune Pousse 1")
    expect(card).to_contain_text("échéance le")
    options = card.get_by_role("checkbox")
    expect(options).to_have_count(3)
    expect(card).to_contain_text("Site d'essai (Hôtel d'entreprises)")
    expect(card).to_contain_text("surface dans la fourchette")
    assert axe_violations(page) == []
    card.get_by_role("button", name="Envoyer ces locaux en proposition").click()

    expect(page.locator("h1")).to_contain_text("Sortie de pépinière")
    expect(page.locator("p.meta")).to_contain_text("Proposition")

    page.goto(f"/entreprises/{incubated[0].id}/parcours")
    page.get_by_text("Enregistrer le départ du local Bureau 1").click()
    page.get_by_label("Date de départ").fill(incubated_term_soon())
    page.get_by_label("Motif").select_option(label="Installée dans un autre local du territoire")
    page.get_by_label("Nouveau local sur le territoire").fill(str(lab.premises["near"].id))
    page.get_by_role("button", name="Enregistrer le départ").click()
    expect(page.get_by_text("Départ enregistré.")).to_be_visible()

    page.get_by_role("link", name="Tableau de bord").click()
    journeys = page.get_by_role("table", name="Parcours : d'un type de site au suivant")
    expect(journeys).to_contain_text("Pépinière d'entreprises")
    expect(journeys).to_contain_text("Hôtel d'entreprises")
    installed = page.get_by_role("table", name="Installations et emplois annoncés")
    expect(installed).to_contain_text("entreprises installées")
    assert axe_violations(page) == []


def incubated_term_soon() -> str:
    from datetime import date, timedelta

    return (date.today() + timedelta(days=1)).isoformat()
