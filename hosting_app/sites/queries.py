"""Queries on sites and premises; each returns a Select for the caller to run."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from hosting_app.sites.models import Availability, Premises, Site


def sites_for_home() -> sa.Select:
    """Every site with its communes and operator."""
    return (
        sa.select(Site)
        .options(selectinload(Site.communes), selectinload(Site.operator))
        .order_by(Site.name)
    )


def available_premises_counts() -> sa.Select:
    """Number of available premises per site id."""
    return (
        sa.select(Premises.site_id, sa.func.count())
        .where(Premises.availability == Availability.AVAILABLE)
        .group_by(Premises.site_id)
    )


def site_by_slug(slug: str) -> sa.Select:
    """One site with what its page shows."""
    return (
        sa.select(Site)
        .where(Site.slug == slug)
        .options(
            selectinload(Site.communes),
            selectinload(Site.operator),
            selectinload(Site.accesses),
            selectinload(Site.premises),
        )
    )


def site_coordinates(site_id: int) -> sa.Select:
    """Latitude and longitude of a site's point, or of its perimeter's point on surface."""
    where = sa.func.coalesce(Site.point, sa.func.ST_PointOnSurface(Site.perimeter))
    return sa.select(sa.func.ST_Y(where), sa.func.ST_X(where)).where(Site.id == site_id)
