"""Failed logins are throttled per account (10 an hour) and per client address (30 an hour)."""

from __future__ import annotations

import uuid

import pytest
import redis
from limits.storage import MemoryStorage, RedisStorage

from hosting_app.auth import views
from hosting_app.auth.throttle import LoginThrottle
from tests.helpers import PASSWORD, csrf_token, login, totp_code

REDIS_URL = "redis://127.0.0.1:6379/0"
THROTTLED = "Trop de tentatives échouées pour ce compte ou depuis votre connexion."


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _login(client, email: str, password: str, address: str = "192.0.2.1"):
    token = csrf_token(client.get("/connexion", **_from(address)).get_data(as_text=True))
    return client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf_token": token},
        **_from(address),
    )


def _lower_limits(monkeypatch, app, account: str = "3 per hour", address: str = "3 per hour"):
    """A fresh in-memory throttle with lower limits: the same code, fewer slow password
    hashes to wait for (the real limits are checked in test_default_limits)."""
    throttle = LoginThrottle(MemoryStorage(), account_limit=account, address_limit=address)
    monkeypatch.setitem(app.extensions, "login_throttle", throttle)


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The emails whose password the login page checked."""
    checked: list[str] = []
    original = views.authenticate

    def spy(session, *, email, password):
        checked.append(email)
        return original(session, email=email, password=password)

    monkeypatch.setattr(views, "authenticate", spy)
    return checked


def test_default_limits(app):
    throttle = app.extensions["login_throttle"]
    assert (throttle.account_limit.amount, throttle.account_limit.get_expiry()) == (10, 3600)
    assert (throttle.address_limit.amount, throttle.address_limit.get_expiry()) == (30, 3600)
    assert isinstance(throttle.storage, MemoryStorage)  # no REDIS_URL in the tests


def test_eleventh_attempt_on_an_account_is_refused_even_with_the_right_password(
    client, make_user, password_checks
):
    email = make_user("developer")
    for attempt in range(10):
        # from several addresses: the account's count does not depend on the address
        response = _login(client, email, f"wrong password {attempt}", f"192.0.2.{attempt % 3}")
        assert response.status_code == 401
    assert len(password_checks) == 10

    response = _login(client, email, PASSWORD, "198.51.100.7")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert THROTTLED in page
    assert "réessayez dans 60 minutes" in page
    assert 3500 < int(response.headers["Retry-After"]) <= 3600
    assert '<form method="post"' in page  # the login page itself
    assert len(password_checks) == 10  # refused before any password check
    assert "Se déconnecter" not in client.get("/").get_data(as_text=True)

    # Another account from the same addresses is not concerned.
    other = make_user("developer", "camvs")
    assert _login(client, other, PASSWORD, "192.0.2.1").status_code == 302


def test_unknown_accounts_are_counted_too(app, client, monkeypatch):
    _lower_limits(monkeypatch, app, address="10 per hour")
    for _ in range(3):
        assert _login(client, "nobody@example.fr", "whatever password").status_code == 401
    assert _login(client, "Nobody@Example.fr", "whatever password").status_code == 429


def test_only_failures_count(client, make_user):
    email = make_user("developer")
    for _ in range(11):
        assert _login(client, email, PASSWORD).status_code == 302
        token = csrf_token(client.get("/").get_data(as_text=True))
        client.post("/deconnexion", data={"csrf_token": token})


def test_a_complete_login_forgets_the_accounts_failures(app, client, make_user, monkeypatch):
    _lower_limits(monkeypatch, app, address="10 per hour")
    email = make_user("developer")
    for _ in range(2):
        assert _login(client, email, "wrong password here").status_code == 401
    assert _login(client, email, PASSWORD).status_code == 302
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/deconnexion", data={"csrf_token": token})
    for _ in range(2):
        assert _login(client, email, "wrong password here").status_code == 401
    assert _login(client, email, PASSWORD).status_code == 302


def test_an_address_is_refused_after_its_failures_on_any_accounts(
    app, client, make_user, monkeypatch, password_checks
):
    """Failures from one address, each on another account: past the limit, refused."""
    _lower_limits(monkeypatch, app, account="10 per hour", address="3 per hour")
    email = make_user("developer")
    for attempt in range(3):
        response = _login(client, f"user{attempt}@example.fr", "guessing", "203.0.113.5")
        assert response.status_code == 401
    response = _login(client, email, PASSWORD, "203.0.113.5")
    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)
    assert len(password_checks) == 3
    assert _login(client, email, PASSWORD, "203.0.113.6").status_code == 302  # another address


def test_second_factor_failures_count_and_lock_the_code_step(app, client, make_user):
    email = make_user("admin")  # has two-factor authentication
    response = _login(client, email, PASSWORD)
    assert response.headers["Location"] == "/connexion/code"
    token = csrf_token(client.get("/connexion/code").get_data(as_text=True))
    for _ in range(10):
        wrong = client.post("/connexion/code", data={"code": "000000", "csrf_token": token},
                            **_from("192.0.2.1"))  # fmt: skip
        assert wrong.status_code == 401
        assert "Code incorrect, expiré ou déjà utilisé." in wrong.get_data(as_text=True)
    right = client.post("/connexion/code",
                        data={"code": totp_code(app, email), "csrf_token": token},
                        **_from("192.0.2.1"))  # fmt: skip
    assert right.status_code == 429
    assert THROTTLED in right.get_data(as_text=True)
    assert client.get("/admin/utilisateurs").status_code == 302  # not logged in


def test_wrong_current_passwords_count_as_failures(app, client, make_user, monkeypatch):
    email = make_user("developer")
    login(client, email)
    _lower_limits(monkeypatch, app)
    for _ in range(3):
        token = csrf_token(client.get("/compte/mot-de-passe").get_data(as_text=True))
        data = {"current_password": "a wrong guess", "new_password": "another passphrase here",
                "confirmation": "another passphrase here", "csrf_token": token}  # fmt: skip
        assert client.post("/compte/mot-de-passe", data=data).status_code == 400
    data["current_password"] = PASSWORD
    response = client.post("/compte/mot-de-passe", data=data)
    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_counts_are_shared_by_the_workers_through_redis(app, client, make_user, monkeypatch):
    """With REDIS_URL, every worker (here two throttles made from the same settings) counts
    in Redis; a unique key prefix keeps this test's counters apart."""
    config = {"REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
              "LOGIN_ACCOUNT_LIMIT": "4 per hour"}  # fmt: skip
    worker_a, worker_b = LoginThrottle.from_config(config), LoginThrottle.from_config(config)
    assert isinstance(worker_a.storage, RedisStorage)
    email = make_user("developer")
    try:
        monkeypatch.setitem(app.extensions, "login_throttle", worker_a)
        for _ in range(2):
            assert _login(client, email, "wrong password here").status_code == 401
        monkeypatch.setitem(app.extensions, "login_throttle", worker_b)
        for _ in range(2):
            assert _login(client, email, "wrong password here").status_code == 401
        monkeypatch.setitem(app.extensions, "login_throttle", worker_a)
        response = _login(client, email, PASSWORD)
        assert response.status_code == 429
        assert THROTTLED in response.get_data(as_text=True)
        keys = redis.Redis.from_url(REDIS_URL).keys(f"*{config['RATELIMIT_KEY_PREFIX']}*")
        assert keys  # the counters are in Redis, under the prefix
        assert not any(email.encode() in key for key in keys)  # the account is hashed
    finally:
        worker_a.clear(account=email, address="192.0.2.1")
    assert redis.Redis.from_url(REDIS_URL).keys(f"*{config['RATELIMIT_KEY_PREFIX']}*") == []
