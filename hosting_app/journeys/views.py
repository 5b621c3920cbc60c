"""Pages of the journeys: a firm's path, the board, matching, alerts, the dashboard."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Role
from hosting_app.db import whole_number
from hosting_app.extensions import db
from hosting_app.journeys import dashboard, pipeline, queries, services
from hosting_app.journeys.models import ExitReason, Occupancy
from hosting_app.leads.models import Firm, Lead, LeadStage
from hosting_app.leads.views import can_see, get_firm, get_lead
from hosting_app.sites.models import Premises

blueprint = Blueprint("journeys", __name__)
crm_access = role_required(Role.ADMIN, Role.DEVELOPER)


def today() -> date:
    """Today (a setting in tests)."""
    return current_app.config.get("TODAY") or date.today()


@blueprint.get("/entreprises/<int:firm_id>/parcours")
@crm_access
def firm_journey(firm_id: int):
    """A firm's journey: occupancies, lead stages and interactions on one timeline."""
    firm = get_firm(firm_id)
    occupancies = db.session.scalars(queries.firm_occupancies(firm.id)).all()
    return render_template(
        "journeys/firm.html", firm=firm, occupancies=occupancies, can_see=can_see,
        items=services.firm_timeline(db.session, firm), exit_reasons=list(ExitReason),
    )  # fmt: skip


@blueprint.post("/entreprises/<int:firm_id>/occupations")
@crm_access
def add_occupancy(firm_id: int):
    """Record that a firm occupies a premises from a date (optionally until a term)."""
    firm = get_firm(firm_id)
    premises_id = whole_number(request.form.get("premises_id"), least=1)
    premises = db.session.get(Premises, premises_id) if premises_id else None
    start = _date(request.form.get("start_date"))
    if premises is None or start is None:
        flash("Indiquez le local (son numéro) et la date d'arrivée.", "error")
        return redirect(url_for(".firm_journey", firm_id=firm.id))
    typed_jobs = request.form.get("jobs", "").strip()
    jobs = whole_number(typed_jobs)
    if typed_jobs and jobs is None:
        flash("Emplois sur place : nombre entier positif ou nul attendu.", "error")
        return redirect(url_for(".firm_journey", firm_id=firm.id))
    try:
        services.start_occupancy(
            db.session, user=current_user, firm=firm, premises=premises, start_date=start,
            term_date=_date(request.form.get("term_date")),
            jobs=jobs, today=today(),
        )  # fmt: skip
    except services.OccupancyRefused as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Installation dans « {premises.label} » enregistrée.", "success")
    return redirect(url_for(".firm_journey", firm_id=firm.id))


@blueprint.post("/occupations/<int:occupancy_id>/depart")
@crm_access
def end_occupancy(occupancy_id: int):
    """Record a firm's departure, and where it went."""
    occupancy = db.get_or_abort(Occupancy, occupancy_id)
    end = _date(request.form.get("end_date"))
    reason = request.form.get("exit_reason", "")
    next_id = whole_number(request.form.get("next_premises_id"), least=1)
    next_premises = db.session.get(Premises, next_id) if next_id else None
    try:
        if end is None or reason not in {r.value for r in ExitReason}:
            raise services.OccupancyRefused("Indiquez la date et le motif du départ.")
        services.end_occupancy(
            db.session, user=current_user, occupancy=occupancy, end_date=end,
            reason=ExitReason(reason), next_premises=next_premises,
            note=request.form.get("destination_note") or None, today=today(),
        )  # fmt: skip
    except services.OccupancyRefused as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Départ enregistré.", "success")
    return redirect(url_for(".firm_journey", firm_id=occupancy.firm_id))


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@blueprint.get("/projets/tableau")
@crm_access
def board():
    """The pipeline board: one column per stage; the organisation's, or the shared one."""
    shared = request.args.get("vue") == "partagee"
    query = sa.select(Lead).options(selectinload(Lead.firm), selectinload(Lead.owner_organisation))
    if not shared:
        query = query.where(Lead.owner_organisation_id == current_user.organisation_id)
    leads = db.session.scalars(query.order_by(Lead.updated_at.desc())).all()
    columns = {stage: [lead for lead in leads if lead.stage == stage] for stage in LeadStage}
    return render_template("journeys/board.html", columns=columns, shared=shared, can_see=can_see)


