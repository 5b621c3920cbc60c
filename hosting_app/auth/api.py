"""GET /api/me: the authenticated user, by session cookie or personal API token."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hosting_app.api.views import ApiError
from hosting_app.auth.models import Role

blueprint = Blueprint(
    "auth_api", __name__, url_prefix="/api",
    description="Le compte authentifié (jeton personnel ou session)",
)  # fmt: skip


class Organisation(Schema):
    """An organisation of the Pacte."""

    key = fields.String(required=True)
    name = fields.String(required=True)


class Me(Schema):
    """The authenticated user."""

    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    organisation = fields.Nested(Organisation, required=True)


@blueprint.route("/me")
@blueprint.doc(security=[{"bearerAuth": []}])
@blueprint.response(200, Me)
@blueprint.alt_response(401, schema=ApiError, description="Authentification requise")
def me():
    """Le compte authentifié : courriel, rôle et organisation (401 sans authentification)."""
    if not current_user.is_authenticated:
        abort(401, description="Authentification requise.")
    organisation = current_user.organisation
    return {
        "email": current_user.email,
        "role": current_user.role.value,
        "organisation": {"key": organisation.key, "name": organisation.name},
    }
