"""Login, logout, CSRF and the role decorator, through the real pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hosting_app.auth.models import User
from hosting_app.extensions import db
from tests.helpers import PASSWORD, csrf_token, login


def test_password_is_stored_as_argon2id(app, make_user):
    email = make_user("developer")
    with app.app_context():
        stored = db.session.scalar(sa.select(User.password_hash).where(User.email == email))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_with_right_password_opens_a_session(client, make_user):
    email = make_user("developer", "sympav")
    response = login(client, email)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert email in page
    assert "SYMPAV" in page
    assert "Se déconnecter" in page


def test_wrong_password_is_refused_with_a_message(client, make_user):
    email = make_user("developer")
    response = login(client, email, "not the password at all")
    assert response.status_code == 401
    assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)
    assert email not in client.get("/").get_data(as_text=True)


def test_unknown_email_gets_the_same_message(client):
    response = login(client, "nobody@example.fr")
    assert response.status_code == 401
    assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(app, client, make_user):
    email = make_user("developer")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == email).values(active=False))
        db.session.commit()
    assert login(client, email).status_code == 401


def test_login_without_csrf_token_is_refused(client, make_user):
    email = make_user("admin")
    response = client.post("/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert email not in client.get("/").get_data(as_text=True)


def test_logout_needs_a_post_with_csrf(client, make_user):
    email = make_user("developer")
    login(client, email)
    assert client.get("/deconnexion").status_code == 405
    assert client.post("/deconnexion").status_code == 400  # no token
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302
    assert email not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "target"),
    [("developer", "https://evil.example/steal"), ("developer", "//evil.example/steal"),
     ("developer", "/\\evil.example"), ("admin", "https://evil.example/steal")],
)  # fmt: skip
def test_login_redirects_back_to_a_local_page_only(client, make_user, role, target):
    response = login(client, make_user(role), next=target)  # admin: after the second step
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("role", "expected"), [("admin", 200), ("developer", 403), ("marketing", 403)]
)
def test_admin_page_is_for_admins_only(client, make_user, role, expected):
    login(client, make_user(role))
    response = client.get("/admin/utilisateurs")
    assert response.status_code == expected
    if expected == 403:
        assert "Accès refusé" in response.get_data(as_text=True)
    else:
        assert "Organisations et utilisateurs" in response.get_data(as_text=True)


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/admin/utilisateurs")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


def test_login_then_back_to_the_page_asked_for(client, make_user):
    email = make_user("admin")
    response = login(client, email, next="/admin/utilisateurs")
    assert response.headers["Location"] == "/admin/utilisateurs"
    assert email in client.get("/admin/utilisateurs").get_data(as_text=True)


def test_deactivating_a_user_ends_their_open_session(app, client, make_user):
    email = make_user("admin")
    login(client, email)
    assert client.get("/admin/utilisateurs").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == email).values(active=False))
        db.session.commit()
    assert client.get("/admin/utilisateurs").status_code == 302
