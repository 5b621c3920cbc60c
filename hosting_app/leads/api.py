"""POST /api/firms/match: the duplicate candidates of a firm about to be created."""

from __future__ import annotations

from functools import wraps

from flask import abort, jsonify, request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from hosting_app.api.views import ApiError
from hosting_app.auth.models import Role
from hosting_app.extensions import db
from hosting_app.leads import identifiers, services

blueprint = Blueprint(
    "crm_api", __name__, url_prefix="/api",
    description="CRM partagé : jeton personnel (Authorization: Bearer) ou session et jeton CSRF",
)  # fmt: skip
BEARER = [{"bearerAuth": []}]


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


# PostgreSQL text holds no NUL character: refused here rather than failing in the query.
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="Caractère nul (\\u0000) refusé.")
POSTCODE = validate.Regexp(r"^\s*(\d{5})?\s*$", error="Code postal : cinq chiffres attendus.")


def _text(
    label: str, pattern: validate.Regexp = NO_NUL, *, max_length: int | None = None, **kwargs
) -> fields.String:
    """A text parameter matching ``pattern`` (by default: any text without NUL), whose
    refusals are told in French under the parameter's label."""
    validators: list = [pattern]
    if max_length is not None:
        too_long = f"{label} : {max_length} caractères au plus."
        validators.insert(0, validate.Length(max=max_length, error=too_long))
    expected = f"{label} : texte attendu."
    return fields.String(
        validate=validators,
        error_messages={"invalid": expected, "null": expected, "invalid_utf8": expected},
        **kwargs,
    )


class MatchRequest(Schema):
    """What is known of the firm."""

    name = _text("Nom", max_length=250, load_default="")
    siret = _text("SIRET", load_default=None, allow_none=True)
    siren = _text("SIREN", load_default=None, allow_none=True)
    postcode = _text("Code postal", POSTCODE, load_default=None, allow_none=True)
    email = _text("Courriel", max_length=254, load_default=None, allow_none=True)
    phone = _text("Téléphone", load_default=None, allow_none=True)


class Follower(Schema):
    """An organisation that follows a candidate (a confidential lead says only that)."""

    organisation = fields.String(required=True)
    organisation_key = fields.String(required=True)
    since = fields.Date(required=True, allow_none=True)
    last_contact = fields.Date(required=True, allow_none=True)
    confidential = fields.Boolean(required=True)


class Candidate(Schema):
    """A firm of the CRM that may be the same, with its score and who follows it."""

    firm_id = fields.Integer(required=True)
    name = fields.String(required=True)
    siret = fields.String(required=True, allow_none=True)
    postcode = fields.String(required=True, allow_none=True)
    city = fields.String(required=True, allow_none=True)
    score = fields.Float(required=True)
    likely = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True)
    followed_by = fields.List(fields.Nested(Follower), required=True)
    followed_by_text = fields.List(fields.String(), required=True)


class MatchResponse(Schema):
    """The candidates, best first."""

    candidates = fields.List(fields.Nested(Candidate), required=True)


@blueprint.route("/firms/match", methods=["POST"])
@blueprint.doc(
    security=BEARER,
    requestBody={"required": True, "content": {"application/json": {"schema": MatchRequest}}},
)
@blueprint.response(200, MatchResponse)
@blueprint.alt_response(400, schema=ApiError, description="Corps invalide (ou jeton CSRF manquant)")
@blueprint.alt_response(401, schema=ApiError, description="Authentification requise")
@blueprint.alt_response(403, schema=ApiError, description="Réservé aux développeurs")
@api_roles(Role.ADMIN, Role.DEVELOPER)
def match():
    """Entreprises du CRM qui pourraient être celle-ci, classées, avec qui les suit."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Corps JSON attendu : {name, siret, postcode, email, phone}.")
    try:
        return jsonify(candidates_for(body))
    except ValidationError as error:
        abort(400, description=error.messages)
    except (identifiers.InvalidIdentifier, NothingToMatch) as error:
        abort(400, description=str(error))


class NothingToMatch(ValueError):
    """A match request without a name, an identifier, an e-mail or a phone."""


def candidates_for(body: dict) -> dict:
    """The answer to a match request — this API's and ``hosting-app firms match``'s:
    {"candidates": [...]}, best first. Raises ValidationError (by parameter),
    InvalidIdentifier or NothingToMatch, each with French messages."""
    data = MatchRequest().load(body)
    probe = services.probe_from(**data)
    if not (probe.name.strip() or probe.siret or probe.siren or probe.email_domain or probe.phone):
        raise NothingToMatch("Indiquez au moins un nom, un SIRET, un courriel ou un téléphone.")
    candidates = services.match(db.session, probe)
    for candidate in candidates:
        candidate["followed_by_text"] = services.followed_by_text(candidate)
    return {"candidates": candidates}
