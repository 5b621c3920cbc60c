"""Administration: the organisations and their users (admins only)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Organisation, Role
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
