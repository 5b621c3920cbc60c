"""Occupancies, pipeline moves, matching and proposals; each flushes, the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import record
from hosting_app.auth.models import User
from hosting_app.journeys import matching, pipeline, queries
from hosting_app.journeys.models import ExitReason, LeadStageChange, Occupancy
from hosting_app.leads.models import Channel, Firm, Interaction, Lead, LeadStage
from hosting_app.sites.models import Availability, Premises, SiteKind
from hosting_app.templating import number_fr

NEXT_STEP_KINDS = (
    SiteKind.BUSINESS_HOTEL, SiteKind.ACTIVITY_ZONE, SiteKind.ECO_PARK, SiteKind.SERVICES_HUB,
    SiteKind.CRAFT_VILLAGE, SiteKind.AERO_PARK,
)  # fmt: skip


class OccupancyRefused(ValueError):
    """An occupancy the rules or the database refuse, with a French message."""


# --- Occupancies and availability ---------------------------------------------------------


def refresh_availability(session: Session, premises_ids: list[int], today: date) -> None:
    """Make each premises' availability agree with its occupancies on ``today``.

    Occupied while an occupancy covers today (free again at its end or term); reserved while
    one is to come; otherwise an « occupied » premises becomes available. Units marked
    available, under construction or reserved by hand without occupancy are left as they are.
    """
    by_premises: dict[int, list[Occupancy]] = {i: [] for i in premises_ids}
    for occupancy in session.scalars(queries.occupancies_of(premises_ids)):
        by_premises[occupancy.premises_id].append(occupancy)
    for premises_id, occupancies in by_premises.items():
        premises = session.get(Premises, premises_id)
        current = next(
            (o for o in occupancies
             if o.start_date <= today and (o.end_date is None or o.end_date > today)), None,
        )  # fmt: skip
        future = [o for o in occupancies if o.start_date > today]
        if current is not None:
            premises.availability = Availability.OCCUPIED
            premises.available_from = current.end_date or current.term_date
        elif future:
            premises.availability = Availability.RESERVED
            premises.available_from = None
        elif premises.availability == Availability.OCCUPIED:
            ended = [o.end_date for o in occupancies if o.end_date is not None]
            premises.availability = Availability.AVAILABLE
            premises.available_from = max(ended) if ended else today
    session.flush()


def start_occupancy(
    session: Session,
    *,
    user: User | None,
    firm: Firm,
    premises: Premises,
    start_date: date,
    term_date: date | None = None,
    jobs: int | None = None,
    today: date,
) -> Occupancy:
    """A firm moves into a premises; refused when the premises is taken over those dates."""
    occupancy = Occupancy(firm_id=firm.id, premises_id=premises.id, start_date=start_date,
                          term_date=term_date, jobs=jobs)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(occupancy)
            session.flush()
    except IntegrityError as error:  # the savepoint's rollback discarded the new row
        if "ex_occupancy_no_overlap" in str(error.orig):
            raise OccupancyRefused(
                f"Le local « {premises.label} » est déjà occupé sur cette période."
            ) from error
        raise OccupancyRefused("Dates incohérentes (la fin doit suivre le début).") from error
    refresh_availability(session, [premises.id], today)
    record(
        session,
        user=user,
        action=AuditAction.CREATE,
        entity_type="occupancy",
        entity_id=occupancy.id,
        details={"firm_id": firm.id, "premises_id": premises.id},
    )
    return occupancy


def end_occupancy(
    session: Session,
    *,
    user: User | None,
    occupancy: Occupancy,
    end_date: date,
    reason: ExitReason,
    next_premises: Premises | None = None,
    note: str | None = None,
    today: date,
) -> Occupancy | None:
    """A firm leaves; when it moves to another premises here, the next occupancy starts."""
    if end_date <= occupancy.start_date:
        raise OccupancyRefused("La date de départ doit suivre la date d'arrivée.")
    if reason == ExitReason.MOVED_HERE and next_premises is None:
        raise OccupancyRefused("Indiquez le local où l'entreprise s'installe.")
    occupancy.end_date = end_date
    occupancy.exit_reason = reason
    occupancy.destination_note = note
    session.flush()
    following = None
    if next_premises is not None:
        following = start_occupancy(
            session, user=user, firm=occupancy.firm, premises=next_premises,
            start_date=end_date, today=today,
        )  # fmt: skip
        occupancy.next_occupancy_id = following.id
        # The firm is installed: its leads waiting on a proposal are won.
        for lead in session.scalars(
            sa.select(Lead).where(Lead.firm_id == occupancy.firm_id,
                                  Lead.stage == LeadStage.PROPOSAL)
        ):  # fmt: skip
            move_lead(session, user=user, lead=lead, target=LeadStage.WON, reason=None)
    refresh_availability(session, [occupancy.premises_id], today)
    record(session, user=user, action=AuditAction.UPDATE, entity_type="occupancy",
           entity_id=occupancy.id, changes={"end_date": (None, end_date),
                                            "exit_reason": (None, reason)})  # fmt: skip
    return following


# --- Pipeline -------------------------------------------------------------------------------


def move_lead(
    session: Session, *, user: User | None, lead: Lead, target: LeadStage, reason: str | None
) -> LeadStageChange:
    """Move a lead to another stage, if the pipeline allows it; the history keeps the move."""
    pipeline.check_transition(lead.stage, target, reason=reason)
    change = LeadStageChange(lead_id=lead.id, from_stage=lead.stage, to_stage=target,
                             reason=(reason or "").strip() or None,
                             user_id=user.id if user else None)  # fmt: skip
    before = lead.stage
    lead.stage = target
    session.add(change)
    session.flush()
    record(
        session,
        user=user,
        action=AuditAction.UPDATE,
        entity_type="lead",
        entity_id=lead.id,
        changes={"stage": (before, target)},
        details={"reason": change.reason},
    )
    return change


# --- Matching ------------------------------------------------------------------------------


@dataclass
class Suggestion:
    """A premises and how it fits."""

    premises: Premises
    fit: matching.Fit


def need_of(lead: Lead) -> matching.Need:
    """The matching view of a lead."""
    return matching.Need(
        kind=lead.premises_kind.value if lead.premises_kind else None,
        surface_min=float(lead.surface_min_m2) if lead.surface_min_m2 else None,
        surface_max=float(lead.surface_max_m2) if lead.surface_max_m2 else None,
        budget_eur_year=float(lead.budget_eur_year) if lead.budget_eur_year else None,
        target_date=lead.target_date,
        sector=lead.firm.sector,
        communes=frozenset(lead.preferred_communes or ()),
    )


def _offer(row) -> matching.Offer:
    premises_id, kind, surface, rent, sale, available_from, sectors, communes = row
    return matching.Offer(
        premises_id=premises_id,
        kind=kind.value,
        surface=float(surface),
        rent_eur_m2_year=float(rent) if rent else None,
        sale_price_eur_m2=float(sale) if sale else None,
        available_from=available_from,
        site_sectors=frozenset(sectors or ()),
        site_communes=frozenset(communes or ()),
    )


def suggest(
    session: Session,
    need: matching.Need,
    *,
    today: date,
    limit: int = 10,
    site_kinds: tuple[SiteKind, ...] = (),
    exclude_site_id: int | None = None,
) -> list[Suggestion]:
    """Free premises ranked by fit with the need, with the reasons."""
    rows = session.execute(
        queries.offers(kind=need.kind, surface_min=need.surface_min, surface_max=need.surface_max,
                       site_kinds=site_kinds, exclude_site_id=exclude_site_id)
    ).all()  # fmt: skip
    fits = matching.rank(need, [_offer(row) for row in rows], today=today, limit=limit)
    ids = [f.premises_id for f in fits]
    loaded = {
        p.id: p
        for p in session.scalars(
            sa.select(Premises).where(Premises.id.in_(ids)).options(selectinload(Premises.site))
        )
    }
    return [Suggestion(loaded[f.premises_id], f) for f in fits]


def _need(row) -> matching.Need:
    _, kind, low, high, budget, target, communes, sector = row
    return matching.Need(
        kind=kind.value if kind else None,
        surface_min=float(low) if low else None,
        surface_max=float(high) if high else None,
        budget_eur_year=float(budget) if budget else None,
        target_date=target,
        sector=sector,
        communes=frozenset(communes or ()),
    )


def leads_for(session: Session, premises: Premises, *, today: date, limit: int = 20):
    """The open leads a premises fits, best first: [(lead, fit)]."""
    offer = _offer((
        premises.id, premises.kind, premises.surface_m2, premises.rent_eur_m2_year,
        premises.sale_price_eur_m2, premises.available_from, premises.site.target_sectors,
        [c.insee for c in premises.site.communes],
    ))  # fmt: skip
    rows = session.execute(queries.leads_near(premises.kind, float(premises.surface_m2))).all()
    scored = [(row[0], matching.fit(_need(row), offer, today=today)) for row in rows]
    scored = sorted(((i, f) for i, f in scored if f.score > 0), key=lambda p: (-p[1].score, p[0]))
    top = scored[:limit]
    leads = {
        lead.id: lead
        for lead in session.scalars(
            sa.select(Lead)
            .where(Lead.id.in_([i for i, _ in top]))
            .options(selectinload(Lead.firm), selectinload(Lead.owner_organisation))
        )
    }
    return [(leads[i], f) for i, f in top]


def send_proposal(
    session: Session, *, user: User, lead: Lead, premises: list[Premises], today: date
) -> Interaction:
    """Record the proposal on the shared timeline and move the lead to « proposition »."""
    if not premises:
        raise ValueError("Choisissez au moins un local à proposer.")
    listed = "; ".join(f"{p.label} ({p.site.name}, {number_fr(p.surface_m2)} m²)" for p in premises)
    interaction = Interaction(
        firm_id=lead.firm_id, lead_id=lead.id, occurred_on=today, channel=Channel.EMAIL,
        organisation_id=user.organisation_id, author_id=user.id,
        summary=f"Proposition de locaux envoyée : {listed}.",
    )  # fmt: skip
    session.add(interaction)
    if LeadStage.PROPOSAL in pipeline.TRANSITIONS[lead.stage]:
        move_lead(session, user=user, lead=lead, target=LeadStage.PROPOSAL, reason=None)
    session.flush()
    return interaction


def incubator_alerts(session: Session, *, today: date, until: date) -> list[tuple]:
    """Incubator stays ending by ``until``, each with up to three suggested next premises."""
    alerts = []
    for occupancy in session.scalars(queries.incubator_terms(today, until)):
        current = float(occupancy.premises.surface_m2)
        need = matching.Need(
            surface_min=current, surface_max=max(current * 3, current + 100),
            target_date=occupancy.term_date, sector=occupancy.firm.sector,
        )  # fmt: skip
        # The next step of the parcours first: business hotels, then the other sites.
        suggestions = suggest(session, need, today=today, limit=3,
                              site_kinds=(SiteKind.BUSINESS_HOTEL,))  # fmt: skip
        if len(suggestions) < 3:
            others = suggest(session, need, today=today, limit=3, site_kinds=NEXT_STEP_KINDS[1:])
            suggestions += others[: 3 - len(suggestions)]
        alerts.append((occupancy, suggestions))
    return alerts


def stage_history(session: Session, lead_ids: list[int]) -> dict[int, list[LeadStageChange]]:
    """Stage changes per lead."""
    history: dict[int, list[LeadStageChange]] = {i: [] for i in lead_ids}
    for change in session.scalars(queries.stage_changes(lead_ids)):
        history[change.lead_id].append(change)
    return history


def firm_timeline(session: Session, firm: Firm) -> list[tuple[date, str, object]]:
    """A firm's journey: occupancies, lead stage changes and interactions, newest first."""
    from hosting_app.leads.queries import timeline as interactions

    items: list[tuple[date, str, object]] = []
    for occupancy in session.scalars(queries.firm_occupancies(firm.id)):
        items.append((occupancy.start_date, "arrival", occupancy))
        if occupancy.end_date:
            items.append((occupancy.end_date, "departure", occupancy))
    leads = session.scalars(sa.select(Lead).where(Lead.firm_id == firm.id)).all()
    for changes in stage_history(session, [lead.id for lead in leads]).values():
        items += [(change.at.date(), "stage", change) for change in changes]
    items += [(i.occurred_on, "interaction", i) for i in session.scalars(interactions(firm.id))]
    return sorted(items, key=lambda item: item[0], reverse=True)


