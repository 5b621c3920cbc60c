"""Settings read from the environment; tests pass a dict to create_app instead."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

SESSION_IDLE_MINUTES = 30
SESSION_ABSOLUTE_HOURS = 12


def from_environment(instance_path: str) -> dict:
    """Return the configuration taken from environment variables."""
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or None,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        # Fernet keys sealing the TOTP secrets in the database, newest first (comma-separated):
        # the first seals, every one opens, so that a key can be rotated.
        "TOTP_KEYS": _key_list(os.environ.get("TOTP_KEYS"))
        or [_instance_secret(instance_path, "totp_key", _new_fernet_key)],
        # Any request body above this is refused (413) before it is read; photo uploads have
        # their own, smaller cap (PHOTO_MAX_MB).
        "MAX_CONTENT_LENGTH": int(float(os.environ.get("REQUEST_MAX_MB", "32")) * 1024 * 1024),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Follows SESSION_COOKIE_SECURE unless set on its own.
        "REMEMBER_COOKIE_SECURE": _flag(
            "REMEMBER_COOKIE_SECURE", os.environ.get("SESSION_COOKIE_SECURE", "0")
        ),
        # No "remember me" is offered; should a remember cookie ever be set, it cannot outlive
        # the absolute session limit.
        "REMEMBER_COOKIE_DURATION": timedelta(hours=SESSION_ABSOLUTE_HOURS),
        # A session ends after 30 minutes without a request (the cookie's lifetime, refreshed
        # by each request, and checked server-side) and 12 hours after the login in any case.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=SESSION_IDLE_MINUTES),
        "SESSION_REFRESH_EACH_REQUEST": False,  # renewed when the session changes (once a minute)
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=SESSION_IDLE_MINUTES),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=SESSION_ABSOLUTE_HOURS),
        # Rate-limit counters (inquiry form, failed logins), shared by the workers through Redis.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Failed logins allowed per account and per client address (default 10 and 30 an hour).
        "LOGIN_ACCOUNT_LIMIT": os.environ.get("LOGIN_ACCOUNT_LIMIT") or None,
        "LOGIN_ADDRESS_LIMIT": os.environ.get("LOGIN_ADDRESS_LIMIT") or None,
        "DATABASE_NAME": os.environ.get("HOSTING_APP_DATABASE", "hosting_app"),
        # Number of reverse proxies in front of the app (their X-Forwarded-* are trusted).
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        # Redirect plain-HTTP requests to HTTPS (production; behind a TLS proxy, set PROXY_COUNT).
        "FORCE_HTTPS": os.environ.get("FORCE_HTTPS", "0") == "1",
        "MAP_BASEMAP": os.environ.get("MAP_BASEMAP", "ign"),
        "MAP_EMBED_LIMIT": int(os.environ.get("MAP_EMBED_LIMIT", "10000")),
        "TILE_CLUSTER_MAX_ZOOM": int(os.environ.get("TILE_CLUSTER_MAX_ZOOM", "13")),
        # Matching premises are counted exactly up to this number; beyond, « plus de 10 000 ».
        "SEARCH_COUNT_LIMIT": int(os.environ.get("SEARCH_COUNT_LIMIT", "10000")),
        # Response cache of the public API's anonymous GETs (hosting_app/cache.py): "redis"
        # (REDIS_URL, shared by every worker and server), "memory" (this process only) or "off".
        "API_CACHE": os.environ.get("API_CACHE")
        or ("redis" if os.environ.get("REDIS_URL") else "off"),
        "API_CACHE_TTL": int(os.environ.get("API_CACHE_TTL", "60")),
        # Key prefix in Redis; by default one naming the database (see hosting_app/cache.py).
        "API_CACHE_PREFIX": os.environ.get("API_CACHE_PREFIX") or None,
        # SQLAlchemy's connection pool, per process (a gunicorn sync worker uses one at a time).
        "DATABASE_POOL_SIZE": int(os.environ.get("DATABASE_POOL_SIZE", "5")),
        "DATABASE_MAX_OVERFLOW": int(os.environ.get("DATABASE_MAX_OVERFLOW", "10")),
        "DATABASE_POOL_RECYCLE": int(os.environ.get("DATABASE_POOL_RECYCLE", "1800")),
        "DATABASE_POOL_TIMEOUT": int(os.environ.get("DATABASE_POOL_TIMEOUT", "30")),
        "DATABASE_CONNECT_TIMEOUT": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "10")),
    }


def _flag(name: str, default: str = "0") -> bool:
    """Whether the environment variable ``name`` (else ``default``) is "1"."""
    return os.environ.get(name, default) == "1"


def _instance_secret(
    instance_path: str, name: str = "secret_key", new: Callable[[], str] | None = None
) -> str:
    """Return a secret kept in the instance folder (mode 600), created on first use."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(new() if new else secrets.token_urlsafe(48))
    return path.read_text().strip()


def _new_fernet_key() -> str:
    return Fernet.generate_key().decode()


def _key_list(value: str | None) -> list[str]:
    """Fernet keys given as one comma-separated string, blanks dropped; a malformed one stops
    the start-up (rather than every login with a second factor)."""
    keys = [key.strip() for key in (value or "").split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"TOTP_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded "
                "bytes, as made by cryptography.fernet.Fernet.generate_key())"
            ) from None
    return keys
