"""hosting-app users create."""

from __future__ import annotations

import sqlalchemy as sa

from hosting_app.auth.models import Role, User
from hosting_app.extensions import db
from tests.helpers import login


def test_users_create_makes_an_account_that_can_log_in(app, runner, client):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Dev@SYMPAV.example",
            "--organisation",
            "sympav",
            "--role",
            "developer",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Compte créé : dev@sympav.example" in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "dev@sympav.example"))
        assert user.role is Role.DEVELOPER
        assert user.organisation.key == "sympav"
    assert login(client, "dev@sympav.example", "a long enough password").status_code == 302


def test_users_create_refuses_short_password_and_unknown_organisation(runner):
    short = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@b.fr",
            "--organisation",
            "sympav",
            "--role",
            "admin",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0
    assert "au moins 12 caractères" in short.output
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@b.fr",
            "--organisation",
            "nowhere",
            "--role",
            "admin",
            "--password",
            "a long enough password",
        ]
    )
    assert unknown.exit_code != 0
    assert "Organisation inconnue : nowhere" in unknown.output


def test_users_create_refuses_a_duplicate_email(runner, make_user):
    email = make_user("marketing")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            email.upper(),
            "--organisation",
            "camvs",
            "--role",
            "developer",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code != 0
    assert "Un compte existe déjà" in result.output


def test_users_create_refuses_an_address_the_login_page_would_refuse(runner, client):
    # A reserved domain (.test), no domain at all: the login form's check would turn the
    # account's owner away with « Adresse électronique invalide. »
    for email in ("dev@camvs.test", "dev.camvs"):
        result = runner.invoke(
            args=["users", "create", "--email", email, "--organisation", "camvs",
                  "--role", "developer", "--password", "a long enough password"]
        )  # fmt: skip
        assert result.exit_code != 0, email
        assert f"Adresse électronique invalide : {email}" in result.output
        assert "Compte créé" not in result.output
