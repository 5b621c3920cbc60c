"""Each database constraint refuses a bad row with an error that names it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from hosting_app.auth.models import Organisation
from hosting_app.sites.models import Premises, Site


def _premises_row(session, **overrides) -> dict:
    site_id = session.scalar(sa.select(Site.id).where(Site.slug == "carre-senart"))
    row = {
        "site_id": site_id,
        "kind": "office",
        "label": "Test 1",
        "surface_m2": 100,
        "availability": "available",
        "description": "",
        "is_demo": True,
    }
    return row | overrides


def _raw_insert(session, table: str, row: dict) -> None:
    """INSERT through plain SQL, so that only the database judges the row."""
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    session.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)


def _site_row(**overrides) -> dict:
    row = {
        "name": "Site de test",
        "slug": "site-de-test",
        "kind": "incubator",
        "status": "existing",
        "position_confidence": "unknown",
        "description": "",
    }
    return row | overrides


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"surface_m2": 0}, "ck_premises_surface_positive"),
        ({"surface_m2": -12}, "ck_premises_surface_positive"),
        ({"rent_eur_m2_year": -1}, "ck_premises_rent_positive"),
        ({"sale_price_eur_m2": 0}, "ck_premises_sale_price_positive"),
        ({"ceiling_height_m": 0}, "ck_premises_ceiling_height_positive"),
        ({"kind": "castle"}, "ck_premises_premises_kind"),
        ({"availability": "maybe"}, "ck_premises_availability"),
        ({"site_id": 999_999}, "fk_premises_site_id_site"),
    ],
)
def test_premises_constraints(session, overrides, constraint):
    row = _premises_row(session, **overrides)
    with pytest.raises(IntegrityError, match=constraint):
        _raw_insert(session, "premises", row)


def test_premises_label_is_unique_within_a_site(session):
    session.execute(sa.insert(Premises.__table__).values(_premises_row(session)))
    with pytest.raises(IntegrityError, match="uq_premises_site_label"):
        session.execute(sa.insert(Premises.__table__).values(_premises_row(session)))


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"slug": "Pas Un Slug"}, "ck_site_slug_format"),
        ({"slug": "carre-senart"}, "uq_site_slug"),
        ({"kind": "castle"}, "ck_site_site_kind"),
        ({"status": "dreamt"}, "ck_site_site_status"),
        (
            {"position_confidence": "sure", "point": "SRID=4326;POINT(2.5 48.6)"},
            "ck_site_position_confidence",
        ),
        ({"total_area_ha": 0}, "ck_site_area_positive"),
        ({"total_area_ha": 10, "saleable_area_ha": 12}, "ck_site_saleable_area_within_total"),
        ({"target_sectors": ["aeronautics", "casinos"]}, "ck_site_known_sectors"),
        ({"position_confidence": "high"}, "ck_site_located_unless_unknown"),
    ],
)
def test_site_constraints(session, overrides, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        _raw_insert(session, "site", _site_row(**overrides))


def test_site_geometry_must_be_wgs84_of_the_right_type(session):
    row = _site_row(position_confidence="high")
    with pytest.raises(DBAPIError, match="SRID"):
        session.execute(
            sa.insert(Site.__table__).values(row | {"point": "SRID=2154;POINT(660000 6830000)"})
        )
    session.rollback()
    with pytest.raises(DBAPIError, match="(?i)geometry type"):
        session.execute(
            sa.insert(Site.__table__).values(row | {"point": "SRID=4326;LINESTRING(2 48, 3 49)"})
        )


def test_organisation_siren_is_checked(session):
    with pytest.raises(IntegrityError, match="ck_organisation_siren_format"):
        session.execute(
            sa.insert(Organisation.__table__).values(
                key="test_org", name="Test", short_name="T", kind="syndicate", siren="12345"
            )
        )
    session.rollback()
    with pytest.raises(ValueError, match="SIREN invalide"):
        Organisation(key="t", name="T", short_name="T", kind="state", siren="123456789")


def test_user_email_is_unique_and_lowercase(session, make_user):
    from hosting_app.auth.models import User

    make_user("developer", email="dev@example.fr")
    org_id = session.scalar(sa.select(Organisation.id).where(Organisation.key == "camvs"))
    row = {
        "email": "dev@example.fr",
        "full_name": "",
        "password_hash": "x",
        "organisation_id": org_id,
        "role": "developer",
    }
    with pytest.raises(IntegrityError, match="uq_app_user_email"):
        session.execute(sa.insert(User.__table__).values(row))
    session.rollback()
    with pytest.raises(IntegrityError, match="ck_app_user_email_lowercase"):
        session.execute(sa.insert(User.__table__).values(row | {"email": "Other@Example.fr"}))
    session.rollback()
    with pytest.raises(IntegrityError, match="ck_app_user_user_role"):
        _raw_insert(session, "app_user", row | {"email": "x@y.fr", "role": "king"})
