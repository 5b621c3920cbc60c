"""The rate limit on sending inquiries (Flask-Limiter), per client address."""

from __future__ import annotations

import os

from flask import Flask, current_app

from hosting_app import limits
from hosting_app.limits import limiter

__all__ = ["DEFAULT_INQUIRY_RATE_LIMIT", "init_limiter", "inquiry_rate_limit", "limiter"]

DEFAULT_INQUIRY_RATE_LIMIT = "5 per hour"


def inquiry_rate_limit() -> str:
    """The limit on POST /demande, read at each request so that tests can lower it."""
    return current_app.config["INQUIRY_RATE_LIMIT"]


def init_limiter(app: Flask) -> None:
    """Set the inquiry limit from the app config, else the environment; bind the limiter."""
    app.config.setdefault(
        "INQUIRY_RATE_LIMIT", os.environ.get("INQUIRY_RATE_LIMIT") or DEFAULT_INQUIRY_RATE_LIMIT
    )
    limits.init_app(app)  # the shared limiter (storage: Redis or memory), bound once
