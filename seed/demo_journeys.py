"""Demo occupancies: a fictitious firm in each demo premises marked occupied, flagged demo.

Incubator stays get a 36-month term; one of them ends about three months after the day of
seeding, so that the incubator alerts have something to show. Dates are relative to that day.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.journeys.models import Occupancy
from hosting_app.journeys.services import refresh_availability
from hosting_app.leads.dedup import normalise_name
from hosting_app.leads.models import Firm
from hosting_app.sites.models import Availability, Premises, Site, SiteKind

INCUBATOR_TERM_DAYS = 36 * 30


def load(session: Session, today: date) -> int:
    """Write the demo firms and occupancies; return how many occupancies there are."""
    occupied = session.execute(
        sa.select(Premises, Site)
        .join(Premises.site)
        .where(Premises.is_demo.is_(True), Premises.availability == Availability.OCCUPIED)
        .order_by(Premises.id)
    ).all()
    firms = {f.name: f for f in session.scalars(sa.select(Firm).where(Firm.is_demo.is_(True)))}
    existing = {
        o.premises_id: o
        for o in session.scalars(sa.select(Occupancy).where(Occupancy.is_demo.is_(True)))
    }
    first_incubator = True
    for number, (premises, site) in enumerate(occupied, start=1):
        name = f"Entreprise fictive n° {number}"
        firm = firms.get(name)
        if firm is None:
            firm = Firm(name=name, name_normalised=normalise_name(name), is_demo=True)
            session.add(firm)
            session.flush()
        if site.kind is SiteKind.INCUBATOR:
            days_left = 90 if first_incubator else 200 + 97 * number % 700
            first_incubator = False
            term = today + timedelta(days=days_left)
            start = term - timedelta(days=INCUBATOR_TERM_DAYS)
        else:
            start, term = today - timedelta(days=100 + 37 * number % 1500), None
        occupancy = existing.get(premises.id)
        if occupancy is None:
            session.add(Occupancy(firm_id=firm.id, premises_id=premises.id, start_date=start,
                                  term_date=term, is_demo=True))  # fmt: skip
        elif (occupancy.start_date, occupancy.term_date) != (start, term):
            occupancy.start_date, occupancy.term_date = start, term
    session.flush()
    refresh_availability(session, [p.id for p, _ in occupied], today)
    return len(occupied)
