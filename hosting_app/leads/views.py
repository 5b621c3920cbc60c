"""CRM pages for developers and admins: firms, contacts, timeline, leads."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import history, record
from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Role
from hosting_app.db import whole_number
from hosting_app.extensions import db
from hosting_app.leads import identifiers, queries, services
from hosting_app.leads.forms import ContactForm, FirmForm, InteractionForm, LeadForm
from hosting_app.leads.models import Channel, Firm, Lead
from hosting_app.privacy.services import record_view
from hosting_app.sites.filters import MAX_PAGE
from hosting_app.sites.queries import communes_for_choice, search_settings

blueprint = Blueprint("crm", __name__)
crm_access = role_required(Role.ADMIN, Role.DEVELOPER)
PER_PAGE = 50


def get_firm(firm_id: int) -> Firm:
    """The firm, or 404."""
    firm = db.session.scalar(queries.firm_page(firm_id))
    if firm is None:
        abort(404)
    return firm


def save_or_stale(
    update: Callable[[], object], saved: str
) -> tuple[bool, services.StaleEdit | None]:
    """Run an edit's ``update`` and commit it, flashing ``saved``. A save on top of someone
    else's rolls back and returns their values (the StaleEdit) to be shown; an invalid
    identifier rolls back with its message. Returns (committed, the StaleEdit or None)."""
    try:
        update()
    except services.StaleEdit as error:
        db.session.rollback()
        return False, error
    except identifiers.InvalidIdentifier as error:
        db.session.rollback()
        flash(str(error), "error")
        return False, None
    db.session.commit()
    flash(saved, "success")
    return True, None


def live_firm(firm_id: int) -> Firm:
    """The firm to write to; a firm merged away sends the user to the survivor instead."""
    firm = get_firm(firm_id)
    if firm.merged_into_id is not None:
        flash("Cette fiche a été fusionnée : refaites la saisie sur la fiche conservée.", "error")
        abort(redirect(url_for("crm.firm", firm_id=firm.merged_into_id)))
    return firm


def get_lead(lead_id: int) -> Lead:
    """The lead, or 404."""
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    return lead


def can_see(lead: Lead) -> bool:
    """Whether the current user may see a lead's details (not another's confidential one)."""
    return not lead.confidential or lead.owner_organisation_id == current_user.organisation_id


@blueprint.get("/entreprises")
@crm_access
def firms():
    """Firms of the shared CRM, searchable by name, SIREN or SIRET."""
    search = request.args.get("q", "").strip()
    # Pages past the end are empty; past MAX_PAGE, their offset would not fit in a bigint.
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    # The firms of the names alike are estimated far above what the page reads: no JIT.
    db.session.execute(search_settings())
    rows = db.session.scalars(
        queries.firms_list(search).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "leads/firms.html", firms=rows[:PER_PAGE], more=len(rows) > PER_PAGE, page=page, q=search
    )


@blueprint.route("/entreprises/nouvelle", methods=["GET", "POST"])
@crm_access
def new_firm():
    """Create a firm; the similar firms already followed are shown before saving."""
    form = FirmForm()
    candidates = []
    if form.validate_on_submit():
        probe = services.probe_from(
            name=form.name.data, siret=form.siret.data, siren=form.siren.data,
            email=form.email.data, phone=form.phone.data, postcode=form.postcode.data,
        )  # fmt: skip
        candidates = services.match(db.session, probe)
        if candidates and form.confirm_new.data != "1":
            for candidate in candidates:
                candidate["followed_by_text"] = services.followed_by_text(candidate)
            form.confirm_new.data = "1"
            record(
                db.session, user=current_user, action=AuditAction.DUPLICATE_WARNED,
                entity_type="firm", entity_id=None,
                details={"name": form.name.data, "candidates": [c["firm_id"] for c in candidates]},
            )  # fmt: skip
            db.session.commit()
            return render_template("leads/firm_form.html", form=form, candidates=candidates), 409
        if any(c["siret"] and c["siret"] == probe.siret for c in candidates):
            flash("Une entreprise avec ce SIRET existe déjà : ouvrez sa fiche.", "error")
            return render_template("leads/firm_form.html", form=form, candidates=candidates), 409
        firm = services.create_firm(
            db.session, user=current_user, data=form.values(),
            after_warning=form.confirm_new.data == "1",
        )  # fmt: skip
        db.session.commit()
        flash(f"Entreprise « {firm.name} » créée.", "success")
        return redirect(url_for("crm.firm", firm_id=firm.id))
    return render_template("leads/firm_form.html", form=form, candidates=candidates)


@blueprint.get("/entreprises/<int:firm_id>")
@crm_access
def firm(firm_id: int):
    """A firm: identity, who follows it, contacts, leads, the shared timeline."""
    firm = get_firm(firm_id)
    if firm.merged_into_id is not None:  # 302, not 301: a merge can be undone
        return redirect(url_for("crm.firm", firm_id=firm.merged_into_id))
    timeline = db.session.scalars(queries.timeline(firm.id)).all()
    followers = services.match_followers(db.session, firm.id)
    if firm.contacts:
        record(
            db.session, user=current_user, action=AuditAction.VIEW_PERSONAL_DATA,
            entity_type="firm", entity_id=firm.id,
            details={"contacts": [c.id for c in firm.contacts]},
        )  # fmt: skip
        db.session.commit()
    interaction_form = InteractionForm()
    interaction_form.event_id.choices = event_choices()
    interaction_form.lead_id.choices = [SelectChoice("", "Aucun")] + [
        SelectChoice(str(lead.id), lead.title) for lead in firm.leads if can_see(lead)
    ]
    return render_template(
        "leads/firm.html",
        firm=firm,
        timeline=timeline,
        followers=followers,
        can_see=can_see,
        contact_form=ContactForm(),
        interaction_form=interaction_form,
    )


@blueprint.route("/entreprises/<int:firm_id>/modifier", methods=["GET", "POST"])
@crm_access
def edit_firm(firm_id: int):
    """Edit a firm; a save on top of someone else's is refused with their values shown."""
    firm = live_firm(firm_id)
    form = FirmForm(obj=firm)
    if request.method == "GET":
        form.version.data = firm.version
    stale = None
    if form.validate_on_submit():
        saved, stale = save_or_stale(lambda: services.update_firm(
            db.session, user=current_user, firm=firm, data=form.values(),
            expected_version=int(form.version.data or 0),
        ), "Fiche enregistrée.")  # fmt: skip
        if saved:
            return redirect(url_for("crm.firm", firm_id=firm.id))
    status = 409 if stale else (400 if form.errors else 200)
    return render_template("leads/firm_edit.html", form=form, firm=firm, stale=stale), status


