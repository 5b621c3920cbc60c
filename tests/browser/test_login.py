"""Logging in and out in a real browser, two-factor authentication included."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in
from tests.helpers import PASSWORD, totp_code

pytestmark = pytest.mark.browser


def test_admin_logs_in_in_two_steps_sees_the_users_and_logs_out(app, page, make_user):
    email = make_user("admin", "epa_senart")  # enrolled: TOTP_SECRET
    page.goto("/admin/utilisateurs")
    page.wait_for_url("**/connexion?next=*")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.wait_for_url("**/connexion/code")
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de vérification")
    assert axe_violations(page) == []
    code = page.get_by_label("Code de vérification")
    expect(code).to_be_focused()
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    code.fill("000000")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Code incorrect, expiré ou déjà utilisé.")).to_be_visible()
    expect(page.get_by_label("Code de vérification")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    page.get_by_label("Code de vérification").fill(totp_code(app, email))
    page.get_by_role("button", name="Valider").click()

    page.wait_for_url("**/admin/utilisateurs")
    assert page.get_by_role("heading", name="Organisations et utilisateurs").is_visible()
    assert page.get_by_role("row", name=email).is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Se déconnecter").click()
    assert page.get_by_text("Vous êtes déconnecté.").is_visible()
    page.goto("/admin/utilisateurs")
    page.wait_for_url("**/connexion?next=*")


def test_new_admin_enrols_with_the_qr_code_page_then_keeps_the_recovery_codes(app, page, make_user):
    email = make_user("admin", "sympav", totp=False)
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.wait_for_url("**/compte/double-authentification")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activer la double authentification")
    expect(
        page.get_by_text("La double authentification est obligatoire pour votre compte")
    ).to_be_visible()
    qr = page.get_by_role("img", name="Code QR à scanner avec votre application d'authentification")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    assert axe_violations(page) == []

    page.get_by_label("Code à 6 chiffres affiché par l'application").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert axe_violations(page) == []
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(page.get_by_role("link", name="Mon compte")).to_be_visible()
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("row", name=email)).to_contain_text("Activée")


def test_wrong_password_shows_an_error_and_keeps_the_email(page, make_user):
    email = make_user("developer", "camvs")
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill("wrong password here")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_text("Adresse électronique ou mot de passe incorrect.").is_visible()
    assert page.get_by_label("Adresse électronique").input_value() == email
    assert axe_violations(page) == []


def test_a_password_change_offers_to_revoke_the_api_tokens(app, page, runner, make_user):
    email = make_user("developer", "camvs")
    assert runner.invoke(args=["users", "token", email]).exit_code == 0
    log_in(page, email)
    page.goto("/compte/mot-de-passe")

    revoke = page.get_by_role("checkbox", name="Révoquer aussi mes jetons d'API")
    expect(revoke).to_be_checked()
    expect(page.get_by_role("group", name="Jetons d'API")).to_contain_text("1 jeton d'API")
    assert axe_violations(page) == []
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe", exact=True).fill("une toute nouvelle phrase")
    page.get_by_label("Nouveau mot de passe, à nouveau").fill("une toute nouvelle phrase")
    revoke.focus()
    page.keyboard.press("Space")  # unticked with the keyboard…
    expect(revoke).not_to_be_checked()
    page.keyboard.press("Space")  # …and ticked again
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.get_by_text("Jetons d'API révoqués : 1.")).to_be_visible()
