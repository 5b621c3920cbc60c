"""Helpers shared by the tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "correct horse battery staple"
# The TOTP secret of the administrators made by the make_user fixture (admins must have 2FA).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CODE_PAGE = "/connexion/code"


def csrf_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def totp_code(app: Flask, email: str) -> str:
    """A TOTP code the app accepts for ``email`` now: the current time step, or the next one
    when the current one is used up (a test logging the same user in twice)."""
    from hosting_app.auth import twofactor
    from hosting_app.auth.models import User
    from hosting_app.extensions import db

    with app.app_context():
        sealed, last_step = db.session.execute(
            sa.select(User.totp_secret, User.totp_last_step).where(User.email == email.lower())
        ).one()
        secret = twofactor.unseal(sealed)
    step = int(datetime.now(UTC).timestamp()) // 30
    if last_step is not None and step <= last_step:
        step = last_step + 1  # accepted: the app allows one step of clock drift
    return pyotp.TOTP(secret).generate_otp(step)


def login(client: FlaskClient, email: str, password: str = PASSWORD, *, next: str | None = None):
    """Log in through the real form, CSRF token included; when the account has two-factor
    authentication, the second step too, with a code of its secret."""
    url = "/connexion" + (f"?next={next}" if next else "")
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"email": email, "password": password, "csrf_token": token})
    if response.status_code == 302 and response.headers["Location"] == CODE_PAGE:
        token = csrf_token(client.get(CODE_PAGE).get_data(as_text=True))
        code = totp_code(client.application, email)
        response = client.post(CODE_PAGE, data={"code": code, "csrf_token": token})
    return response