@blueprint.post("/entreprises/<int:firm_id>/contacts")
@crm_access
def add_contact(firm_id: int):
    """Add a contact person to a firm."""
    firm = live_firm(firm_id)
    form = ContactForm()
    if form.validate_on_submit():
        services.add_contact(
            db.session, user=current_user, firm=firm, name=form.name.data, role=form.role.data,
            email=form.email.data, phone=form.phone.data,
        )  # fmt: skip
        db.session.commit()
        flash("Contact ajouté.", "success")
    else:
        flash_errors(form)
    return redirect(url_for("crm.firm", firm_id=firm.id, _anchor="contacts"))


@blueprint.post("/entreprises/<int:firm_id>/demarches")
@crm_access
def log_interaction(firm_id: int):
    """Log an interaction on the firm's shared timeline."""
    firm = live_firm(firm_id)
    form = InteractionForm()
    form.event_id.choices = event_choices()
    form.lead_id.choices = [SelectChoice("", "Aucun")] + [
        SelectChoice(str(lead.id), lead.title) for lead in firm.leads if can_see(lead)
    ]
    if form.validate_on_submit():
        services.log_interaction(
            db.session, user=current_user, firm=firm, occurred_on=form.occurred_on.data,
            channel=Channel(form.channel.data), summary=form.summary.data,
            next_step=form.next_step.data or None, reminder_on=form.reminder_on.data,
            lead_id=int(form.lead_id.data) if form.lead_id.data else None,
            event_id=int(form.event_id.data) if form.event_id.data else None,
        )  # fmt: skip
        db.session.commit()
        flash("Démarche enregistrée sur la fiche partagée.", "success")
    else:
        flash_errors(form)
    return redirect(url_for("crm.firm", firm_id=firm.id, _anchor="chronologie"))


def event_choices() -> list[SelectChoice]:
    """The territory's events, newest first, for « Événement d'origine »."""
    from hosting_app.backoffice.models import Event
    from hosting_app.templating import date_fr

    events = db.session.scalars(sa.select(Event).order_by(Event.starts_on.desc()).limit(50))
    return [SelectChoice("", "Aucun")] + [
        SelectChoice(str(e.id), f"{e.name} ({date_fr(e.starts_on)})") for e in events
    ]


def flash_errors(form) -> None:
    """Each field error as a message (for the small forms of the firm page)."""
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text} : {error}", "error")


def _lead_form(lead: Lead | None = None) -> LeadForm:
    form = LeadForm(obj=lead)
    form.preferred_communes.choices = [
        SelectChoice(insee, name) for insee, name in db.session.execute(communes_for_choice())
    ]
    form.event_id.choices = event_choices()
    if lead is not None and request.method == "GET":
        form.version.data = lead.version
        form.event_id.data = str(lead.event_id) if lead.event_id else ""
        form.source.data = lead.source.value
        form.premises_kind.data = lead.premises_kind.value if lead.premises_kind else ""
    return form


