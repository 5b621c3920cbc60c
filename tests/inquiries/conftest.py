"""Fixtures of the inquiry tests: a fresh rate limit and the data of a valid inquiry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from hosting_app.extensions import db
from hosting_app.inquiries.limits import limiter
from hosting_app.inquiries.models import Inquiry
from hosting_app.sites.models import Premises

VALID_SIRET = "732 829 320 00074"  # a real-format SIRET whose Luhn key is right


@pytest.fixture(autouse=True)
def _fresh_rate_limit(app):
    """Each test starts with an empty rate limit, whatever the tests before it sent."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def inquiry_data():
    """The form fields of a valid inquiry; keyword arguments override them."""

    def make(**overrides) -> dict:
        data = {
            "contact_name": "Camille Durand",
            "firm_name": "Atelier Durand SAS",
            "siret": VALID_SIRET,
            "email": "camille.durand@example.fr",
            "phone": "01 64 10 20 30",
            "premises_kind": "workshop",
            "surface_min_m2": "200",
            "surface_max_m2": "400",
            "wanted_from": (date.today() + timedelta(days=90)).isoformat(),
            "message": "Nous fabriquons des pièces de précision et cherchons un atelier.",
            "consent": "y",
        }
        return {name: value for name, value in (data | overrides).items() if value is not None}

    return make


@pytest.fixture
def demo_premises(app) -> dict:
    """The first demo premises unit, as plain values (id, label, site id)."""
    with app.app_context():
        premises = db.session.scalar(
            sa.select(Premises).where(Premises.is_demo).order_by(Premises.id)
        )
        return {
            "id": premises.id,
            "label": premises.label,
            "site_id": premises.site_id,
            "site_name": premises.site.name,
            "kind": premises.kind.label,
        }


def stored_inquiries(app) -> list[Inquiry]:
    """Every stored inquiry, detached, oldest first."""
    with app.app_context():
        inquiries = db.session.scalars(sa.select(Inquiry).order_by(Inquiry.id)).all()
        db.session.expunge_all()
        return list(inquiries)
