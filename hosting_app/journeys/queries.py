"""Queries of the journeys feature; each returns a Select."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from hosting_app.journeys.models import LeadStageChange, Occupancy
from hosting_app.journeys.pipeline import OPEN_STAGES
from hosting_app.leads.models import Firm, Lead
from hosting_app.sites.models import Availability, Premises, Site, SiteKind, site_commune

FREE = (Availability.AVAILABLE, Availability.UNDER_CONSTRUCTION)


def offers(
    *,
    kind: str | None,
    surface_min: float | None,
    surface_max: float | None,
    site_kinds: tuple[SiteKind, ...] = (),
    exclude_site_id: int | None = None,
    limit: int = 300,
) -> sa.Select:
    """What matching needs of the free premises worth scoring for a need (columns only, no
    objects): a generous pre-filter on kind and surface (±20 %)."""
    communes = (
        sa.select(sa.func.array_agg(site_commune.c.commune_insee))
        .where(site_commune.c.site_id == Site.id)
        .scalar_subquery()
    )
    query = (
        sa.select(
            Premises.id, Premises.kind, Premises.surface_m2, Premises.rent_eur_m2_year,
            Premises.sale_price_eur_m2, Premises.available_from, Site.target_sectors,
            communes.label("communes"),
        )
        .join(Premises.site)
        .where(Premises.availability.in_(FREE))
        .limit(limit)
    )  # fmt: skip
    if kind:
        query = query.where(Premises.kind == kind)
    if surface_min:
        query = query.where(Premises.surface_m2 >= surface_min * 0.8)
    if surface_max:
        query = query.where(Premises.surface_m2 <= surface_max * 1.2)
    if site_kinds:
        query = query.where(Site.kind.in_(site_kinds))
    if exclude_site_id is not None:
        query = query.where(Site.id != exclude_site_id)
    target = surface_min or surface_max
    closeness = sa.func.abs(Premises.surface_m2 - target) if target else Premises.surface_m2
    return query.order_by(closeness, Premises.id)


def leads_near(kind: str, surface: float) -> sa.Select:
    """What matching needs of the open leads a premises may fit (columns only): same kind or
    none stated, and a surface range that reaches the premises' surface (±20 %)."""
    return (
        sa.select(
            Lead.id, Lead.premises_kind, Lead.surface_min_m2, Lead.surface_max_m2,
            Lead.budget_eur_year, Lead.target_date, Lead.preferred_communes, Firm.sector,
        )
        .join(Firm, Firm.id == Lead.firm_id)
        .where(
            Lead.stage.in_(OPEN_STAGES),
            sa.or_(Lead.premises_kind.is_(None), Lead.premises_kind == kind),
            sa.or_(Lead.surface_min_m2.is_(None), Lead.surface_min_m2 <= surface * 1.2),
            sa.or_(Lead.surface_max_m2.is_(None), Lead.surface_max_m2 >= surface * 0.8),
        )
    )  # fmt: skip


def firm_occupancies(firm_id: int) -> sa.Select:
    """A firm's occupancies, oldest first, with premises and site."""
    return (
        sa.select(Occupancy)
        .where(Occupancy.firm_id == firm_id)
        .options(selectinload(Occupancy.premises).selectinload(Premises.site))
        .order_by(Occupancy.start_date)
    )


def stage_changes(lead_ids: list[int]) -> sa.Select:
    """The stage history of leads, oldest first."""
    return (
        sa.select(LeadStageChange)
        .where(LeadStageChange.lead_id.in_(lead_ids))
        .options(selectinload(LeadStageChange.user))
        .order_by(LeadStageChange.at, LeadStageChange.id)
    )


def incubator_terms(today: date, until: date) -> sa.Select:
    """Current incubator stays whose term falls between today and ``until``."""
    return (
        sa.select(Occupancy)
        .join(Occupancy.premises)
        .join(Premises.site)
        .where(
            Site.kind == SiteKind.INCUBATOR,
            Occupancy.start_date <= today,
            sa.or_(Occupancy.end_date.is_(None), Occupancy.end_date > today),
            Occupancy.term_date.between(today, until),
        )
        .options(
            selectinload(Occupancy.firm),
            selectinload(Occupancy.premises).selectinload(Premises.site),
        )
        .order_by(Occupancy.term_date, Occupancy.id)
    )


def occupancies_of(premises_ids: list[int]) -> sa.Select:
    """Occupancies of some premises."""
    return sa.select(Occupancy).where(Occupancy.premises_id.in_(premises_ids))


def firms_with_occupancies() -> sa.Select:
    """Each firm's occupancies in order, with the site kind: the journeys of the territory."""
    return (
        sa.select(Occupancy.firm_id, Site.kind, Occupancy.start_date, Occupancy.end_date,
                  Occupancy.exit_reason)
        .join(Occupancy.premises)
        .join(Premises.site)
        .join(Firm, Firm.id == Occupancy.firm_id)
        .where(Firm.merged_into_id.is_(None))
        .order_by(Occupancy.firm_id, Occupancy.start_date)
    )  # fmt: skip