@blueprint.route("/entreprises/<int:firm_id>/projets/nouveau", methods=["GET", "POST"])
@crm_access
def new_lead(firm_id: int):
    """Open a lead for a firm, owned by the user's organisation."""
    firm = live_firm(firm_id)
    form = _lead_form()
    if form.validate_on_submit():
        lead = services.create_lead(db.session, user=current_user, firm=firm, **form.values())
        db.session.commit()
        flash("Projet créé.", "success")
        return redirect(url_for("crm.lead", lead_id=lead.id))
    return render_template("leads/lead_form.html", form=form, firm=firm, lead=None), (
        400 if form.errors else 200
    )


@blueprint.get("/projets/<int:lead_id>")
@crm_access
def lead(lead_id: int):
    """A lead; another organisation's confidential lead shows only who follows it."""
    from hosting_app.journeys.pipeline import allowed_targets

    lead = get_lead(lead_id)
    return render_template(
        "leads/lead.html", lead=lead, visible=can_see(lead),
        allowed_stages=allowed_targets(lead.stage),
    )  # fmt: skip


@blueprint.post("/projets/<int:lead_id>/prendre")
@crm_access
def claim(lead_id: int):
    """Take an unassigned lead; if someone was quicker, say who."""
    lead = get_lead(lead_id)
    if not can_see(lead) or lead.owner_organisation_id != current_user.organisation_id:
        abort(403)
    try:
        services.claim_lead(db.session, user=current_user, lead_id=lead.id)
    except services.AlreadyClaimed as error:
        db.session.rollback()
        flash(
            f"Ce projet est déjà suivi par {error.holder.full_name or error.holder.email}.", "error"
        )
        return redirect(url_for("crm.lead", lead_id=lead.id)), 303
    db.session.commit()
    flash("Vous suivez désormais ce projet.", "success")
    return redirect(url_for("crm.lead", lead_id=lead.id))


@blueprint.route("/projets/<int:lead_id>/modifier", methods=["GET", "POST"])
@crm_access
def edit_lead(lead_id: int):
    """Edit a lead of one's organisation; a stale save is refused with the current values."""
    lead = get_lead(lead_id)
    if lead.owner_organisation_id != current_user.organisation_id:
        abort(403)
    form = _lead_form(lead)
    stale = None
    if form.validate_on_submit():
        saved, stale = save_or_stale(lambda: services.update_lead(
            db.session, user=current_user, lead=lead, data=form.values(),
            expected_version=int(form.version.data or 0),
        ), "Projet enregistré.")  # fmt: skip
        if saved:
            return redirect(url_for("crm.lead", lead_id=lead.id))
    status = 409 if stale else (400 if form.errors else 200)
    return render_template(
        "leads/lead_form.html", form=form, firm=lead.firm, lead=lead, stale=stale
    ), status


@blueprint.get("/<any(entreprises, projets):kind>/<int:entity_id>/historique")
@crm_access
def entity_history(kind: str, entity_id: int):
    """Who created and changed a firm or a lead, field by field."""
    if kind == "entreprises":
        subject = get_firm(entity_id)
        entity_type = "firm"
    else:
        subject = get_lead(entity_id)
        if not can_see(subject):
            abort(403)
        entity_type = "lead"
    entries = db.session.scalars(history(entity_type, entity_id).limit(500)).all()
    return render_template(
        "leads/history.html", subject=subject, entries=entries, kind=kind, entity_id=entity_id
    )


@blueprint.route("/espace/demandes/<int:inquiry_id>/projet", methods=["GET", "POST"])
@crm_access
def inquiry_to_lead(inquiry_id: int):
    """Make a lead of a website inquiry, after checking whether its firm is already known."""
    from hosting_app.inquiries.models import Inquiry

    inquiry = db.get_or_abort(Inquiry, inquiry_id)
    if inquiry.lead is not None:
        return redirect(url_for("crm.lead", lead_id=inquiry.lead.id))
    if request.method == "POST":
        choice = request.form.get("firm_id", "")
        firm = None
        if choice != "new":
            firm_id = whole_number(choice, least=1)
            firm = db.session.get(Firm, firm_id) if firm_id else None
            if firm is None or firm.merged_into_id is not None:
                abort(400)
        lead = services.lead_from_inquiry(db.session, user=current_user, inquiry=inquiry, firm=firm)
        db.session.commit()
        flash("Projet créé à partir de la demande.", "success")
        return redirect(url_for("crm.lead", lead_id=lead.id))
    try:
        probe = services.probe_from(
            name=inquiry.firm_name, siret=inquiry.siret, email=inquiry.email, phone=inquiry.phone
        )
    except identifiers.InvalidIdentifier:
        probe = services.probe_from(name=inquiry.firm_name)
    candidates = services.match(db.session, probe)
    for candidate in candidates:
        candidate["followed_by_text"] = services.followed_by_text(candidate)
    page = render_template("leads/inquiry_to_lead.html", inquiry=inquiry, candidates=candidates)
    record_view(db.session, user=current_user, entity_type="inquiry", entity_ids=[inquiry.id])
    db.session.commit()
    return page
