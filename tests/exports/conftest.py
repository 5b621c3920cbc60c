"""Fixtures of the export tests: a logged-in marketing user, a Region-funded test site."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hosting_app.auth.models import User
from tests.helpers import login


@pytest.fixture
def marketing(session, make_user, client) -> User:
    """A marketing user of EPA Sénart, logged in on ``client``."""
    email = make_user("marketing", "epa_senart", email="marketing@epa-senart.example")
    assert login(client, email).status_code == 302
    return session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def funded_lab(session, lab):
    """The test site, marked as financed by the Region."""
    lab.site.region_funded = True
    session.commit()
    return lab
