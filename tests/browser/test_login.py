"""Logging in and out in a real browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_admin_logs_in_sees_the_users_and_logs_out(page, make_user):
    email = make_user("admin", "epa_senart")
    page.goto("/admin/utilisateurs")
    page.wait_for_url("**/connexion?next=*")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/utilisateurs")
    assert page.get_by_role("heading", name="Organisations et utilisateurs").is_visible()
    assert page.get_by_role("row", name=email).is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Se déconnecter").click()
    assert page.get_by_text("Vous êtes déconnecté.").is_visible()
    page.goto("/admin/utilisateurs")
    page.wait_for_url("**/connexion?next=*")


def test_wrong_password_shows_an_error_and_keeps_the_email(page, make_user):
    email = make_user("developer", "camvs")
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill("wrong password here")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_text("Adresse électronique ou mot de passe incorrect.").is_visible()
    assert page.get_by_label("Adresse électronique").input_value() == email
    assert axe_violations(page) == []
