"""Queries on inquiries and on what they are about; each returns a Select."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from hosting_app.auth.models import User
from hosting_app.inquiries.models import Inquiry
from hosting_app.sites.models import Premises, Site


def inquiries_newest_first() -> sa.Select:
    """Every inquiry, newest first, with its site, premises and who handled it."""
    return (
        sa.select(Inquiry)
        .options(
            selectinload(Inquiry.site),
            selectinload(Inquiry.premises),
            selectinload(Inquiry.handled_by).selectinload(User.organisation),
        )
        .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
    )


def site_by_slug(slug: str) -> sa.Select:
    """The site an inquiry is about."""
    return sa.select(Site).where(Site.slug == slug)


def premises_by_id(premises_id: int) -> sa.Select:
    """The premises unit an inquiry is about, with its site."""
    return sa.select(Premises).where(Premises.id == premises_id).options(joinedload(Premises.site))
