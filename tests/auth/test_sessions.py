"""Sessions: a new one at login, idle and absolute timeouts, and every session of a user ended
server-side by logout, a password change or deactivation, even when a cookie is replayed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import sqlalchemy as sa

from hosting_app.audit.models import AuditEntry
from hosting_app.auth.models import User
from hosting_app.auth.passwords import verify_password
from hosting_app.extensions import db
from tests.helpers import PASSWORD, csrf_token, login

NEW_PASSWORD = "un nouveau mot de passe bien long"
EXPIRED = "Votre session a expiré : connectez-vous à nouveau."
CLOSED = "Votre session a été fermée : connectez-vous à nouveau."


def _logged_in(client) -> bool:
    return client.get("/compte").status_code == 200


def _replay(app, cookie: str):
    """Another browser sending a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _logout(client):
    token = csrf_token(client.get("/").get_data(as_text=True))
    return client.post("/deconnexion", data={"csrf_token": token})


def test_session_cookie_is_httponly_lax_and_lasts_the_idle_timeout(client, make_user):
    response = login(client, make_user("developer"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    lifetime = (expires - datetime.now(UTC)).total_seconds()
    assert 29 * 60 < lifetime <= 30 * 60


def test_login_starts_a_new_session(client, make_user):
    """Whatever an attacker put in the session before the login is dropped (fixation)."""
    email = make_user("developer")
    client.get("/connexion")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        before = dict(session)
    login(client, email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(str(_user_id(client.application, email)) + ":")
        assert session.get("csrf_token") != before.get("csrf_token")


def _user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))


def test_a_session_without_the_users_token_is_refused(app, client, make_user):
    """The id alone (a session made before tokens, or forged with the key) opens nothing."""
    email = make_user("developer")
    login(client, email)
    with client.session_transaction() as session:
        session["_user_id"] = str(_user_id(app, email))
    assert not _logged_in(client)


def test_logout_ends_the_session_server_side(app, client, make_user):
    email = make_user("developer")
    login(client, email)
    other_device = app.test_client()
    login(other_device, email)
    cookie = client.get_cookie("session").value
    assert _logout(client).status_code == 302
    assert not _logged_in(client)
    assert not _logged_in(_replay(app, cookie))  # the copied cookie is refused
    assert not _logged_in(other_device)  # and so is every other session of the user


def test_password_change_ends_the_other_sessions(app, client, make_user):
    email = make_user("developer")
    login(client, email)
    other_device = app.test_client()
    login(other_device, email)
    old_cookie = client.get_cookie("session").value
    token = csrf_token(client.get("/compte/mot-de-passe").get_data(as_text=True))
    response = client.post(
        "/compte/mot-de-passe",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
              "confirmation": NEW_PASSWORD, "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte"
    assert "Vos autres sessions" in client.get("/compte").get_data(as_text=True)
    assert _logged_in(client)  # this session goes on
    assert not _logged_in(other_device)
    assert CLOSED in other_device.get("/connexion").get_data(as_text=True)
    assert not _logged_in(_replay(app, old_cookie))  # the cookie from before the change
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert verify_password(user.password_hash, NEW_PASSWORD)
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity_type == "user",
                                        AuditEntry.entity_id == user.id)
        )  # fmt: skip
        assert entry.details == {"password": "changed"}
    _logout(client)
    assert login(client, email).status_code == 401  # the old password no longer works
    assert login(client, email, NEW_PASSWORD).status_code == 302


def test_deactivation_by_an_admin_ends_every_session(app, client, make_user):
    email = make_user("developer", "camvs")
    login(client, email)
    cookie = client.get_cookie("session").value
    admin = app.test_client()
    login(admin, make_user("admin"))
    user_id = _user_id(app, email)
    page = admin.get("/admin/utilisateurs").get_data(as_text=True)
    response = admin.post(f"/admin/utilisateurs/{user_id}/desactiver",
                          data={"csrf_token": csrf_token(page)})  # fmt: skip
    assert response.status_code == 302
    assert f"Le compte {email} est désactivé" in admin.get("/admin/utilisateurs").get_data(
        as_text=True
    )
    assert not _logged_in(client)
    assert not _logged_in(_replay(app, cookie))
    assert login(client, email).status_code == 401
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity_type == "user",
                                        AuditEntry.entity_id == user_id)
        )  # fmt: skip
        assert entry.changes == {"active": [True, False]}

    page = admin.get("/admin/utilisateurs").get_data(as_text=True)
    admin.post(f"/admin/utilisateurs/{user_id}/reactiver", data={"csrf_token": csrf_token(page)})
    assert login(client, email).status_code == 302


def test_an_admin_cannot_deactivate_their_own_account(app, client, make_user):
    email = make_user("admin")
    login(client, email)
    page = client.get("/admin/utilisateurs").get_data(as_text=True)
    client.post(f"/admin/utilisateurs/{_user_id(app, email)}/desactiver",
                data={"csrf_token": csrf_token(page)})  # fmt: skip
    assert "Vous ne pouvez pas désactiver votre propre compte." in client.get(
        "/admin/utilisateurs"
    ).get_data(as_text=True)
    assert _logged_in(client)


def _shift(client, key: str, seconds: int) -> None:
    with client.session_transaction() as session:
        session[key] -= seconds


def test_idle_timeout_30_minutes(client, make_user):
    login(client, make_user("developer"))
    _shift(client, "_seen_at", 29 * 60)
    assert _logged_in(client)  # 29 minutes idle: still on, and the clock starts again
    _shift(client, "_seen_at", 29 * 60)
    assert _logged_in(client)
    _shift(client, "_seen_at", 30 * 60 + 5)
    response = client.get("/compte")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")
    assert EXPIRED in client.get("/connexion").get_data(as_text=True)
    assert not _logged_in(client)


def test_absolute_timeout_12_hours_whatever_the_activity(client, make_user):
    login(client, make_user("developer"))
    _shift(client, "_login_at", 12 * 3600 - 60)
    assert _logged_in(client)  # active all along, logged in 11 h 59 ago
    _shift(client, "_login_at", 61)
    assert not _logged_in(client)
    assert EXPIRED in client.get("/connexion").get_data(as_text=True)
