"""The public inquiry form, its confirmation, and the developers' list of inquiries."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Role
from hosting_app.extensions import csrf, db
from hosting_app.inquiries import queries, services
from hosting_app.inquiries.forms import InquiryForm
from hosting_app.inquiries.limits import init_limiter, inquiry_rate_limit, limiter
from hosting_app.inquiries.models import Inquiry
from hosting_app.privacy.notice import ERASED_EMAIL
from hosting_app.privacy.services import record_consent, record_view
from hosting_app.sites.models import Premises, Site
from hosting_app.templating import date_fr

blueprint = Blueprint("inquiries", __name__)

PARIS = ZoneInfo("Europe/Paris")


def register(app: Flask) -> None:
    """Register the blueprint and bind the rate limiter of the form."""
    app.register_blueprint(blueprint)
    init_limiter(app)


@blueprint.route("/demande", methods=["GET", "POST"])
# The form checks its own CSRF token, so that a stale one re-renders what was typed
# instead of the bare 400 page of the global check.
@csrf.exempt
@limiter.limit(inquiry_rate_limit, methods=["POST"])
def new():
    """The inquiry form about a site (?site=slug) or a premises unit (?local=id)."""
    site, premises = _subject()
    form = InquiryForm(premises_kind=premises.kind.value if premises else "")
    if form.is_submitted() and form.bot_filled_the_honeypot:
        return redirect(url_for(".thanks"))  # looks like a success; nothing is stored
    if form.validate_on_submit():
        inquiry = services.create_inquiry(
            db.session, site=site, premises=premises, **form.inquiry_data()
        )
        record_consent(db.session, inquiry=inquiry, wording=form.consent.label.text)
        db.session.commit()
        return redirect(url_for(".thanks"))
    status = 400 if form.is_submitted() else 200
    return render_template("inquiries/form.html", form=form, site=site, premises=premises), status


@blueprint.get("/demande/merci")
def thanks():
    """The confirmation that the inquiry was sent."""
    return render_template("inquiries/thanks.html")


@blueprint.get("/espace/demandes")
@role_required(Role.ADMIN, Role.DEVELOPER)
def index():
    """Every inquiry received, newest first (contact persons' data: not for marketing)."""
    inquiries = db.session.scalars(queries.inquiries_newest_first()).all()
    page = render_template("inquiries/list.html", inquiries=inquiries)
    if record_view(db.session, user=current_user, entity_type="inquiry",
                   entity_ids=[i.id for i in inquiries if i.email != ERASED_EMAIL]):  # fmt: skip
        db.session.commit()
    return page


@blueprint.post("/espace/demandes/<int:inquiry_id>/traitee")
@role_required(Role.ADMIN, Role.DEVELOPER)
def mark_handled(inquiry_id: int):
    """Mark an inquiry handled by the current user."""
    inquiry = db.get_or_abort(Inquiry, inquiry_id)
    if services.mark_handled(db.session, inquiry=inquiry, user=current_user._get_current_object()):
        db.session.commit()
        flash(f"Demande de l'entreprise {inquiry.firm_name} marquée comme traitée.", "success")
    else:
        flash(f"La demande de l'entreprise {inquiry.firm_name} était déjà traitée.", "info")
    return redirect(url_for(".index", _anchor=f"demande-{inquiry.id}"))


@blueprint.app_template_filter("datetime_paris_fr")
def datetime_paris_fr(value: datetime | None) -> str:
    """Format a time as « 3 mars 2027 à 14 h 05 », Paris time."""
    if value is None:
        return "—"
    local = value.astimezone(PARIS)
    return f"{date_fr(local.date())} à {local.hour} h {local.minute:02d}"


@blueprint.app_template_filter("phone_fr")
def phone_fr(value: str | None) -> str:
    """Format an E.164 number for reading: 01 64 10 20 30, or +32 2 555 12 12 abroad."""
    if not value:
        return "—"
    number = phonenumbers.parse(value)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 33
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def _subject() -> tuple[Site | None, Premises | None]:
    """The site and premises named in the query string; 404 when unknown."""
    local = request.args.get("local")
    if local:
        if not re.fullmatch(r"[0-9]{1,9}", local):
            abort(404)
        premises = db.one_or_abort(queries.premises_by_id(int(local)))
        return premises.site, premises
    slug = request.args.get("site")
    if slug:
        return db.one_or_abort(queries.site_by_slug(slug)), None
    return None, None
