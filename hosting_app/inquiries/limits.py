"""The rate limit on sending inquiries (Flask-Limiter), per client address."""

from __future__ import annotations

import os

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

DEFAULT_INQUIRY_RATE_LIMIT = "5 per hour"

# No default limits: only the routes decorated with limiter.limit are limited.
limiter = Limiter(get_remote_address)


def inquiry_rate_limit() -> str:
    """The limit on POST /demande, read at each request so that tests can lower it."""
    return current_app.config["INQUIRY_RATE_LIMIT"]


def init_limiter(app: Flask) -> None:
    """Bind the limiter to the app; settings from the app config, else the environment."""
    app.config.setdefault(
        "INQUIRY_RATE_LIMIT", os.environ.get("INQUIRY_RATE_LIMIT") or DEFAULT_INQUIRY_RATE_LIMIT
    )
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    )
    # A storage outage (Redis down) must not stop firms from sending their inquiries.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