def propose_next_premises(
    session: Session, *, user: User, occupancy: Occupancy, premises: list[Premises], today: date
) -> Lead:
    """From an incubator alert: the firm's open lead in the user's organisation (created when
    there is none, sized on its current premises) gets a proposal of ``premises``."""
    from hosting_app.leads.models import LeadSource

    lead = session.scalar(
        sa.select(Lead)
        .where(
            Lead.firm_id == occupancy.firm_id,
            Lead.owner_organisation_id == user.organisation_id,
            Lead.stage.in_(pipeline.OPEN_STAGES),
        )
        .order_by(Lead.id)
    )
    if lead is None:
        current = occupancy.premises
        lead = Lead(
            firm_id=occupancy.firm_id, owner_organisation_id=user.organisation_id,
            title="Sortie de pépinière", source=LeadSource.OTHER, stage=LeadStage.QUALIFIED,
            premises_kind=current.kind, surface_min_m2=current.surface_m2,
            surface_max_m2=current.surface_m2 * 3, target_date=occupancy.term_date,
        )  # fmt: skip
        session.add(lead)
        session.flush()
        record(session, user=user, action=AuditAction.CREATE, entity_type="lead",
               entity_id=lead.id, details={"from_incubator_alert": occupancy.id})  # fmt: skip
    send_proposal(session, user=user, lead=lead, premises=premises, today=today)
    return lead
