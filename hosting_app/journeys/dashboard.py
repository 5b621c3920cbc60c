"""The Pacte's dashboard (tableau de bord): each figure as rows, for a chart and a CSV file."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.auth.models import Organisation
from hosting_app.journeys import pipeline, queries
from hosting_app.journeys.models import LeadStageChange
from hosting_app.leads.models import Lead, LeadSource, LeadStage
from hosting_app.sites.models import Availability, Premises, Site, SiteKind


@dataclass
class Figure:
    """A table of figures: a title, column headers and rows (the CSV file is the same)."""

    key: str
    title: str
    headers: list[str]
    rows: list[list]
    chart_column: int | None = None  # the numeric column drawn as bars


def leads_by_month(session: Session) -> Figure:
    """New leads per month and source."""
    month = sa.func.to_char(Lead.created_at, "YYYY-MM")
    rows = session.execute(
        sa.select(month, Lead.source, sa.func.count()).group_by(month, Lead.source).order_by(month)
    ).all()
    return Figure("projets-par-mois", "Nouveaux projets par mois et origine",
                  ["mois", "origine", "projets"],
                  [[m, LeadSource(s).label, n] for m, s, n in rows], chart_column=2)  # fmt: skip


def leads_by_organisation(session: Session) -> Figure:
    """Leads per owner organisation."""
    rows = session.execute(
        sa.select(Organisation.short_name, sa.func.count())
        .join(Lead, Lead.owner_organisation_id == Organisation.id)
        .group_by(Organisation.short_name)
        .order_by(sa.func.count().desc(), Organisation.short_name)
    ).all()
    return Figure("projets-par-organisation", "Projets par organisation",
                  ["organisation", "projets"], [list(r) for r in rows], chart_column=1)  # fmt: skip


def funnel(session: Session) -> Figure:
    """How many leads reached each stage of the funnel."""
    leads = session.execute(sa.select(Lead.id, Lead.stage)).all()
    history: dict[int, list[LeadStage]] = defaultdict(list)
    for lead_id, from_stage, to_stage in session.execute(
        sa.select(LeadStageChange.lead_id, LeadStageChange.from_stage, LeadStageChange.to_stage)
    ):
        history[lead_id] += [s for s in (from_stage, to_stage) if s is not None]
    counts: Counter = Counter()
    for lead_id, stage in leads:
        counts.update(pipeline.reached(stage, history[lead_id]))
    total = len(leads) or 1
    rows = [[s.label, counts[s], f"{100 * counts[s] / total:.0f} %"] for s in pipeline.FUNNEL]
    return Figure(
        "entonnoir", "Entonnoir de conversion", ["étape", "projets", "part"], rows, chart_column=1
    )


def installations(session: Session) -> Figure:
    """Leads won (firms installed) and the jobs they announced."""
    won, jobs = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Lead.jobs_planned), 0)).where(
            Lead.stage == LeadStage.WON
        )
    ).one()
    return Figure("installations", "Installations et emplois annoncés", ["indicateur", "valeur"],
                  [["entreprises installées", won], ["emplois annoncés", int(jobs)]])  # fmt: skip


def vacancy(session: Session) -> Figure:
    """Premises, occupied and free per site; vacancy rate as the CNIG's site_taux_vacance."""
    free = sa.func.count().filter(Premises.availability == Availability.AVAILABLE)
    occupied = sa.func.count().filter(Premises.availability == Availability.OCCUPIED)
    rows = session.execute(
        sa.select(Site.name, sa.func.count(), occupied, free)
        .join(Premises, Premises.site_id == Site.id)
        .group_by(Site.name)
        .order_by(Site.name)
    ).all()
    return Figure("vacance", "Occupation et vacance par site",
                  ["site", "locaux", "occupés", "libres", "taux de vacance (%)"],
                  [[n, total, occ, fr, round(100 * fr / total, 1) if total else 0]
                   for n, total, occ, fr in rows], chart_column=4)  # fmt: skip


def duplicates_prevented(session: Session) -> Figure:
    """Duplicate warnings shown, firms created past them, and so duplicates prevented."""
    warned = session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == AuditAction.DUPLICATE_WARNED)
    )
    confirmed = session.scalar(
        sa.select(sa.func.count()).where(
            AuditEntry.action == AuditAction.CREATE,
            AuditEntry.entity_type == "firm",
            AuditEntry.details["after_warning"].as_boolean().is_(True),
        )
    )
    return Figure("doublons", "Doublons évités", ["indicateur", "valeur"],
                  [["avertissements de doublon", warned],
                   ["fiches créées malgré l'avertissement", confirmed],
                   ["doublons évités", warned - confirmed]])  # fmt: skip


def time_to_installation(session: Session) -> Figure:
    """Median days from a lead's creation to its installation (stage « installé »)."""
    rows = session.execute(
        sa.select(Lead.created_at, sa.func.min(LeadStageChange.at))
        .join(LeadStageChange, LeadStageChange.lead_id == Lead.id)
        .where(LeadStageChange.to_stage == LeadStage.WON)
        .group_by(Lead.id)
    ).all()
    days = [(won - created).days for created, won in rows]
    median = statistics.median(days) if days else None
    return Figure("delai-installation", "Délai entre le projet et l'installation",
                  ["indicateur", "valeur"],
                  [["installations mesurées", len(days)],
                   ["délai médian (jours)", median if median is not None else "—"]])  # fmt: skip


def journeys(session: Session, today: date) -> list[Figure]:
    """Journeys through the offer: the steps firms took, stays per site kind, departures."""
    steps: Counter = Counter()
    stays: dict[SiteKind, list[int]] = defaultdict(list)
    departures: Counter = Counter()
    path: dict[int, list[SiteKind]] = defaultdict(list)
    for firm_id, kind, start, end, reason in session.execute(queries.firms_with_occupancies()):
        if not path[firm_id] or path[firm_id][-1] != kind:
            path[firm_id].append(kind)
        stays[kind].append(((end or today) - start).days)
        if reason is not None:
            departures[reason.label] += 1
    for kinds in path.values():
        for before, after in zip(kinds, kinds[1:], strict=False):
            steps[(before.label, after.label)] += 1
    return [
        Figure("parcours", "Parcours : d'un type de site au suivant", ["de", "vers", "entreprises"],
               [[a, b, n] for (a, b), n in steps.most_common()], chart_column=2),
        Figure("durees", "Durée médiane de séjour par type de site",
               ["type de site", "séjours", "durée médiane (mois)"],
               [[k.label, len(v), round(statistics.median(v) / 30.44, 1)]
                for k, v in sorted(stays.items(), key=lambda kv: list(SiteKind).index(kv[0]))],
               chart_column=2),
        Figure("departs", "Où vont les entreprises qui partent", ["motif", "entreprises"],
               [[r, n] for r, n in departures.most_common()], chart_column=1),
    ]  # fmt: skip


def all_figures(session: Session, today: date) -> list[Figure]:
    """Every figure of the dashboard."""
    return [
        leads_by_month(session), leads_by_organisation(session), funnel(session),
        installations(session), time_to_installation(session), vacancy(session),
        duplicates_prevented(session), *journeys(session, today),
    ]  # fmt: skip
