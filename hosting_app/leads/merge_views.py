"""Pages to merge a duplicate firm into another, and to undo a merge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import aliased, selectinload
from wtforms import HiddenField
from wtforms.validators import InputRequired, Regexp

from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Role, User
from hosting_app.extensions import db
from hosting_app.forms import FrenchForm
from hosting_app.leads import identifiers, merging, queries, services
from hosting_app.leads.models import Firm, FirmMerge
from hosting_app.sites.queries import search_settings

blueprint = Blueprint("merge", __name__)
crm_access = role_required(Role.ADMIN, Role.DEVELOPER)
CHOICES = 20
NUMBER = Regexp(r"^[0-9]{1,9}$")


class MergeForm(FrenchForm):
    """The confirmed merge: which firm survives, and the versions shown in the preview."""

    survivor_id = HiddenField(validators=[InputRequired(), NUMBER])
    absorbed_id = HiddenField(validators=[InputRequired(), NUMBER])
    survivor_version = HiddenField(validators=[InputRequired(), NUMBER])
    absorbed_version = HiddenField(validators=[InputRequired(), NUMBER])


@dataclass
class MergeEntry:
    """A merge as the firm page lists it."""

    merge: FirmMerge
    merged_by: User | None
    undone_by: User | None
    moved: str
    conflicts: list[tuple[str, str, str]]  # (field, label, value)


def get_firm(firm_id: int) -> Firm:
    """The firm, or 404."""
    firm = db.session.get(Firm, firm_id)
    if firm is None:
        abort(404)
    return firm


@blueprint.get("/entreprises/<int:firm_id>/fusion")
@crm_access
def choose(firm_id: int):
    """Choose the firm to merge with: likely duplicates first, or a search by name or SIRET."""
    firm = get_firm(firm_id)
    if firm.merged_into_id is not None:
        return redirect(url_for("crm.firm", firm_id=firm.merged_into_id))
    search = request.args.get("q", "").strip()
    found = []
    if search:
        db.session.execute(search_settings())  # as the firm list's search: no JIT
        found = db.session.scalars(queries.firms_list(search, besides=firm.id).limit(CHOICES)).all()
    return render_template(
        "leads/merge_choose.html", firm=firm, candidates=_duplicates(firm), found=found, q=search
    )


@blueprint.get("/entreprises/<int:firm_id>/fusion/<int:other_id>")
@crm_access
def confirm(firm_id: int, other_id: int):
    """Both firms side by side, what will move and which values are kept apart."""
    survivor_id = request.args.get("conservee", firm_id, type=int)
    if survivor_id not in (firm_id, other_id):
        survivor_id = firm_id
    absorbed_id = other_id if survivor_id == firm_id else firm_id
    preview = merging.preview(db.session, survivor_id=survivor_id, absorbed_id=absorbed_id)
    if preview is None:
        abort(404)
    form = MergeForm(
        survivor_id=survivor_id, absorbed_id=absorbed_id,
        survivor_version=preview.survivor.version, absorbed_version=preview.absorbed.version,
    )  # fmt: skip
    return render_template(
        "leads/merge_confirm.html", preview=preview, form=form, firm_id=firm_id,
        other_id=other_id, rows=_rows(preview), moved=merging.moved_text(preview.counts),
        labels=merging.FIELD_LABELS, describe=merging.describe,
    ), (409 if preview.refusal else 200)  # fmt: skip


@blueprint.post("/entreprises/<int:firm_id>/fusion/<int:other_id>")
@crm_access
def merge(firm_id: int, other_id: int):
    """Merge the absorbed firm into the survivor, as confirmed."""
    form = MergeForm()
    if not form.validate_on_submit():
        abort(400)
    survivor_id, absorbed_id = int(form.survivor_id.data), int(form.absorbed_id.data)
    if {survivor_id, absorbed_id} != {firm_id, other_id}:
        abort(400)
    back = url_for(".confirm", firm_id=firm_id, other_id=other_id, conservee=survivor_id)
    try:
        done = merging.merge_firms(
            db.session, user=current_user._get_current_object(), survivor_id=survivor_id,
            absorbed_id=absorbed_id,
            expected_versions={survivor_id: int(form.survivor_version.data),
                               absorbed_id: int(form.absorbed_version.data)},
        )  # fmt: skip
    except merging.MergeRefused as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back, 303)
    moved = merging.moved_text({key: len(ids) for key, ids in done.moved.items()})
    message = f"« {done.absorbed.name} » est fusionnée dans « {done.survivor.name} » ({moved})."
    if done.conflicts:
        message += " Les valeurs différentes de la fiche fusionnée sont conservées ci-dessous."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("crm.firm", firm_id=survivor_id, _anchor="fusions"))


@blueprint.post("/fusions/<int:merge_id>/annuler")
@crm_access
def undo(merge_id: int):
    """Undo a merge (the CSRF token is checked before any request reaches a view)."""
    merge = db.session.get(FirmMerge, merge_id)
    if merge is None:
        abort(404)
    survivor_id = merge.survivor_id
    try:
        merging.undo_merge(db.session, user=current_user._get_current_object(), merge_id=merge_id)
    except merging.MergeRefused as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("crm.firm", firm_id=survivor_id, _anchor="fusions"), 303)
    message = f"Fusion annulée : « {merge.absorbed.name} » est de nouveau une fiche distincte."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("crm.firm", firm_id=survivor_id, _anchor="fusions"))


@blueprint.app_template_global("firm_merges")
def firm_merges(firm_id: int) -> list[MergeEntry]:
    """The merges of a firm, as survivor or as absorbed firm, newest first."""
    merged_by, undone_by = aliased(User), aliased(User)
    rows = db.session.execute(
        sa.select(FirmMerge, merged_by, undone_by)
        .outerjoin(merged_by, merged_by.id == FirmMerge.merged_by_id)
        .outerjoin(undone_by, undone_by.id == FirmMerge.undone_by_id)
        .where(sa.or_(FirmMerge.survivor_id == firm_id, FirmMerge.absorbed_id == firm_id))
        .options(selectinload(FirmMerge.absorbed), selectinload(FirmMerge.survivor))
        .order_by(FirmMerge.merged_at.desc(), FirmMerge.id.desc())
    ).all()
    return [
        MergeEntry(
            merge=merge,
            merged_by=by,
            undone_by=undoer,
            moved=merging.moved_text({key: len(ids) for key, ids in merge.moved.items()}),
            conflicts=[
                (name, merging.FIELD_LABELS.get(name, name), merging.describe(name, value))
                for name, value in merge.conflicts.items()
            ],
        )  # fmt: skip
        for merge, by, undoer in rows
    ]


def _duplicates(firm: Firm) -> list[dict[str, Any]]:
    """The firms the duplicate detection finds for this one (itself left out)."""
    try:
        probe = services.probe_from(
            name=firm.name, siret=firm.siret, siren=firm.siren, email=firm.email_domain,
            phone=firm.phone, postcode=firm.postcode,
        )  # fmt: skip
    except identifiers.InvalidIdentifier:
        probe = services.probe_from(name=firm.name, postcode=firm.postcode)
    candidates = [c for c in services.match(db.session, probe, limit=6) if c["firm_id"] != firm.id]
    for candidate in candidates:
        candidate["followed_by_text"] = services.followed_by_text(candidate)
    return candidates[:5]


def _rows(preview: merging.Preview) -> list[dict[str, Any]]:
    """One row per identity field: both values, and what the survivor will hold."""
    rows = []
    for name in merging.IDENTITY_FIELDS:
        survivor, absorbed = preview.survivor_values[name], preview.absorbed_values[name]
        if merging.is_empty(name, survivor) and merging.is_empty(name, absorbed):
            continue
        if name in preview.taken:
            outcome = "Reprise de la fiche absorbée"
        elif name in preview.conflicts:
            outcome = "Différente : conservée dans la fusion, affichée sur la fiche"
        else:
            outcome = "Inchangée"
        rows.append({
            "name": name, "label": merging.FIELD_LABELS[name], "outcome": outcome,
            "survivor": merging.describe(name, survivor),
            "absorbed": merging.describe(name, absorbed),
            "conflict": name in preview.conflicts, "taken": name in preview.taken,
        })  # fmt: skip
    return rows
