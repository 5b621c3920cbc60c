"""The public pages in a real browser: navigation, keyboard, accessibility (axe-core)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


def test_home_lists_sites_and_leads_to_a_site_page(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Les sites d'accueil des entreprises"
    assert page.get_by_role("heading", name="Parc aéronautique").is_visible()
    page.get_by_role("link", name="Pôle aéronautique Paris-Villaroche").click()
    page.wait_for_url("**/sites/pole-aeronautique-paris-villaroche")
    assert "Pôle aéronautique Paris-Villaroche" in page.locator("h1").inner_text()
    table = page.get_by_role("table", name="Locaux du site")
    assert table.locator("tbody tr").count() > 0
    assert "démonstration" in table.inner_text()


def test_keyboard_user_can_skip_to_the_content(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#contenu"


@pytest.mark.parametrize("path", ["/", "/sites/ecopole-de-senart", "/connexion", "/sites/absent"])
def test_public_pages_pass_axe(page, path):
    page.goto(path)
    assert axe_violations(page) == []
