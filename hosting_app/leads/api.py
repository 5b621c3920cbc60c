"""POST /api/firms/match: the duplicate candidates of a firm about to be created."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate

from hosting_app.auth.models import Role
from hosting_app.extensions import db
from hosting_app.leads import identifiers, services

blueprint = Blueprint("crm_api", __name__, url_prefix="/api")


def api_roles(*roles: Role):
    """401 for anonymous callers, 403 for other roles (JSON, by the app's handlers)."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401, description="Authentification requise.")
            if current_user.role not in roles:
                abort(403, description="Accès réservé aux développeurs économiques.")
            return view(*args, **kwargs)

        return guarded

    return decorator


class MatchRequest(Schema):
    """What is known of the firm."""

    name = fields.String(load_default="", validate=validate.Length(max=250))
    siret = fields.String(load_default=None, allow_none=True)
    siren = fields.String(load_default=None, allow_none=True)
    postcode = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True)


@blueprint.post("/firms/match")
@api_roles(Role.ADMIN, Role.DEVELOPER)
def match():
    """Ranked candidates {firm_id, name, score, reasons, followed_by} for the given firm."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Corps JSON attendu : {name, siret, postcode, email, phone}.")
    try:
        data = MatchRequest().load(body)
        probe = services.probe_from(**data)
    except ValidationError as error:
        abort(400, description=error.messages)
    except identifiers.InvalidIdentifier as error:
        abort(400, description=str(error))
    if not (probe.name.strip() or probe.siret or probe.siren or probe.email_domain or probe.phone):
        abort(400, description="Indiquez au moins un nom, un SIRET, un courriel ou un téléphone.")
    candidates = services.match(db.session, probe)
    for candidate in candidates:
        candidate["followed_by_text"] = services.followed_by_text(candidate)
    return jsonify({"candidates": candidates})
