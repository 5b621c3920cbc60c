"""CRM fixtures: users of two organisations and a firm followed by one of them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from hosting_app.auth.models import User
from hosting_app.leads import services
from hosting_app.leads.models import Channel


@pytest.fixture
def camvs_dev(session, make_user) -> User:
    """A developer of CAMVS."""
    email = make_user("developer", "camvs", email="dev@camvs.example")
    return session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def senart_dev(session, make_user) -> User:
    """A developer of SAN Sénart 77."""
    email = make_user("developer", "san_senart_77", email="dev@senart.example")
    return session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def aero(session, senart_dev):
    """« AERO MECA SENART SAS », met by SAN Sénart's developer last month."""
    firm = services.create_firm(
        session, user=senart_dev,
        data={"name": "AERO MECA SENART SAS", "postcode": "77127", "city": "Lieusaint",
              "siret": "73282932000074"},
    )  # fmt: skip
    services.log_interaction(
        session, user=senart_dev, firm=firm, occurred_on=date.today() - timedelta(days=30),
        channel=Channel.MEETING, summary="Recherche d'un atelier de 300 m².",
    )  # fmt: skip
    session.commit()
    return firm
