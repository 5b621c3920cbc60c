"""The privacy notice (public) and the administrators' page for access and erasure requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from hosting_app.audit.models import AuditAction
from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Organisation, OrganisationKind, Role
from hosting_app.extensions import db
from hosting_app.privacy import notice, services
from hosting_app.privacy.forms import EraseForm, ExportForm, SearchForm

blueprint = Blueprint("privacy", __name__)
admin_only = role_required(Role.ADMIN)


@blueprint.get("/confidentialite")
def notice_page():
    """« Données personnelles »: who processes what, why, how long, and the rights."""
    controllers = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind.in_([OrganisationKind(k) for k in notice.CONTROLLER_KINDS]))
        .order_by(Organisation.kind, Organisation.name)
    ).all()
    return render_template(
        "privacy/notice.html",
        controllers=controllers,
        notice=notice,
        basemap=current_app.config.get("MAP_BASEMAP", "ign"),
        idle=current_app.config.get("SESSION_IDLE_TIMEOUT"),
    )


@blueprint.route("/admin/donnees-personnelles", methods=["GET", "POST"])
@admin_only
def requests():
    """Find a person by e-mail; the results show what an export or an erasure would cover."""
    form = SearchForm()
    if form.validate_on_submit():
        return _results(form.email.data)
    return render_template("privacy/admin.html", form=form), 400 if form.errors else 200


def _results(email: str, erase_form: EraseForm | None = None, status: int = 200):
    subject = services.find_subject(db.session, email=email)
    mentions = 0
    if subject.found:
        services.record_access(
            db.session, user=current_user, subject=subject,
            action=AuditAction.VIEW_PERSONAL_DATA, via="web",
        )  # fmt: skip
        mentions = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                services.audit_about(subject.record_ids(), subject.identifiers()).subquery()
            )
        )
        db.session.commit()
    return render_template(
        "privacy/admin.html", form=SearchForm(email=subject.email), subject=subject,
        audit_count=mentions, export_form=ExportForm(email=subject.email),
        erase_form=erase_form or EraseForm(email=subject.email),
    ), status  # fmt: skip


@blueprint.post("/admin/donnees-personnelles/export")
@admin_only
def export():
    """Download, as JSON, every record about the person (the export is audited)."""
    form = ExportForm()
    if not form.validate_on_submit():
        flash("La demande n'a pas pu être vérifiée : recherchez la personne à nouveau.", "error")
        return redirect(url_for(".requests"))
    subject = services.find_subject(db.session, email=form.email.data)
    if not subject.found:
        flash("Aucune donnée pour cette adresse.", "info")
        return redirect(url_for(".requests"))
    data = services.export_subject(db.session, subject)
    services.record_access(
        db.session, user=current_user, subject=subject, action=AuditAction.EXPORT, via="web"
    )
    db.session.commit()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="donnees-personnelles-{stamp}.json"',
            "Cache-Control": "no-store",
        },
    )


@blueprint.post("/admin/donnees-personnelles/effacer")
@admin_only
def erase():
    """Erase the person once the box is ticked; the erasure is audited without any value."""
    form = EraseForm()
    if not form.validate_on_submit():
        if form.email.errors or (form.meta.csrf and form.csrf_token.errors):
            flash("La demande n'a pas pu être vérifiée : recherchez la personne à nouveau.",
                  "error")  # fmt: skip
            return redirect(url_for(".requests"))
        return _results(form.email.data, erase_form=form, status=400)
    subject = services.find_subject(db.session, email=form.email.data)
    if not (subject.contacts or subject.inquiries):
        flash("Aucun contact ni aucune demande à effacer pour cette adresse.", "info")
        return redirect(url_for(".requests"))
    ids = subject.record_ids()
    result = services.erase_subject(db.session, subject, user=current_user)
    services.record_erasure(
        db.session, user=current_user, subject_ids=ids, result=result, via="web"
    )
    db.session.commit()
    flash(
        f"Données effacées : {len(result.contacts)} contact(s) supprimé(s), "
        f"{len(result.inquiries)} demande(s) effacée(s), {result.audit_entries} entrée(s) du "
        f"journal et {result.free_texts} texte(s) libre(s) nettoyés.",
        "success",
    )
    if subject.account is not None:
        flash(
            "Un compte utilisateur porte aussi cette adresse : il n'est pas effacé ici, "
            "désactivez-le depuis la page des utilisateurs.",
            "info",
        )
    return redirect(url_for(".requests"))
