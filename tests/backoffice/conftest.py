"""Back-office fixtures: users of SYMPAV and EPA Sénart, their sites, uploads in a temp folder."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hosting_app.auth.models import User
from hosting_app.sites.models import Site

VILLAROCHE = "pole-aeronautique-paris-villaroche"
ECOPOLE = "ecopole-de-senart"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Photos go to a folder of the test's own."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    return tmp_path / "photos"


def _user(session, make_user, role: str, organisation: str) -> User:
    email = make_user(role, organisation, email=f"{role}@{organisation.replace('_', '-')}.example")
    return session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def sympav_dev(session, make_user) -> User:
    """A developer of SYMPAV, which operates Villaroche."""
    return _user(session, make_user, "developer", "sympav")


@pytest.fixture
def epa_dev(session, make_user) -> User:
    """A developer of EPA Sénart, which operates the Écopôle."""
    return _user(session, make_user, "developer", "epa_senart")


@pytest.fixture
def admin(session, make_user) -> User:
    """An administrator (of the Region)."""
    return _user(session, make_user, "admin", "region_idf")


@pytest.fixture
def marketing(session, make_user) -> User:
    """Marketing at EPA Sénart: edits nothing."""
    return _user(session, make_user, "marketing", "epa_senart")


@pytest.fixture
def villaroche(session) -> Site:
    """The Villaroche aeronautics park (operated by SYMPAV)."""
    return session.scalar(sa.select(Site).where(Site.slug == VILLAROCHE))


@pytest.fixture
def ecopole(session) -> Site:
    """The Écopôle de Sénart (operated by EPA Sénart)."""
    return session.scalar(sa.select(Site).where(Site.slug == ECOPOLE))
