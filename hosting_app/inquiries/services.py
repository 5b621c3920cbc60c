"""Inquiry operations; they flush, the caller commits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from hosting_app.auth.models import User
from hosting_app.inquiries.models import Inquiry, InquiryStatus
from hosting_app.sites.models import Premises, PremisesKind, Site


def create_inquiry(
    session: Session,
    *,
    contact_name: str,
    firm_name: str,
    email: str,
    message: str,
    site: Site | None = None,
    premises: Premises | None = None,
    siret: str | None = None,
    phone: str | None = None,
    premises_kind: PremisesKind | None = None,
    surface_min_m2: int | None = None,
    surface_max_m2: int | None = None,
    wanted_from: date | None = None,
    consent_at: datetime | None = None,
) -> Inquiry:
    """Record an inquiry; a premises implies its site. Consent is given now unless said."""
    if premises is not None:
        site = premises.site
    inquiry = Inquiry(
        site=site,
        premises=premises,
        contact_name=contact_name,
        firm_name=firm_name,
        siret=siret or None,
        email=email,
        phone=phone or None,
        premises_kind=premises_kind,
        surface_min_m2=surface_min_m2,
        surface_max_m2=surface_max_m2,
        wanted_from=wanted_from,
        message=message,
        consent_at=consent_at or datetime.now(UTC),
        status=InquiryStatus.NEW,
    )
    session.add(inquiry)
    session.flush()
    return inquiry


def mark_handled(session: Session, *, inquiry: Inquiry, user: User) -> bool:
    """Mark an inquiry handled by ``user``; False when it already was (first handling kept)."""
    if inquiry.status == InquiryStatus.HANDLED:
        return False
    inquiry.status = InquiryStatus.HANDLED
    inquiry.handled_at = datetime.now(UTC)
    inquiry.handled_by = user
    session.flush()
    return True
