"""Personal API tokens: the CLI, Bearer authentication, no cookies, CSRF, /api/me."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hosting_app.audit.models import AuditEntry
from hosting_app.auth.models import User
from hosting_app.auth.tokens import ApiToken
from hosting_app.extensions import db
from hosting_app.inquiries import services as inquiry_services
from hosting_app.inquiries.models import Inquiry, InquiryStatus
from tests.helpers import login

REFUSED = {"error": "Jeton invalide, expiré ou révoqué."}


def _new_token(runner, email: str, *options: str) -> str:
    result = runner.invoke(args=["users", "token", email, *options])
    assert result.exit_code == 0, result.output
    assert "il ne sera plus affiché" in result.output
    return re.search(r"^hap_[A-Za-z0-9_-]{43}$", result.output, re.MULTILINE).group(0)


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _stored(app, token: str) -> ApiToken:
    with app.app_context():
        digest = hashlib.sha256(token.encode()).hexdigest()
        api_token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
        db.session.expunge_all()
        return api_token


def _set_token(app, token: str, **values) -> None:
    with app.app_context():
        digest = hashlib.sha256(token.encode()).hexdigest()
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.token_hash == digest).values(**values)
        )
        db.session.commit()


def _no_cookie(response) -> bool:
    return response.headers.getlist("Set-Cookie") == []


@pytest.fixture
def inquiry_id(app) -> int:
    """A new inquiry, committed inside the test's transaction."""
    with app.app_context():
        inquiry = inquiry_services.create_inquiry(
            db.session,
            contact_name="Camille Durand",
            firm_name="Atelier Durand SAS",
            email="camille.durand@example.fr",
            message="Nous cherchons un atelier.",
        )
        db.session.commit()
        return inquiry.id


def _status(app, inquiry_id: int) -> InquiryStatus:
    with app.app_context():
        return db.session.get(Inquiry, inquiry_id).status


