"""Occupancies on real PostGIS: no overlap, availability follows them, journeys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hosting_app.journeys import services
from hosting_app.journeys.models import ExitReason, Occupancy
from hosting_app.leads import services as crm
from hosting_app.sites.models import Availability, Premises

TODAY = date(2027, 1, 15)


@pytest.fixture
def firm(session, senart_dev):
    return crm.create_firm(session, user=senart_dev, data={"name": "Parcours Test SAS"})


def test_database_refuses_overlapping_occupancies(session, lab, firm):
    premises = lab.premises["near"]
    insert = sa.text("INSERT INTO occupancy (firm_id, premises_id, start_date, end_date) "
                     "VALUES (:f, :p, :s, :e)")  # fmt: skip
    session.execute(insert, {"f": firm.id, "p": premises.id, "s": date(2026, 1, 1),
                             "e": date(2026, 7, 1)})  # fmt: skip
    # Back to back is fine (ranges are [start, end)).
    session.execute(insert, {"f": firm.id, "p": premises.id, "s": date(2026, 7, 1), "e": None})
    with pytest.raises(IntegrityError, match="ex_occupancy_no_overlap"):
        session.execute(insert, {"f": firm.id, "p": premises.id, "s": date(2026, 6, 30),
                                 "e": date(2026, 7, 2)})  # fmt: skip


def test_service_explains_an_overlap(session, lab, firm, senart_dev):
    premises = lab.premises["near"]
    services.start_occupancy(session, user=senart_dev, firm=firm, premises=premises,
                             start_date=date(2026, 1, 1), today=TODAY)  # fmt: skip
    with pytest.raises(services.OccupancyRefused, match="déjà occupé"):
        services.start_occupancy(session, user=senart_dev, firm=firm, premises=premises,
                                 start_date=date(2026, 6, 1), today=TODAY)  # fmt: skip
    assert (
        session.scalar(sa.select(sa.func.count()).where(Occupancy.premises_id == premises.id)) == 1
    )


def test_availability_follows_occupancies(session, lab, firm, senart_dev):
    premises = lab.premises["near"]
    assert premises.availability is Availability.AVAILABLE
    stay = services.start_occupancy(
        session, user=senart_dev, firm=firm, premises=premises, start_date=TODAY,
        term_date=TODAY + timedelta(days=700), today=TODAY,
    )  # fmt: skip
    assert premises.availability is Availability.OCCUPIED
    assert premises.available_from == TODAY + timedelta(days=700)
    later = lab.premises["office"]
    services.start_occupancy(session, user=senart_dev, firm=firm, premises=later,
                             start_date=TODAY + timedelta(days=30), today=TODAY)  # fmt: skip
    assert later.availability is Availability.RESERVED
    services.end_occupancy(session, user=senart_dev, occupancy=stay,
                           end_date=TODAY + timedelta(days=10), reason=ExitReason.CLOSED,
                           today=TODAY + timedelta(days=10))  # fmt: skip
    assert premises.availability is Availability.AVAILABLE
    assert premises.available_from == TODAY + timedelta(days=10)


def test_moving_on_links_the_next_occupancy(session, lab, firm, senart_dev):
    first = services.start_occupancy(session, user=senart_dev, firm=firm,
                                     premises=lab.premises["office"], start_date=date(2025, 1, 1),
                                     today=TODAY)  # fmt: skip
    following = services.end_occupancy(
        session, user=senart_dev, occupancy=first, end_date=date(2026, 12, 1),
        reason=ExitReason.MOVED_HERE, next_premises=lab.premises["near"], today=TODAY,
    )  # fmt: skip
    assert first.next_occupancy_id == following.id
    assert following.start_date == date(2026, 12, 1)
    assert session.get(Premises, lab.premises["near"].id).availability is Availability.OCCUPIED
    assert session.get(Premises, lab.premises["office"].id).availability is Availability.AVAILABLE
    with pytest.raises(services.OccupancyRefused, match="Indiquez le local"):
        services.end_occupancy(session, user=senart_dev, occupancy=following,
                               end_date=date(2027, 1, 1), reason=ExitReason.MOVED_HERE,
                               today=TODAY)  # fmt: skip
