"""Administration: the organisations and their users (admins only)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from hosting_app.auth import twofactor
from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Organisation, Role, User
from hosting_app.auth.services import AccountError, set_active
from hosting_app.extensions import db

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.get("/utilisateurs")
@role_required(Role.ADMIN)
def users():
    """Every organisation with its users."""
    organisations = db.session.scalars(
        sa.select(Organisation)
        .options(selectinload(Organisation.users))
        .order_by(Organisation.kind, Organisation.name)
    ).all()
    return render_template("admin/users.html", organisations=organisations)


def _back_to(user: User):
    return redirect(url_for(".users", _anchor=f"compte-{user.id}"))


@blueprint.post("/utilisateurs/<int:user_id>/desactiver")
@role_required(Role.ADMIN)
def deactivate(user_id: int):
    """Deactivate an account: its sessions end at once and it can no longer log in."""
    return _set_active(db.get_or_abort(User, user_id), active=False)


@blueprint.post("/utilisateurs/<int:user_id>/reactiver")
@role_required(Role.ADMIN)
def reactivate(user_id: int):
    """Let a deactivated account log in again."""
    return _set_active(db.get_or_abort(User, user_id), active=True)


def _set_active(user: User, *, active: bool):
    try:
        set_active(db.session, user=user, active=active, by=current_user._get_current_object())
    except AccountError as error:
        flash(str(error), "error")
        return _back_to(user)
    db.session.commit()
    if active:
        flash(f"Le compte {user.email} est réactivé.", "success")
    else:
        flash(f"Le compte {user.email} est désactivé ; ses sessions sont fermées.", "success")
    return _back_to(user)


@blueprint.post("/utilisateurs/<int:user_id>/double-authentification/reinitialiser")
@role_required(Role.ADMIN)
def reset_two_factor(user_id: int):
    """Turn another user's two-factor authentication off (lost phone and codes); they enrol
    again at their next login. Audited."""
    user = db.get_or_abort(User, user_id)
    if user.id == current_user.id:
        flash("Vous ne pouvez pas réinitialiser votre propre double authentification : "
              "demandez-le à un autre administrateur.", "error")  # fmt: skip
        return _back_to(user)
    if not user.has_totp:
        flash(f"Le compte {user.email} n'a pas de double authentification.", "info")
        return _back_to(user)
    twofactor.reset(db.session, user=user, by=current_user._get_current_object())
    db.session.commit()
    flash(f"Double authentification de {user.email} réinitialisée ; ses sessions sont fermées. "
          "Elle sera à activer à sa prochaine connexion.", "success")  # fmt: skip
    return _back_to(user)
