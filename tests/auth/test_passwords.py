"""Password rules: length and no common or predictable password, in the CLI and the forms."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hosting_app.auth.models import User
from hosting_app.auth.passwords import MIN_LENGTH, password_problem, verify_password
from hosting_app.extensions import db
from tests.helpers import PASSWORD, csrf_token, login

TOO_EASY = "trop courant ou trop facile à deviner"


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # in the list of common passwords, with a sequence
        "123456789012",
        "azertyuiop12",  # the French keyboard's row, in the list
        "Motdepasse2024",  # « mot de passe », capitalised, with a year
        "P@ssw0rd2024",  # l33t
        "qwertyuiopasdf",  # keyboard pattern
        "aaaaaaaaaaaaaaaa",  # repeat
        "Senart2024!!!",  # the service's name
    ],
)
def test_common_or_predictable_passwords_are_refused(password):
    assert TOO_EASY in password_problem(password)


def test_words_of_the_account_make_a_password_predictable():
    assert password_problem("camille.durand77", email="camille.durand@camvs.example")
    assert password_problem("camille.durand77", email="dominique.martin@camvs.example") is None


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "a long enough password", "Lapin bleu de Melun", "x7Gq!p2LmZ9r", "été à Lieusaint"],
)
def test_passphrases_and_random_passwords_are_accepted(password):
    assert password_problem(password) is None


def test_length_limits():
    message = f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères."
    assert password_problem("x7Gq!p2LmZ9") == message
    assert "au plus 1024" in password_problem("x7Gq!p2LmZ9r" * 100)


def test_users_create_refuses_a_common_password(runner, app):
    result = runner.invoke(
        args=["users", "create", "--email", "new@sympav.example", "--organisation", "sympav",
              "--role", "developer", "--password", "password1234"]
    )  # fmt: skip
    assert result.exit_code != 0
    assert TOO_EASY in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "new@sympav.example")) is None


def _change(client, current: str, new: str, confirmation: str | None = None):
    token = csrf_token(client.get("/compte/mot-de-passe").get_data(as_text=True))
    confirmation = new if confirmation is None else confirmation
    data = {"current_password": current, "new_password": new, "confirmation": confirmation,
            "csrf_token": token}  # fmt: skip
    return client.post("/compte/mot-de-passe", data=data)


def _hash(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(User.password_hash).where(User.email == email))


def test_password_form_refuses_a_common_password(app, client, make_user):
    email = make_user("developer")
    login(client, email)
    response = _change(client, PASSWORD, "iloveyou1234")
    assert response.status_code == 400
    assert TOO_EASY in response.get_data(as_text=True)
    assert verify_password(_hash(app, email), PASSWORD)  # unchanged


def test_password_form_needs_the_current_password_and_the_same_new_one_twice(
    app, client, make_user
):
    email = make_user("developer")
    login(client, email)
    wrong = _change(client, "not my password at all", "a brand new passphrase")
    assert wrong.status_code == 400
    assert "Mot de passe actuel incorrect." in wrong.get_data(as_text=True)
    different = _change(client, PASSWORD, "a brand new passphrase", "a brand new passphrasE")
    assert different.status_code == 400
    assert "Les deux saisies du nouveau mot de passe diffèrent." in different.get_data(as_text=True)
    short = _change(client, PASSWORD, "too short")
    assert short.status_code == 400
    assert f"Au moins {MIN_LENGTH} caractères." in short.get_data(as_text=True)
    assert verify_password(_hash(app, email), PASSWORD)


def test_password_change_page_needs_a_login(client):
    response = client.get("/compte/mot-de-passe")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")
