"""Marketing downloads the brochure in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.exports.support import pdf_pages
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_marketing_user_clicks_once_and_gets_the_brochure(page, make_user):
    email = make_user("marketing", "epa_senart", email="marketing@epa-senart.example")
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Supports de promotion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supports de promotion")
    expect(page.get_by_role("link", name="Télécharger le paquet CNIG (ZIP)")).to_be_visible()
    assert axe_violations(page) == []

    page.set_default_timeout(60_000)  # the brochure is rendered on demand
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la brochure (PDF)").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.startswith("brochure-senart-melun-val-de-seine-")
    assert download.suggested_filename.endswith(".pdf")
    text = " ".join(pdf_pages(Path(download.path()).read_bytes()))
    assert "Le territoire en chiffres" in text
    assert "locaux de démonstration" in text