@blueprint.post("/projets/<int:lead_id>/etape")
@crm_access
def move(lead_id: int):
    """Move a lead of one's organisation to another stage (a reason when lost)."""
    lead = get_lead(lead_id)
    if lead.owner_organisation_id != current_user.organisation_id:
        abort(403)
    try:
        target = LeadStage(request.form.get("stage", ""))
        services.move_lead(db.session, user=current_user, lead=lead, target=target,
                           reason=request.form.get("reason"))  # fmt: skip
    except (ValueError, pipeline.TransitionRefused) as error:
        db.session.rollback()
        flash(str(error) if isinstance(error, pipeline.TransitionRefused) else "Étape inconnue.",
              "error")  # fmt: skip
    else:
        db.session.commit()
        flash(f"Projet passé à l'étape « {target.label} ».", "success")
    return redirect(url_for("crm.lead", lead_id=lead.id))


@blueprint.route("/projets/<int:lead_id>/locaux", methods=["GET", "POST"])
@crm_access
def lead_matches(lead_id: int):
    """Free premises ranked by fit with a lead's need; send some as a proposal."""
    lead = get_lead(lead_id)
    if not can_see(lead):
        abort(403)
    if request.method == "POST":
        ids = [i for i in map(whole_number, request.form.getlist("premises_id")) if i]
        chosen = db.session.scalars(sa.select(Premises).where(Premises.id.in_(ids))).all()
        try:
            services.send_proposal(db.session, user=current_user, lead=lead, premises=chosen,
                                   today=today())  # fmt: skip
        except ValueError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".lead_matches", lead_id=lead.id))
        db.session.commit()
        flash("Proposition enregistrée sur la chronologie partagée.", "success")
        return redirect(url_for("crm.lead", lead_id=lead.id))
    suggestions = services.suggest(db.session, services.need_of(lead), today=today(), limit=15)
    return render_template("journeys/matches.html", lead=lead, suggestions=suggestions)


@blueprint.get("/locaux/<int:premises_id>/projets")
@crm_access
def premises_leads(premises_id: int):
    """The open leads a premises (free, or about to be) fits."""
    premises = db.get_or_abort(Premises, premises_id)
    pairs = services.leads_for(db.session, premises, today=today())
    return render_template("journeys/premises_leads.html", premises=premises, pairs=pairs,
                           can_see=can_see)  # fmt: skip


@blueprint.get("/alertes/pepinieres")
@crm_access
def incubator_alerts():
    """Firms whose incubator stay ends within N months, with suggested next premises."""
    months = request.args.get("mois", default=current_app.config.get("INCUBATOR_ALERT_MONTHS", 6),
                              type=int)  # fmt: skip
    months = min(max(months or 6, 1), 48)
    until = today() + timedelta(days=round(months * 30.44))
    alerts = services.incubator_alerts(db.session, today=today(), until=until)
    return render_template("journeys/alerts.html", alerts=alerts, months=months)


@blueprint.post("/alertes/pepinieres/<int:occupancy_id>/proposition")
@crm_access
def propose_from_alert(occupancy_id: int):
    """Send the suggested premises ticked on an alert as a proposal to the firm."""
    occupancy = db.get_or_abort(Occupancy, occupancy_id)
    ids = [i for i in map(whole_number, request.form.getlist("premises_id")) if i]
    chosen = db.session.scalars(sa.select(Premises).where(Premises.id.in_(ids))).all()
    try:
        lead = services.propose_next_premises(
            db.session, user=current_user, occupancy=occupancy, premises=chosen, today=today()
        )
    except ValueError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".incubator_alerts"))
    db.session.commit()
    flash("Proposition envoyée et notée sur la chronologie partagée.", "success")
    return redirect(url_for("crm.lead", lead_id=lead.id))


@blueprint.get("/tableau-de-bord")
@crm_access
def dashboard_page():
    """The Pacte's dashboard, each figure as a chart and a table, downloadable as CSV."""
    return render_template("journeys/dashboard.html",
                           figures=dashboard.all_figures(db.session, today()))  # fmt: skip


@blueprint.get("/tableau-de-bord/<key>.csv")
@crm_access
def dashboard_csv(key: str):
    """One figure of the dashboard as a CSV file (UTF-8 with BOM, « ; » for spreadsheets)."""
    figure = next((f for f in dashboard.all_figures(db.session, today()) if f.key == key), None)
    if figure is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(figure.headers)
    writer.writerows(figure.rows)
    return Response(
        "\ufeff" + out.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{key}.csv"'},
    )  # fmt: skip


@blueprint.app_template_global()
def firm_has_journey(firm: Firm) -> bool:
    """Whether a firm has occupancies (for links)."""
    return bool(db.session.scalar(sa.select(sa.func.count()).where(Occupancy.firm_id == firm.id)))
