"""Retention: the contact persons and inquiries whose last contact is older than the period.

- A contact person's last activity is the latest of its own creation and update and of the
  interactions logged on its firm (``Interaction.occurred_on``; an interaction names a firm,
  not a person). Past the period the person is deleted.
- An inquiry's last activity is the latest of its creation, update and handling and, when it
  became a lead, of the interactions on that lead's firm. Past the period its personal fields
  (name, e-mail, phone, message) are erased; the firm, the need and the dates stay for the
  figures. Inquiries already erased are left alone.

In both cases the person's values also leave the audit snapshots and the CRM's free texts
(services.erase).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.auth.models import User
from hosting_app.inquiries.models import Inquiry
from hosting_app.leads.models import ContactPerson, Firm, Interaction, Lead
from hosting_app.privacy import services
from hosting_app.privacy.notice import ERASED_EMAIL, RETENTION_YEARS


def cutoff(years: int = RETENTION_YEARS, now: datetime | None = None) -> datetime:
    """The instant ``years`` years before ``now`` (28 February for a 29 February)."""
    now = now or datetime.now(UTC)
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _as_time(day) -> sa.ColumnElement:
    return sa.cast(day, sa.DateTime(timezone=True))


def contact_activity() -> sa.Select:
    """Each contact person with its firm's name and its last activity."""
    last_interaction = (
        sa.select(sa.func.max(Interaction.occurred_on))
        .where(Interaction.firm_id == ContactPerson.firm_id)
        .correlate(ContactPerson)
        .scalar_subquery()
    )
    last = sa.func.greatest(
        ContactPerson.created_at, ContactPerson.updated_at, _as_time(last_interaction)
    ).label("last_activity")
    return sa.select(ContactPerson, Firm.name.label("firm_name"), last).join(
        Firm, Firm.id == ContactPerson.firm_id
    )


def inquiry_activity() -> sa.Select:
    """Each inquiry not yet erased, with its last activity."""
    last_interaction = (
        sa.select(sa.func.max(Interaction.occurred_on))
        .join(Lead, Lead.firm_id == Interaction.firm_id)
        .where(Lead.inquiry_id == Inquiry.id)
        .correlate(Inquiry)
        .scalar_subquery()
    )
    last = sa.func.greatest(
        Inquiry.created_at, Inquiry.updated_at, Inquiry.handled_at, _as_time(last_interaction)
    ).label("last_activity")
    return sa.select(Inquiry, last).where(Inquiry.email != ERASED_EMAIL)


@dataclass(frozen=True)
class Stale:
    """A record past the retention period."""

    id: int
    firm: str
    last_activity: date
    firm_id: int | None = None


@dataclass
class PurgePlan:
    """What a purge deletes or erases, computed without writing anything."""

    years: int
    cutoff: datetime
    contacts: list[Stale]
    inquiries: list[Stale]


def plan(
    session: Session, *, years: int = RETENTION_YEARS, now: datetime | None = None
) -> PurgePlan:
    """The contact persons and inquiries whose last activity is before the cutoff."""
    limit = cutoff(years, now)
    people = contact_activity().subquery()
    contacts = session.execute(
        sa.select(people).where(people.c.last_activity < limit).order_by(people.c.id)
    ).all()
    requests = inquiry_activity().subquery()
    inquiries = session.execute(
        sa.select(requests).where(requests.c.last_activity < limit).order_by(requests.c.id)
    ).all()
    return PurgePlan(
        years=years,
        cutoff=limit,
        contacts=[
            Stale(id=r.id, firm=r.firm_name, firm_id=r.firm_id, last_activity=_day(r))
            for r in contacts
        ],
        inquiries=[Stale(id=r.id, firm=r.firm_name, last_activity=_day(r)) for r in inquiries],
    )


def _day(row) -> date:
    return row.last_activity.astimezone(UTC).date()


def purge(
    session: Session, purge_plan: PurgePlan, *, user: User | None = None
) -> services.ErasureResult:
    """Delete the stale contact persons and erase the stale inquiries of ``purge_plan``
    (one audit entry each, with the last activity and no personal value)."""
    contacts = session.scalars(
        sa.select(ContactPerson).where(ContactPerson.id.in_([s.id for s in purge_plan.contacts]))
    ).all()
    inquiries = session.scalars(
        sa.select(Inquiry).where(Inquiry.id.in_([s.id for s in purge_plan.inquiries]))
    ).all()
    facts = {
        (table, s.id): {"last_activity": s.last_activity, "retention_years": purge_plan.years}
        for table, stale in (("contact_person", purge_plan.contacts),
                             ("inquiry", purge_plan.inquiries))
        for s in stale
    }  # fmt: skip
    return services.erase(
        session, contacts=list(contacts), inquiries=list(inquiries),
        reason=services.RETENTION, user=user, details=facts,
    )  # fmt: skip
