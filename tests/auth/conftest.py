"""Fixtures of the account tests: the failed-login counters start empty."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_login_throttle(app):
    """Each test starts with no failed login counted, whatever the tests before it did."""
    app.extensions["login_throttle"].reset()
    yield
    app.extensions["login_throttle"].reset()
