"""Rate limits: Flask-Limiter for per-route limits, and the counters of failed logins.

Both count in the same storage: Redis when ``REDIS_URL`` (or ``RATELIMIT_STORAGE_URI``) is set,
so that every worker and every server sees the same counts; the process's memory otherwise.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# No default limits: only the routes decorated with limiter.limit are limited.
limiter = Limiter(get_remote_address)


def storage_uri(config: dict) -> str:
    """Where the counters are kept: RATELIMIT_STORAGE_URI, else REDIS_URL, else memory."""
    return (
        config.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("RATELIMIT_STORAGE_URI")
        or config.get("REDIS_URL")
        or "memory://"
    )


def init_app(app: Flask) -> None:
    """Bind the limiter and the login throttle to the app (once)."""
    if "login_throttle" in app.extensions:
        return
    from hosting_app.auth.throttle import LoginThrottle

    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    # A storage outage (Redis down) must not stop firms from sending their inquiries.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    app.extensions["login_throttle"] = LoginThrottle.from_config(app.config)
