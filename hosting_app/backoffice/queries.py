"""Back-office queries; each returns a Select for the caller to run."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from hosting_app.audit.models import AuditEntry
from hosting_app.auth.models import Organisation, Role, User
from hosting_app.backoffice.models import Event, Photo
from hosting_app.leads.models import Firm, Interaction, Lead
from hosting_app.sites.models import Premises, Site


def editable_sites(user: User) -> sa.Select:
    """The sites a user may edit (every site for an admin), with their premises counts."""
    active = (
        sa.select(sa.func.count())
        .where(Premises.site_id == Site.id, Premises.archived_at.is_(None))
        .scalar_subquery()
    )
    query = sa.select(Site, active.label("premises_count")).options(
        selectinload(Site.operator), selectinload(Site.communes)
    )
    if user.role != Role.ADMIN:
        query = query.where(Site.operator_id == user.organisation_id)
    return query.order_by(Site.name)


def site_premises(site_id: int) -> sa.Select:
    """Every premises of a site, archived ones last."""
    return (
        sa.select(Premises)
        .where(Premises.site_id == site_id)
        .order_by(Premises.archived_at.is_not(None), Premises.label)
    )


def photos_of(*, site_id: int | None = None, premises_id: int | None = None) -> sa.Select:
    """A site's or a premises' photos, in their order."""
    where = Photo.site_id == site_id if site_id is not None else Photo.premises_id == premises_id
    return sa.select(Photo).where(where).order_by(Photo.position, Photo.id)


def _site_entries(site_id: int) -> sa.ColumnElement[bool]:
    """Audit entries about a site, its premises or their photos."""
    premises_ids = sa.select(Premises.id).where(Premises.site_id == site_id)
    photo_ids = sa.select(Photo.id).where(
        sa.or_(Photo.site_id == site_id, Photo.premises_id.in_(premises_ids))
    )
    return sa.or_(
        sa.and_(AuditEntry.entity_type == "site", AuditEntry.entity_id == site_id),
        sa.and_(AuditEntry.entity_type == "premises", AuditEntry.entity_id.in_(premises_ids)),
        sa.and_(AuditEntry.entity_type == "photo", AuditEntry.entity_id.in_(photo_ids)),
    )


def site_history(site_id: int) -> sa.Select:
    """The audit entries of a site, its premises and photos, newest first."""
    return (
        sa.select(AuditEntry)
        .where(_site_entries(site_id))
        .options(selectinload(AuditEntry.user), selectinload(AuditEntry.organisation))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def last_site_change(site_id: int) -> sa.Select:
    """When a site's data last changed, and by which organisation (one row or none)."""
    return (
        sa.select(AuditEntry.at, Organisation.short_name, Organisation.name)
        .outerjoin(Organisation, Organisation.id == AuditEntry.organisation_id)
        .where(_site_entries(site_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )


def upcoming_events(today: date) -> sa.Select:
    """Events not yet over, soonest first."""
    return (
        sa.select(Event)
        .where(sa.func.coalesce(Event.ends_on, Event.starts_on) >= today)
        .options(selectinload(Event.organisations))
        .order_by(Event.starts_on, Event.name)
    )


def events_with_outcomes() -> sa.Select:
    """Every event, newest first, with the leads and interactions it brought."""
    leads = sa.select(sa.func.count()).where(Lead.event_id == Event.id).scalar_subquery()
    interactions = (
        sa.select(sa.func.count()).where(Interaction.event_id == Event.id).scalar_subquery()
    )
    firms = (
        sa.select(sa.func.count(Firm.id))
        .where(
            sa.or_(
                sa.exists()
                .where(Lead.firm_id == Firm.id, Lead.event_id == Event.id)
                .correlate_except(Lead),
                sa.exists()
                .where(Interaction.firm_id == Firm.id, Interaction.event_id == Event.id)
                .correlate_except(Interaction),
            )
        )
        .scalar_subquery()
    )
    return (
        sa.select(Event, leads.label("leads"), interactions.label("interactions"),
                  firms.label("firms"))
        .options(selectinload(Event.organisations))
        .order_by(Event.starts_on.desc(), Event.name)
    )  # fmt: skip


def organisations_for_choice() -> sa.Select:
    """Id and name of every organisation, by name."""
    return sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)
