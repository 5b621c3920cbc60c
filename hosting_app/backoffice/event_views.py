"""Economic events: managed in the back-office, the upcoming ones listed publicly."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from hosting_app.backoffice import events, permissions, queries
from hosting_app.backoffice.forms import EventForm
from hosting_app.backoffice.models import Event
from hosting_app.backoffice.views import blueprint, editor_access
from hosting_app.extensions import db


@blueprint.get("/evenements")
def public_events():
    """The economic events to come (past ones are not listed)."""
    upcoming = db.session.scalars(queries.upcoming_events(date.today())).all()
    return render_template("backoffice/public_events.html", events=upcoming)


def get_event(event_id: int) -> Event:
    """The event, or 404; 403 unless the user's organisation organises it (or an admin)."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not permissions.can_edit_event(current_user, event):
        abort(403)
    return event


def _event_form(event: Event | None) -> EventForm:
    data = None
    if request.method == "GET":
        if event is not None:
            data = {
                "name": event.name, "starts_on": event.starts_on, "ends_on": event.ends_on,
                "place": event.place, "description": event.description,
                "organisations": [str(o.id) for o in event.organisations],
            }  # fmt: skip
        else:
            data = {"organisations": [str(current_user.organisation_id)]}
    form = EventForm(data=data)
    organisations = db.session.execute(queries.organisations_for_choice())
    form.organisations.choices = [SelectChoice(str(i), name) for i, name in organisations]
    return form


def _values(form: EventForm) -> tuple[dict, list[int]]:
    values = {
        "name": form.name.data, "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
        "place": form.place.data, "description": form.description.data or "",
    }  # fmt: skip
    return values, [int(i) for i in form.organisations.data or []]


@blueprint.get("/gestion/evenements")
@editor_access
def event_list():
    """Every event, with the leads, interactions and firms it brought."""
    rows = db.session.execute(queries.events_with_outcomes()).all()
    editable = {row.Event.id for row in rows if permissions.can_edit_event(current_user, row.Event)}
    return render_template(
        "backoffice/events.html", rows=rows, editable=editable, today=date.today()
    )


@blueprint.route("/gestion/evenements/nouveau", methods=["GET", "POST"])
@editor_access
def new_event():
    """Announce an event; the user's organisation is among its organisers by default."""
    form = _event_form(None)
    if form.validate_on_submit():
        values, organisation_ids = _values(form)
        if not permissions.is_admin(current_user) and current_user.organisation_id not in (
            organisation_ids
        ):
            form.organisations.errors.append("Cochez votre organisation parmi les organisatrices.")
        else:
            event = events.create_event(
                db.session, user=current_user, values=values, organisation_ids=organisation_ids
            )
            db.session.commit()
            flash(f"Événement « {event.name} » enregistré.", "success")
            return redirect(url_for("backoffice.event_list"))
    status = 400 if form.errors else 200
    return render_template("backoffice/event_form.html", form=form, event=None), status


@blueprint.route("/gestion/evenements/<int:event_id>/modifier", methods=["GET", "POST"])
@editor_access
def edit_event(event_id: int):
    """Edit an event of one's organisation."""
    event = get_event(event_id)
    form = _event_form(event)
    if form.validate_on_submit():
        values, organisation_ids = _values(form)
        events.update_event(
            db.session, user=current_user, event=event, values=values,
            organisation_ids=organisation_ids,
        )  # fmt: skip
        db.session.commit()
        flash("Événement enregistré.", "success")
        return redirect(url_for("backoffice.event_list"))
    status = 400 if form.errors else 200
    return render_template("backoffice/event_form.html", form=form, event=event), status
