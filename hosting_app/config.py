"""Settings read from the environment; tests pass a dict to create_app instead."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def from_environment(instance_path: str) -> dict:
    """Return the configuration taken from environment variables."""
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or None,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "DATABASE_NAME": os.environ.get("HOSTING_APP_DATABASE", "hosting_app"),
        # Number of reverse proxies in front of the app (their X-Forwarded-* are trusted).
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "MAP_BASEMAP": os.environ.get("MAP_BASEMAP", "ign"),
        "MAP_EMBED_LIMIT": int(os.environ.get("MAP_EMBED_LIMIT", "10000")),
        # SQLAlchemy's connection pool, per process (a gunicorn sync worker uses one at a time).
        "DATABASE_POOL_SIZE": int(os.environ.get("DATABASE_POOL_SIZE", "5")),
        "DATABASE_MAX_OVERFLOW": int(os.environ.get("DATABASE_MAX_OVERFLOW", "10")),
        "DATABASE_POOL_RECYCLE": int(os.environ.get("DATABASE_POOL_RECYCLE", "1800")),
        "DATABASE_POOL_TIMEOUT": int(os.environ.get("DATABASE_POOL_TIMEOUT", "30")),
        "DATABASE_CONNECT_TIMEOUT": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "10")),
    }


def _instance_secret(instance_path: str) -> str:
    """Return a secret key kept in the instance folder, created on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
