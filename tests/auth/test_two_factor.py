"""Two-factor authentication: enrolment, the two-step login, no replay, single-use recovery
codes, required for admins, turning it off, an admin's reset."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from hosting_app.audit.models import AuditEntry
from hosting_app.auth import twofactor
from hosting_app.auth.models import RecoveryCode, User
from hosting_app.extensions import db
from tests.helpers import PASSWORD, TOTP_SECRET, csrf_token, login

ENROL = "/compte/double-authentification"
CODE = "/connexion/code"
WRONG_CODE = "Code incorrect, expiré ou déjà utilisé."


def _step() -> int:
    return int(datetime.now(UTC).timestamp()) // 30


def _code(secret: str, step: int | None = None) -> str:
    return pyotp.TOTP(secret).generate_otp(_step() if step is None else step)


def _user(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _secret_on(page: str) -> str:
    return re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def _recovery_codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>", page)


def _password_step(client, email: str, password: str = PASSWORD):
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    return client.post("/connexion", data={"email": email, "password": password,
                                           "csrf_token": token})  # fmt: skip


def _submit_code(client, code: str):
    token = csrf_token(client.get(CODE).get_data(as_text=True))
    return client.post(CODE, data={"code": code, "csrf_token": token})


def _logout(client):
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/deconnexion", data={"csrf_token": token})


def _enrol(client) -> tuple[str, list[str], object]:
    """Enrol through the page: scan (read the secret), confirm with a first code."""
    page = client.get(ENROL)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    secret = _secret_on(page.get_data(as_text=True))
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(ENROL, data={"code": _code(secret), "csrf_token": token})
    return secret, _recovery_codes_on(response.get_data(as_text=True)), response


def _logged_in(client) -> bool:
    return client.get("/compte").status_code == 200


def test_a_developer_enrols_from_the_account_page(app, client, make_user):
    email = make_user("developer")
    login(client, email)
    assert "Activer la double authentification" in client.get("/compte").get_data(as_text=True)
    page = client.get(ENROL).get_data(as_text=True)
    assert '<svg role="img" aria-label="Code QR' in page  # drawn here, inline
    assert "http" not in page.split('<svg role="img"')[1].split("</svg>")[0]
    secret = _secret_on(page)
    assert len(secret) == 32

    token = csrf_token(page)
    wrong = client.post(ENROL, data={"code": "123456", "csrf_token": token})
    assert wrong.status_code == 400
    assert _user(app, email).totp_enabled_at is None
    assert _secret_on(wrong.get_data(as_text=True)) == secret  # the same key while enrolling

    response = client.post(ENROL, data={"code": _code(secret), "csrf_token": token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = _recovery_codes_on(response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    user = _user(app, email)
    assert user.totp_enabled_at is not None
    assert secret not in user.totp_secret  # sealed: the database alone does not give it away
    with app.app_context():
        assert twofactor.unseal(user.totp_secret) == secret
    with app.app_context():
        hashes = db.session.scalars(
            sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
        ).all()
    assert len(hashes) == 10
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert "Codes de secours inutilisés : 10" in client.get("/compte").get_data(as_text=True)
    assert "Activée le" in client.get(ENROL).get_data(as_text=True)  # now the status page


def test_login_takes_two_steps_and_the_first_grants_nothing(app, client, make_user):
    email = make_user("developer", totp=True)
    response = _password_step(client, email)
    assert response.status_code == 302
    assert response.headers["Location"] == CODE
    # Half-logged-in: no page, no API.
    assert client.get("/compte").status_code == 302
    assert client.get("/espace/demandes").status_code == 302
    assert client.get("/api/me").status_code == 401
    assert email not in client.get("/").get_data(as_text=True)
    page = client.get(CODE).get_data(as_text=True)
    assert "Code de vérification" in page

    assert _submit_code(client, "000000").status_code == 401
    assert not _logged_in(client)
    response = _submit_code(client, _code(TOTP_SECRET))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _logged_in(client)
    assert _user(app, email).last_login_at is not None


def test_the_code_step_needs_the_password_step_and_expires(client, make_user):
    assert client.get(CODE).headers["Location"] == "/connexion"
    email = make_user("developer", totp=True)
    _password_step(client, email)
    with client.session_transaction() as session:
        pending = session["_auth_pending"]
        pending["at"] -= 5 * 60 + 1
        session["_auth_pending"] = pending
    response = client.get(CODE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"


def test_a_code_cannot_be_replayed(app, client, make_user):
    email = make_user("developer", totp=True)
    code = _code(TOTP_SECRET)
    _password_step(client, email)
    assert _submit_code(client, code).status_code == 302
    _logout(client)

    other = app.test_client()  # an eavesdropper who saw the code, with the password
    _password_step(other, email)
    replay = _submit_code(other, code)
    assert replay.status_code == 401
    assert WRONG_CODE in replay.get_data(as_text=True)
    # Nor the code of the step before (still inside the drift window).
    assert _submit_code(other, _code(TOTP_SECRET, _step() - 1)).status_code == 401
    assert not _logged_in(other)
    # The next step's code is accepted once.
    assert _submit_code(other, _code(TOTP_SECRET, _step() + 1)).status_code == 302


def test_a_recovery_code_works_once(app, client, make_user):
    email = make_user("developer")
    login(client, email)
    _secret, codes, _ = _enrol(client)
    _logout(client)

    _password_step(client, email)
    response = _submit_code(client, codes[3].upper().replace("-", " "))  # typed loosely
    assert response.status_code == 302
    assert "il vous en reste 9" in html.unescape(client.get("/").get_data(as_text=True))
    _logout(client)

    _password_step(client, email)
    again = _submit_code(client, codes[3])
    assert again.status_code == 401
    assert not _logged_in(client)
    assert _submit_code(client, codes[4]).status_code == 302


def test_an_admin_without_two_factor_must_enrol_and_reaches_nothing_before(app, client, make_user):
    email = make_user("admin", totp=False)
    response = login(client, email, next="/admin/utilisateurs")
    assert response.headers["Location"] == ENROL
    for url in ("/admin/utilisateurs", "/compte", "/espace/demandes", "/compte/mot-de-passe"):
        assert client.get(url).status_code == 302, url
    assert client.get("/api/me").status_code == 401
    page = client.get(ENROL).get_data(as_text=True)
    assert "obligatoire pour les administrateurs" in page

    _secret, codes, response = _enrol(client)
    assert response.status_code == 200
    assert len(codes) == 10
    assert 'href="/admin/utilisateurs"' in response.get_data(as_text=True)  # then back there
    assert client.get("/admin/utilisateurs").status_code == 200
    assert _user(app, email).has_totp


def test_an_admin_who_lost_two_factor_while_logged_in_is_kept_on_enrolment(app, client, make_user):
    email = make_user("developer")
    login(client, email)
    with app.app_context():  # e.g. made admin by hand in the database
        db.session.execute(sa.update(User).where(User.email == email).values(role="admin"))
        db.session.commit()
    response = client.get("/espace/demandes")
    assert response.status_code == 302
    assert response.headers["Location"] == ENROL
    assert client.get(ENROL).status_code == 200


def test_turning_it_off_needs_a_current_code(app, client, make_user):
    email = make_user("developer", totp=True)
    login(client, email)
    page = client.get(ENROL).get_data(as_text=True)
    assert "Désactiver la double authentification" in page

    token = csrf_token(page)
    wrong = client.post(ENROL + "/desactiver", data={"disable-code": "000000",
                                                      "csrf_token": token})  # fmt: skip
    assert wrong.status_code == 400
    assert WRONG_CODE in wrong.get_data(as_text=True)
    assert _user(app, email).has_totp

    right = client.post(ENROL + "/desactiver",
                        data={"disable-code": _code(TOTP_SECRET, _step() + 1),
                              "csrf_token": token})  # fmt: skip
    assert right.status_code == 302
    assert not _user(app, email).has_totp
    _logout(client)
    assert _password_step(client, email).headers["Location"] == "/"  # one step again


def test_an_admin_cannot_turn_it_off(app, client, make_user):
    email = make_user("admin")
    login(client, email)
    page = client.get(ENROL).get_data(as_text=True)
    assert "ne peut pas être désactivée" in page
    response = client.post(
        ENROL + "/desactiver",
        data={"disable-code": _code(TOTP_SECRET), "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    assert _user(app, email).has_totp


def test_new_recovery_codes_replace_the_old_ones(app, client, make_user):
    email = make_user("developer")
    login(client, email)
    secret, old_codes, _ = _enrol(client)
    token = csrf_token(client.get(ENROL).get_data(as_text=True))
    response = client.post(
        ENROL + "/codes-de-secours",
        data={"renew-code": _code(secret, _step() + 1), "csrf_token": token},
    )
    new_codes = _recovery_codes_on(response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    _logout(client)
    _password_step(client, email)
    assert _submit_code(client, old_codes[0]).status_code == 401
    assert _submit_code(client, new_codes[0]).status_code == 302


@pytest.mark.parametrize("role", ["developer", "admin"])
def test_an_admin_resets_another_users_two_factor(app, client, make_user, role):
    email = make_user(role, "camvs", totp=True)
    login(client, email)
    admin = app.test_client()
    login(admin, make_user("admin", "epa_senart"))
    user_id = _user(app, email).id
    page = admin.get("/admin/utilisateurs").get_data(as_text=True)
    assert "Réinitialiser la double authentification" in page
    response = admin.post(f"/admin/utilisateurs/{user_id}/double-authentification/reinitialiser",
                          data={"csrf_token": csrf_token(page)})  # fmt: skip
    assert response.status_code == 302
    assert not _user(app, email).has_totp
    assert not _logged_in(client)  # their sessions ended
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity_type == "user",
                                        AuditEntry.entity_id == user_id)
        )  # fmt: skip
        assert entry.changes == {"two_factor": [True, False]}
        assert entry.details == {"by": "admin"}
        assert entry.user.role.value == "admin"
    expected = ENROL if role == "admin" else "/"  # admins must enrol again
    assert _password_step(client, email).headers["Location"] == expected


def _new_key() -> str:
    return Fernet.generate_key().decode()


def test_secrets_are_sealed_and_a_lost_key_leaves_the_recovery_codes(
    app, client, make_user, monkeypatch, caplog
):
    email = make_user("developer")
    login(client, email)
    secret, codes, _ = _enrol(client)
    _logout(client)
    with app.app_context():
        stored = db.session.scalar(sa.select(User.totp_secret).where(User.email == email))
    assert secret not in stored and pyotp.TOTP(secret).now() not in stored

    # The database restored next to another key (the instance's key file was lost).
    monkeypatch.setitem(app.config, "TOTP_KEYS", [_new_key()])
    _password_step(client, email)
    refused = _submit_code(client, _code(secret, _step() + 1))
    assert refused.status_code == 401
    assert WRONG_CODE in refused.get_data(as_text=True)
    assert "TOTP_KEYS lacks its key" in caplog.text
    assert _submit_code(client, codes[0]).status_code == 302  # recovery codes still open
    assert _logged_in(client)


def test_a_key_is_rotated_with_reseal_totp(app, runner, client, make_user, monkeypatch):
    email = make_user("developer", totp=True)
    old = app.config["TOTP_KEYS"]
    with app.app_context():
        before = db.session.scalar(sa.select(User.totp_secret).where(User.email == email))
    new = _new_key()

    monkeypatch.setitem(app.config, "TOTP_KEYS", [new, *old])
    result = runner.invoke(args=["users", "reseal-totp"])
    assert result.exit_code == 0, result.output
    assert "secret(s) TOTP scellé(s)" in result.output

    monkeypatch.setitem(app.config, "TOTP_KEYS", [new])  # the old key removed
    with app.app_context():
        after = db.session.scalar(sa.select(User.totp_secret).where(User.email == email))
        assert after != before
        assert twofactor.unseal(after) == TOTP_SECRET
    _password_step(client, email)
    assert _submit_code(client, _code(TOTP_SECRET, _step() + 1)).status_code == 302


def test_reseal_totp_without_the_old_key_changes_nothing(app, runner, make_user, monkeypatch):
    email = make_user("developer", totp=True)
    with app.app_context():
        before = db.session.scalar(sa.select(User.totp_secret).where(User.email == email))
    monkeypatch.setitem(app.config, "TOTP_KEYS", [_new_key()])
    result = runner.invoke(args=["users", "reseal-totp"])
    assert result.exit_code == 1
    assert "ajoutez à TOTP_KEYS la clé" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User.totp_secret).where(User.email == email)) == before


def test_a_malformed_totp_key_stops_the_start_up_with_its_position(monkeypatch, tmp_path):
    from hosting_app import config

    good = _new_key()
    monkeypatch.setenv("TOTP_KEYS", f"{good}, not-a-key")
    with pytest.raises(ValueError, match="TOTP_KEYS: key 2 is not a Fernet key"):
        config.from_environment(str(tmp_path))
    monkeypatch.setenv("TOTP_KEYS", f" {good} ,")
    assert config.from_environment(str(tmp_path))["TOTP_KEYS"] == [good]
    assert not (tmp_path / "totp_key").exists()  # given keys: no key file made