def test_a_token_from_the_cli_opens_the_api_and_the_pages(runner, client, make_user):
    email = make_user("developer", "sympav")
    token = _new_token(runner, email, "--name", "export nocturne")
    response = client.get("/api/me", headers=_bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {
        "email": email,
        "role": "developer",
        "organisation": {"key": "sympav", "name": "Syndicat Mixte du Pôle de Villaroche"},
    }
    assert _no_cookie(response)

    page = client.get("/espace/demandes", headers=_bearer(token))
    assert page.status_code == 200
    assert "<h1>Demandes reçues</h1>" in page.get_data(as_text=True)
    assert _no_cookie(page)  # the page's CSRF token went to a session that is not sent
    assert client.get("/espace/demandes").status_code == 302  # nothing was remembered


def test_the_role_still_applies_to_a_token(runner, client, make_user):
    token = _new_token(runner, make_user("marketing"))
    assert client.get("/espace/demandes", headers=_bearer(token)).status_code == 403


def test_only_the_hash_of_the_token_is_stored(app, runner, make_user):
    token = _new_token(runner, make_user("developer"))
    stored = _stored(app, token)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.prefix == token[:12]
    with app.app_context():
        row = db.session.execute(sa.select(ApiToken.__table__)).one()
    assert token not in [str(value) for value in row]


@pytest.mark.parametrize("token", ["hap_not-a-real-token", "", "hap_"])
def test_a_wrong_token_gets_401_and_no_cookie(client, token):
    response = client.get("/api/me", headers=_bearer(token))
    assert response.status_code == 401
    assert response.get_json() == REFUSED
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert _no_cookie(response)


def test_a_wrong_token_is_refused_on_the_public_api_and_sent_to_login_elsewhere(client):
    assert client.get("/api/sites", headers=_bearer("hap_nope")).get_json() == REFUSED
    response = client.get("/espace/demandes", headers=_bearer("hap_nope"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")
    assert _no_cookie(response)  # not even for the flashed message


def test_a_bearer_request_is_judged_on_its_token_not_on_the_cookies(runner, client, make_user):
    email = make_user("admin")
    other = make_user("developer", "camvs")
    token = _new_token(runner, other)
    assert login(client, email).status_code == 302  # password, then the second step
    assert client.get_cookie("session")
    assert client.get_cookie("remember_token") is None  # no "remember me" any more
    assert client.get("/api/me").get_json()["email"] == email  # the session cookie

    refused = client.get("/api/me", headers=_bearer("hap_nope"))
    assert refused.status_code == 401  # no fallback on the session cookie
    assert _no_cookie(refused)
    assert client.get("/api/me", headers=_bearer(token)).get_json()["email"] == other
    assert client.get("/api/me").get_json()["email"] == email  # the session is untouched


def test_a_revoked_token_stops_working_at_once(runner, client, make_user):
    token = _new_token(runner, make_user("developer"))
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200
    result = runner.invoke(args=["users", "revoke-token", token[:12]])
    assert result.exit_code == 0, result.output
    assert f"Jeton {token[:12]} de developer.epa_senart@example.fr révoqué." in result.output
    response = client.get("/api/me", headers=_bearer(token))
    assert response.status_code == 401
    assert response.get_json() == REFUSED


def test_an_expired_token_is_refused(app, runner, client, make_user):
    token = _new_token(runner, make_user("developer"), "--expires-days", "30")
    expires_at = _stored(app, token).expires_at
    assert timedelta(days=29) < expires_at - datetime.now(UTC) <= timedelta(days=30)
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200
    _set_token(app, token, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert client.get("/api/me", headers=_bearer(token)).get_json() == REFUSED


def test_the_token_of_a_deactivated_user_is_refused(app, runner, client, make_user):
    email = make_user("developer")
    token = _new_token(runner, email)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == email).values(active=False))
        db.session.commit()
    assert client.get("/api/me", headers=_bearer(token)).get_json() == REFUSED


def test_last_use_is_written_at_most_once_a_minute(app, runner, client, make_user):
    token = _new_token(runner, make_user("developer"))
    assert _stored(app, token).last_used_at is None
    client.get("/api/me", headers=_bearer(token))
    first = _stored(app, token).last_used_at
    assert first is not None
    client.get("/api/me", headers=_bearer(token))
    assert _stored(app, token).last_used_at == first
    _set_token(app, token, last_used_at=first - timedelta(minutes=2))
    client.get("/api/me", headers=_bearer(token))
    assert _stored(app, token).last_used_at > first


def test_a_token_request_needs_no_csrf_token(app, runner, client, make_user, inquiry_id):
    token = _new_token(runner, make_user("developer"))
    url = f"/espace/demandes/{inquiry_id}/traitee"
    assert client.post(url, headers=_bearer("hap_nope")).status_code == 400  # still CSRF
    response = client.post(url, headers=_bearer(token))
    assert response.status_code == 302
    assert _no_cookie(response)
    assert _status(app, inquiry_id) == InquiryStatus.HANDLED


def test_a_session_request_still_needs_its_csrf_token(app, client, make_user, inquiry_id):
    login(client, make_user("developer"))
    url = f"/espace/demandes/{inquiry_id}/traitee"
    assert client.post(url).status_code == 400
    assert _status(app, inquiry_id) == InquiryStatus.NEW
    page = client.get("/espace/demandes").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    response = client.post(url, headers={"X-CSRFToken": meta})  # as a script would send it
    assert response.status_code == 302
    assert _status(app, inquiry_id) == InquiryStatus.HANDLED


def test_api_me_by_session_and_anonymous(client, make_user):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.get_json() == {"error": "Authentification requise."}
    assert '<meta name="csrf-token"' not in client.get("/").get_data(as_text=True)
    email = make_user("admin", "camvs")
    login(client, email)
    me = client.get("/api/me").get_json()
    assert me["email"] == email and me["role"] == "admin"
    assert me["organisation"]["key"] == "camvs"


def test_users_tokens_lists_and_revoke_token_revokes(runner, make_user):
    email = make_user("developer")
    assert "Aucun jeton pour" in runner.invoke(args=["users", "tokens", email]).output
    first = _new_token(runner, email, "--name", "tableur")
    second = _new_token(runner, email, "--expires-days", "7")
    runner.invoke(args=["users", "revoke-token", first[:12]])
    result = runner.invoke(args=["users", "tokens", email])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.startswith("préfixe") and header.endswith("révoqué le")
    assert [row.split()[0] for row in rows] == [first[:12], second[:12]]
    assert "tableur" in rows[0]
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d$", rows[0])  # revoked
    assert rows[1].endswith("—")  # not revoked
    assert first not in result.output and second not in result.output


def test_token_commands_refuse_unknown_and_inactive_accounts(app, runner, make_user):
    unknown = runner.invoke(args=["users", "token", "nobody@example.fr"])
    assert unknown.exit_code != 0
    assert "Aucun compte pour nobody@example.fr." in unknown.output
    assert runner.invoke(args=["users", "tokens", "nobody@example.fr"]).exit_code != 0
    email = make_user("developer")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == email).values(active=False))
        db.session.commit()
    inactive = runner.invoke(args=["users", "token", email])
    assert inactive.exit_code != 0
    assert "est désactivé" in inactive.output
    prefix = runner.invoke(args=["users", "revoke-token", "hap_00000000"])
    assert prefix.exit_code != 0
    assert "Aucun jeton ne commence par hap_00000000." in prefix.output


