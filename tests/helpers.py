"""Helpers shared by the tests."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

PASSWORD = "correct horse battery staple"


def csrf_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    """Log in through the real form, CSRF token included."""
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    return client.post(
        "/connexion", data={"email": email, "password": password, "csrf_token": token}
    )
