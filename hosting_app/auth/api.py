"""GET /api/me: the authenticated user, by session cookie or personal API token."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

blueprint = Blueprint("auth_api", __name__, url_prefix="/api")


@blueprint.get("/me")
def me():
    """The current user's email, role and organisation; 401 when anonymous."""
    if not current_user.is_authenticated:
        abort(401, description="Authentification requise.")
    organisation = current_user.organisation
    return {
        "email": current_user.email,
        "role": current_user.role.value,
        "organisation": {"key": organisation.key, "name": organisation.name},
    }
