"""The inquiry table's constraints and the service that records an inquiry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hosting_app.inquiries.forms import normalise_phone, normalise_siret
from hosting_app.inquiries.models import Inquiry, InquiryStatus
from hosting_app.inquiries.services import create_inquiry
from hosting_app.sites.models import Premises


def _row(**overrides) -> dict:
    row = {
        "contact_name": "Camille Durand",
        "firm_name": "Atelier Durand",
        "email": "c@example.fr",
        "message": "Bonjour",
        "consent_at": datetime.now(UTC),
        "status": "new",
    }
    return row | overrides


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"siret": "7328293200007"}, "ck_inquiry_siret_format"),
        ({"siret": "7328293200007A"}, "ck_inquiry_siret_format"),
        ({"email": "no-at-sign"}, "ck_inquiry_email_format"),
        ({"surface_min_m2": 0}, "ck_inquiry_surface_min_positive"),
        ({"surface_max_m2": -3}, "ck_inquiry_surface_max_positive"),
        ({"surface_min_m2": 500, "surface_max_m2": 100}, "ck_inquiry_surface_range"),
        ({"status": "handled"}, "ck_inquiry_handled_at_when_handled"),
        ({"status": "lost"}, "ck_inquiry_inquiry_status"),
        ({"premises_kind": "castle"}, "ck_inquiry_premises_kind"),
        ({"site_id": 999_999}, "fk_inquiry_site_id_site"),
    ],
)
def test_inquiry_constraints(session, overrides, constraint):
    row = _row(**overrides)
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    with pytest.raises(IntegrityError, match=constraint):
        session.execute(sa.text(f"INSERT INTO inquiry ({columns}) VALUES ({values})"), row)


def test_consent_time_is_required(session):
    with pytest.raises(IntegrityError, match="consent_at"):
        session.execute(sa.insert(Inquiry.__table__).values(_row(consent_at=None)))


def test_create_inquiry_takes_the_site_of_the_premises(session):
    premises = session.scalar(sa.select(Premises).order_by(Premises.id))
    inquiry = create_inquiry(
        session,
        premises=premises,
        contact_name="A",
        firm_name="B",
        email="a@b.fr",
        message="Bonjour",
    )
    assert inquiry.id is not None
    assert inquiry.site_id == premises.site_id
    assert inquiry.status == InquiryStatus.NEW
    assert inquiry.consent_at is not None


def test_deleting_a_premises_keeps_its_inquiries(session):
    premises = session.scalar(sa.select(Premises).order_by(Premises.id.desc()))
    inquiry = create_inquiry(
        session,
        premises=premises,
        contact_name="A",
        firm_name="B",
        email="a@b.fr",
        message="Bonjour",
    )
    session.delete(premises)
    session.flush()
    session.expire(inquiry)
    assert inquiry.premises_id is None
    assert inquiry.site_id is not None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("732 829 320 00074", "73282932000074"), ("35600000000048", "35600000000048")],
)
def test_siret_is_stored_as_14_digits(typed, stored):
    assert normalise_siret(typed) == stored


@pytest.mark.parametrize("typed", ["73282932000075", "1234", "ABCDEFGHIJKLMN", "35600000000049"])
def test_bad_siret_is_refused_in_french(typed):
    with pytest.raises(ValueError, match="^SIRET invalide : "):
        normalise_siret(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01 64 10 20 30", "+33164102030"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+32 2 555 12 12", "+3225551212"),
    ],
)
def test_phone_is_stored_in_e164(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12", "01 23", "téléphone", "+33 1 23"])
def test_bad_phone_is_refused_in_french(typed):
    with pytest.raises(ValueError, match="^Numéro de téléphone invalide"):
        normalise_phone(typed)