def _change_password(client, *, revoke: bool | None) -> tuple[str, object]:
    """Change the password through the form; ``revoke`` ticks (True), unticks (False) the
    box, or leaves it out (None, as when it is not shown). Returns the form page and the page
    shown after the change (text)."""
    from tests.helpers import PASSWORD, csrf_token

    page = client.get("/compte/mot-de-passe").get_data(as_text=True)
    new = "une toute nouvelle phrase"
    data = {"current_password": PASSWORD, "new_password": new, "confirmation": new,
            "csrf_token": csrf_token(page)}  # fmt: skip
    if revoke:
        data["revoke_tokens"] = "y"
    response = client.post("/compte/mot-de-passe", data=data, follow_redirects=True)
    return page, html.unescape(response.get_data(as_text=True))


def test_a_password_change_revokes_the_tokens_when_asked(app, runner, client, make_user):
    email = make_user("developer", "camvs")
    tokens = [_new_token(runner, email), _new_token(runner, email)]
    login(client, email)
    page, shown = _change_password(client, revoke=True)
    assert "Vous avez 2 jetons d'API en service" in page
    assert re.search(r'<input[^>]* checked [^>]*name="revoke_tokens"', page)  # the default
    assert "Jetons d'API révoqués : 2." in shown
    for token in tokens:
        assert client.get("/api/me", headers=_bearer(token)).status_code == 401
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
        details = db.session.scalars(
            sa.select(AuditEntry.details).where(
                AuditEntry.entity_type == "user", AuditEntry.entity_id == user_id
            )
        ).all()
    assert {"api_tokens_revoked": 2} in details


def test_a_password_change_keeps_the_tokens_when_the_box_is_unticked(runner, client, make_user):
    email = make_user("developer", "camvs")
    token = _new_token(runner, email)
    login(client, email)
    _, shown = _change_password(client, revoke=False)
    assert "Votre mot de passe a été changé." in shown
    assert "Jetons d'API révoqués" not in shown
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200


def test_the_box_is_offered_only_to_a_user_with_working_tokens(client, make_user):
    email = make_user("developer", "camvs")
    login(client, email)
    page, shown = _change_password(client, revoke=None)
    assert "revoke_tokens" not in page
    assert "Votre mot de passe a été changé." in shown
