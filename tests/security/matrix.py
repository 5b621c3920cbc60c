"""The authorisation table of every URL rule, and the means to send requests as a principal.

Principals:

- ``anonymous``: no session;
- ``marketing``: a marketing user (EPA Sénart);
- ``dev_a``: a developer of organisation A (SAN Sénart 77), which owns the CRM objects of the
  world (lead, confidential lead), operates its site and organises its event;
- ``dev_b``: a developer of organisation B (CAMVS): shared CRM, none of A's own objects;
- ``admin``: an administrator (Région), of neither A nor B;
- ``token_dev_a`` / ``token_marketing``: the same users through a Bearer token, no cookie;
- ``bad_token``: a revoked Bearer token (its request is anonymous, refused under /api/).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from tests.helpers import csrf_token, login
from tests.security.world import (
    CONTACT_EMAIL,
    CONTACT_MARKERS,
    HOLDER_MARKERS,
    SECRET_MARKERS,
    World,
)

PRINCIPALS = (
    "anonymous",
    "marketing",
    "dev_a",
    "dev_b",
    "admin",
    "token_dev_a",
    "token_marketing",
    "bad_token",
)
ACTS_AS = {"token_dev_a": "dev_a", "token_marketing": "marketing", "bad_token": "anonymous"}
ROLE = {
    "anonymous": None,
    "marketing": "marketing",
    "dev_a": "developer",
    "dev_b": "developer",
    "admin": "admin",
}
ALL_ROLES = frozenset({"admin", "developer", "marketing"})
CRM_ROLES = frozenset({"admin", "developer"})
IGNORED_METHODS = {"HEAD", "OPTIONS"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Who sends a request to each rule: the first of these that the table lets in.
SENDERS = ("dev_a", "admin", "marketing", "anonymous")
REFUSED_PAGE = "<h1>Requête invalide</h1>"  # the French page of a 400


class Outcome(Enum):
    """What a principal gets."""

    OK = "allowed"
    LOGIN = "302 to /connexion"
    DENIED = "403"
    MISSING = "404"
    API_UNAUTHENTICATED = "401 JSON"
    API_DENIED = "403 JSON"
    CSRF = "400 (CSRF)"


@dataclass(frozen=True)
class Access:
    """Who may: ``roles`` (None: anyone, anonymous included), narrowed by ``only`` (the
    principals that pass the object's own check; the others of those roles get 403)."""

    roles: frozenset[str] | None
    only: frozenset[str] | None = None


ANYONE = Access(None)
LOGGED_IN = Access(ALL_ROLES)
PITCH = Access(ALL_ROLES)  # marketing, developers, admins
CRM = Access(CRM_ROLES)
EDITOR = Access(CRM_ROLES)
ADMIN = Access(frozenset({"admin"}))
OPERATOR_A = Access(CRM_ROLES, only=frozenset({"dev_a", "admin"}))  # A's site, A's event
ORGANISATION_A = Access(CRM_ROLES, only=frozenset({"dev_a"}))  # A's leads: not even admins


@dataclass(frozen=True)
class Case:
    """One URL of a rule (its arguments from the world) and who may use it, per method."""

    access: dict[str, Access]
    args: Callable[[World], dict] = lambda w: {}
    data: Callable[[World], dict] | None = None  # form sent with POST
    json: Callable[[World], dict] | None = None  # JSON sent with POST
    ok: dict[str, frozenset[int]] = field(default_factory=dict)  # statuses of an allowed call
    to_login: bool = False  # an allowed call may send to the login page (the login's own steps)


def case(args=None, *, data=None, json=None, ok=None, to_login=False, **access: Access) -> Case:
    """A Case; ``GET=…, POST=…`` name the access per method."""
    return Case(
        access=access,
        args=args or (lambda w: {}),
        data=data,
        json=json,
        ok={method: frozenset(statuses) for method, statuses in (ok or {}).items()},
        to_login=to_login,
    )


def formats(endpoint_args: Callable[[str], dict], access: Access) -> list[Case]:
    """One case per file format."""
    return [case(lambda w, f=f: endpoint_args(f), GET=access) for f in ("csv", "xlsx", "geojson")]


# Every rule of the URL map, by endpoint. A rule missing here fails the matrix tests.
TABLE: dict[str, list[Case]] = {
    # Public pages and files
    "sites.home": [case(GET=ANYONE)],
    "sites.search": [
        case(GET=ANYONE),
        case(lambda w: {"view": "liste", "kind": "workshop"}, GET=ANYONE),
    ],
    "sites.site": [case(lambda w: {"slug": w.site_slug}, GET=ANYONE)],
    "sites.premises": [case(lambda w: {"premises_id": w.premises_id}, GET=ANYONE)],
    "backoffice.public_events": [case(GET=ANYONE)],
    "backoffice.photo_file": [case(lambda w: {"name": w.photo_name}, GET=ANYONE)],
    "inquiries.new": [
        case(
            lambda w: {"site": w.site_slug},
            GET=ANYONE,
            POST=ANYONE,
            data=lambda w: {},
            ok={"POST": {302, 400}},
        ),
    ],
    "inquiries.thanks": [case(GET=ANYONE)],
    "health.healthz": [case(GET=ANYONE)],
    "csp.report": [
        case(
            POST=ANYONE,
            json=lambda w: {"csp-report": {"blocked-uri": "inline", "document-uri": "/"}},
            ok={"POST": {204}},
        )
    ],
    "static": [case(lambda w: {"filename": "css/app.css"}, GET=ANYONE)],
    "vendor.asset": [case(lambda w: {"package": "leaflet", "filename": "leaflet.css"}, GET=ANYONE)],
    "auth.login": [
        case(
            GET=ANYONE,
            POST=ANYONE,
            ok={"GET": {200, 302}, "POST": {302, 401}},
            data=lambda w: {"email": "personne@example.fr", "password": "mauvais mot de passe"},
        ),
    ],
    "auth.logout": [case(POST=ANYONE, ok={"POST": {302}})],
    # The second step of a login: without a first step, back to the login page
    "auth.second_factor": [
        case(GET=ANYONE, POST=ANYONE, ok={"GET": {302}, "POST": {302}}, to_login=True)
    ],
    # Public API
    "api-docs.openapi_json": [case(GET=ANYONE)],
    "api.sites": [case(GET=ANYONE)],
    "api.premises": [case(GET=ANYONE), case(lambda w: {"format": "rows"}, GET=ANYONE)],
    "api.premises_one": [case(lambda w: {"premises_id": w.premises_id}, GET=ANYONE)],
    "api.premises_tile": [
        case(lambda w: {"z": 10, "x": 519, "y": 353}, GET=ANYONE),
        case(lambda w: {"z": 16, "x": 33244, "y": 22619, "kind": "office"}, GET=ANYONE),
    ],
    "api.sites_tile": [case(lambda w: {"z": 12, "x": 2077, "y": 1413}, GET=ANYONE)],
    "auth_api.me": [case(GET=LOGGED_IN)],
    "crm_api.match": [
        case(POST=CRM, json=lambda w: {"name": "Société Discrète Industrie"}, ok={"POST": {200}}),
    ],
    # Shared CRM: every developer and admin, whichever organisation made the firm
    "crm.firms": [case(GET=CRM), case(lambda w: {"q": "Discrète"}, GET=CRM)],
    "crm.new_firm": [case(GET=CRM, POST=CRM, data=lambda w: {})],
    "crm.firm": [
        case(lambda w: {"firm_id": w.firm_id}, GET=CRM),
        case(lambda w: {"firm_id": w.secret_firm_id}, GET=CRM),
    ],
    "crm.edit_firm": [case(lambda w: {"firm_id": w.firm_id}, GET=CRM, POST=CRM, data=lambda w: {})],
    "crm.add_contact": [
        case(
            lambda w: {"firm_id": w.firm_id},
            POST=CRM,
            ok={"POST": {302}},
            data=lambda w: {"name": "Nouvelle Personne", "email": "nouvelle@example.fr"},
        ),
    ],
    "crm.log_interaction": [
        case(lambda w: {"firm_id": w.firm_id}, POST=CRM, ok={"POST": {302}}, data=lambda w: {})
    ],
    "crm.new_lead": [case(lambda w: {"firm_id": w.firm_id}, GET=CRM, POST=CRM, data=lambda w: {})],
    "crm.entity_history": [
        case(lambda w: {"kind": "entreprises", "entity_id": w.secret_firm_id}, GET=CRM),
        case(lambda w: {"kind": "projets", "entity_id": w.lead_id}, GET=CRM),
        case(lambda w: {"kind": "projets", "entity_id": w.secret_lead_id}, GET=ORGANISATION_A),
    ],
    "crm.lead": [
        case(lambda w: {"lead_id": w.lead_id}, GET=CRM),
        case(lambda w: {"lead_id": w.secret_lead_id}, GET=CRM),
    ],  # details hidden
    "crm.edit_lead": [
        case(
            lambda w: {"lead_id": w.lead_id},
            GET=ORGANISATION_A,
            POST=ORGANISATION_A,
            data=lambda w: {},
        )
    ],
    "crm.claim": [case(lambda w: {"lead_id": w.lead_id}, POST=ORGANISATION_A, ok={"POST": {302}})],
    "crm.inquiry_to_lead": [
        case(
            lambda w: {"inquiry_id": w.inquiry_id},
            GET=CRM,
            POST=CRM,
            data=lambda w: {"firm_id": "new"},
            ok={"POST": {302}},
        ),
    ],
    "inquiries.index": [case(GET=CRM)],
    "inquiries.mark_handled": [
        case(lambda w: {"inquiry_id": w.inquiry_id}, POST=CRM, ok={"POST": {302}})
    ],
    "merge.choose": [case(lambda w: {"firm_id": w.firm_id}, GET=CRM)],
    "merge.confirm": [case(lambda w: {"firm_id": w.firm_id, "other_id": w.twin_id}, GET=CRM)],
    "merge.merge": [
        case(
            lambda w: {"firm_id": w.firm_id, "other_id": w.twin_id},
            POST=CRM,
            ok={"POST": {302}},
            data=lambda w: {
                "survivor_id": w.firm_id,
                "absorbed_id": w.twin_id,
                "survivor_version": w.firm_version,
                "absorbed_version": w.twin_version,
            },
        ),
    ],
    "merge.undo": [case(lambda w: {"merge_id": w.merge_id}, POST=CRM, ok={"POST": {302}})],
    # Journeys, pipeline, dashboard
    "journeys.firm_journey": [case(lambda w: {"firm_id": w.firm_id}, GET=CRM)],
    "journeys.add_occupancy": [
        case(lambda w: {"firm_id": w.firm_id}, POST=CRM, ok={"POST": {302}})
    ],
    "journeys.end_occupancy": [
        case(lambda w: {"occupancy_id": w.occupancy_id}, POST=CRM, ok={"POST": {302}})
    ],
    "journeys.board": [case(GET=CRM), case(lambda w: {"vue": "partagee"}, GET=CRM)],
    "journeys.move": [
        case(
            lambda w: {"lead_id": w.lead_id},
            POST=ORGANISATION_A,
            data=lambda w: {"stage": "qualified"},
            ok={"POST": {302}},
        )
    ],
    "journeys.lead_matches": [
        case(lambda w: {"lead_id": w.lead_id}, GET=CRM, POST=CRM, ok={"POST": {302}}),
        case(
            lambda w: {"lead_id": w.secret_lead_id},
            GET=ORGANISATION_A,
            POST=ORGANISATION_A,
            ok={"POST": {302}},
        ),
    ],
    "journeys.premises_leads": [case(lambda w: {"premises_id": w.premises_id}, GET=CRM)],
    "journeys.incubator_alerts": [case(GET=CRM)],
    "journeys.propose_from_alert": [
        case(lambda w: {"occupancy_id": w.occupancy_id}, POST=CRM, ok={"POST": {302}})
    ],
    "journeys.dashboard_page": [case(GET=CRM)],
    "journeys.dashboard_csv": [case(lambda w: {"key": "projets-par-mois"}, GET=CRM)],
    # Back-office: the operator's developers and admins
    "backoffice.index": [case(GET=EDITOR)],
    "backoffice.new_site": [case(GET=EDITOR, POST=EDITOR, data=lambda w: {})],
    "backoffice.site": [case(lambda w: {"site_id": w.site_id}, GET=OPERATOR_A)],
    "backoffice.edit_site": [
        case(lambda w: {"site_id": w.site_id}, GET=OPERATOR_A, POST=OPERATOR_A, data=lambda w: {})
    ],
    "backoffice.site_history": [case(lambda w: {"site_id": w.site_id}, GET=OPERATOR_A)],
    "backoffice.add_site_photo": [
        case(
            lambda w: {"site_id": w.site_id}, POST=OPERATOR_A, data=lambda w: {}, ok={"POST": {400}}
        )
    ],
    "backoffice.export_premises": [case(lambda w: {"site_id": w.site_id}, GET=OPERATOR_A)],
    "backoffice.import_premises": [
        case(lambda w: {"site_id": w.site_id}, GET=OPERATOR_A, POST=OPERATOR_A, data=lambda w: {})
    ],
    "backoffice.new_premises": [
        case(lambda w: {"site_id": w.site_id}, GET=OPERATOR_A, POST=OPERATOR_A, data=lambda w: {})
    ],
    "backoffice.edit_premises": [
        case(
            lambda w: {"premises_id": w.premises_id},
            GET=OPERATOR_A,
            POST=OPERATOR_A,
            data=lambda w: {},
        )
    ],
    "backoffice.duplicate_premises": [
        case(lambda w: {"premises_id": w.premises_id}, POST=OPERATOR_A, ok={"POST": {302}})
    ],
    "backoffice.archive_premises": [
        case(
            lambda w, a=action: {"premises_id": w.premises_id, "action": a},
            POST=OPERATOR_A,
            ok={"POST": {302}},
        )
        for action in ("archiver", "restaurer")
    ],
    "backoffice.add_premises_photo": [
        case(lambda w: {"premises_id": w.premises_id}, POST=OPERATOR_A, ok={"POST": {400}})
    ],
    "backoffice.photo_alt_text": [
        case(
            lambda w: {"photo_id": w.photo_id},
            POST=OPERATOR_A,
            ok={"POST": {302}},
            data=lambda w: {"alt_text": "Le bâtiment principal"},
        ),
    ],
    "backoffice.move_photo": [
        case(
            lambda w, d=direction: {"photo_id": w.photo_id, "direction": d},
            POST=OPERATOR_A,
            ok={"POST": {302}},
        )
        for direction in ("monter", "descendre")
    ],
    "backoffice.delete_photo": [
        case(lambda w: {"photo_id": w.photo_id}, POST=OPERATOR_A, ok={"POST": {302}})
    ],
    "backoffice.event_list": [case(GET=EDITOR)],
    "backoffice.new_event": [case(GET=EDITOR, POST=EDITOR, data=lambda w: {})],
    "backoffice.edit_event": [
        case(lambda w: {"event_id": w.event_id}, GET=OPERATOR_A, POST=OPERATOR_A, data=lambda w: {})
    ],
    # Pitch material: marketing, developers, admins; the CNIG import: admins
    "exports.index": [case(GET=PITCH)],
    "exports.brochure": [case(GET=PITCH)],
    "exports.site_sheet": [case(lambda w: {"slug": w.site_slug}, GET=PITCH)],
    "exports.sites_file": formats(lambda f: {"file_format": f}, PITCH),
    "exports.premises_file": formats(lambda f: {"file_format": f}, PITCH),
    "exports.cnig_package": [case(GET=PITCH)],
    "exports.cnig_import_files": [case(POST=ADMIN, data=lambda w: {}, ok={"POST": {400}})],
    # Administration
    "admin.users": [case(GET=ADMIN)],
    "admin.deactivate": [
        case(lambda w: {"user_id": w.user_ids["dev_b"]}, POST=ADMIN, ok={"POST": {302}})
    ],
    "admin.reactivate": [
        case(lambda w: {"user_id": w.user_ids["dev_b"]}, POST=ADMIN, ok={"POST": {302}})
    ],
    "admin.reset_two_factor": [
        case(lambda w: {"user_id": w.user_ids["dev_b"]}, POST=ADMIN, ok={"POST": {302}})
    ],
    "privacy.requests": [
        case(GET=ADMIN, POST=ADMIN, data=lambda w: {"email": CONTACT_EMAIL}, ok={"POST": {200}})
    ],
    "privacy.export": [
        case(POST=ADMIN, data=lambda w: {"email": CONTACT_EMAIL}, ok={"POST": {200}})
    ],
    "privacy.erase": [  # without the confirmation box: the page says what would be erased
        case(POST=ADMIN, data=lambda w: {"email": CONTACT_EMAIL}, ok={"POST": {400}})
    ],
    # One's own account: every logged-in user
    "auth.account": [case(GET=LOGGED_IN)],
    "auth.password": [case(GET=LOGGED_IN, POST=LOGGED_IN, data=lambda w: {})],
    "auth.two_factor": [
        case(GET=LOGGED_IN, POST=LOGGED_IN, data=lambda w: {}, ok={"POST": {200, 400}})
    ],
    "auth.disable_two_factor": [case(POST=LOGGED_IN, ok={"POST": {302, 400}})],
    "auth.renew_recovery_codes": [case(POST=LOGGED_IN, ok={"POST": {302, 400}})],
    # The privacy notice
    "privacy.notice_page": [case(GET=ANYONE)],
}


DEFAULT_OK = {"GET": frozenset({200})}
DEFAULT_OK_WRITE = frozenset({200, 302, 303, 400, 409})


def methods_of(rule: Rule) -> list[str]:
    """The methods a rule answers, HEAD and OPTIONS aside."""
    return sorted(set(rule.methods or ()) - IGNORED_METHODS)


def is_api(rule: Rule) -> bool:
    """Whether the rule is under /api/ (JSON errors, Bearer tokens)."""
    return rule.rule.startswith("/api/")


def csrf_exempt(app: Flask, endpoint: str) -> bool:
    """Whether Flask-WTF's global check leaves the view out."""
    from hosting_app.extensions import csrf

    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views


def untabled(app: Flask) -> list[str]:
    """The rules, or methods of rules, that the table does not name."""
    missing = []
    for rule in app.url_map.iter_rules():
        cases = TABLE.get(rule.endpoint)
        if not cases:
            missing.append(f"{rule.endpoint} ({rule.rule})")
            continue
        for method in methods_of(rule):
            if not any(method in c.access for c in cases):
                missing.append(f"{rule.endpoint} {method} ({rule.rule})")
    return missing


def expected(access: Access, principal: str, method: str, *, api: bool, exempt: bool) -> Outcome:
    """What ``principal`` must get from a rule guarded by ``access``."""
    acting = ACTS_AS.get(principal, principal)
    if principal == "bad_token":
        if api:
            return Outcome.API_UNAUTHENTICATED  # a refused token is never read as anonymous
        if method in WRITE_METHODS and not exempt:
            return Outcome.CSRF  # its cookies are ignored: no session, no CSRF token
    if access.roles is None:
        return Outcome.OK
    if acting == "anonymous":
        return Outcome.API_UNAUTHENTICATED if api else Outcome.LOGIN
    if ROLE[acting] not in access.roles:
        return Outcome.API_DENIED if api else Outcome.DENIED
    if access.only is not None and acting not in access.only:
        return Outcome.DENIED
    return Outcome.OK


def _is_error_page(response: TestResponse, code: int) -> bool:
    titles = {400: "Requête invalide", 403: "Accès refusé", 404: "Page introuvable"}
    return f"<h1>{titles[code]}</h1>" in response.get_data(as_text=True)


def _location(response: TestResponse) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def _api_error(response: TestResponse, code: int) -> str | None:
    body = response.get_json(silent=True)
    if response.status_code != code:
        return f"expected {code} JSON, got {response.status_code}"
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return f"{code} without a JSON error: {response.get_data(as_text=True)[:200]!r}"
    if code == 401 and response.headers.get("WWW-Authenticate") != "Bearer":
        return "401 without WWW-Authenticate: Bearer"
    return None


def judge(
    outcome: Outcome, response: TestResponse, ok: frozenset[int], *, to_login: bool = False
) -> str | None:
    """Why the response is not the expected outcome, or None."""
    status = response.status_code
    if outcome is Outcome.OK:
        if status not in ok:
            return f"allowed: expected {sorted(ok)}, got {status}"
        if status == 400 and _is_error_page(response, 400):
            return "allowed, but refused as a bad request (CSRF or bad form)"
        if status in (302, 303) and _location(response) == "/connexion" and not to_login:
            return "allowed, but sent to the login page"
        return None
    if outcome is Outcome.LOGIN:
        if status != 302 or _location(response) != "/connexion":
            return f"expected a redirect to /connexion, got {status} {_location(response)}"
        return None
    if outcome is Outcome.DENIED:
        return None if status == 403 else f"expected 403, got {status}"
    if outcome is Outcome.MISSING:
        return None if status == 404 else f"expected 404, got {status}"
    if outcome is Outcome.CSRF:
        if status != 400 or not _is_error_page(response, 400):
            return f"expected the 400 page of a missing CSRF token, got {status}"
        return None
    code = 401 if outcome is Outcome.API_UNAUTHENTICATED else 403
    return _api_error(response, code)


# --- Sending requests as a principal -------------------------------------------------------

WRITES = sa.text(
    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
    "WHERE relname <> 'api_token'"  # a token's last use is noted on every kind of request
)
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Caller:
    """A test client acting as one principal: its cookies, its token or CSRF token."""

    name: str
    client: FlaskClient
    headers: dict[str, str]
    csrf: str | None

    def send(self, method: str, url: str, *, data=None, json=None) -> TestResponse:
        """A request with the principal's credentials (and CSRF token, for a session); the
        client's cookies are put back afterwards, so that a logout ends nothing for the next
        request (as the savepoint's rollback puts back the rows)."""
        headers = dict(self.headers)
        if method in WRITE_METHODS and self.csrf is not None:
            headers["X-CSRFToken"] = self.csrf
            if json is None:
                data = {**(data or {}), "csrf_token": self.csrf}
        cookies = dict(self.client._cookies)
        try:
            return self.client.open(url, method=method, headers=headers, data=data, json=json)
        finally:
            self.client._cookies.clear()
            self.client._cookies.update(cookies)


def caller(app: Flask, world: World, name: str) -> Caller:
    """A logged-in (or token-bearing, or anonymous) client for ``name``."""
    client = app.test_client()
    if name in world.tokens:
        return Caller(name, client, {"Authorization": f"Bearer {world.tokens[name]}"}, None)
    if name == "anonymous":
        token = csrf_token(client.get("/connexion").get_data(as_text=True))
        return Caller(name, client, {}, token)
    response = login(client, world.emails[name])
    assert response.status_code == 302, f"{name} could not log in"
    match = META_CSRF.search(client.get("/").get_data(as_text=True))
    assert match, f"no CSRF token on the home page of {name}"
    return Caller(name, client, {}, match.group(1))


def writes(connection: sa.Connection) -> int:
    """Rows inserted, updated or deleted so far in the test's transaction (tokens aside)."""
    return int(connection.execute(WRITES).scalar_one())


def leaked(principal: str, text: str) -> list[str]:
    """The texts ``principal`` must never receive that are in ``text``: the confidential
    lead's details outside organisation A, its holder for developers of other organisations,
    marketing and the public, contact persons' emails and phones for marketing and the public
    (admins list every user, the holder included, on the accounts page)."""
    acting = ACTS_AS.get(principal, principal)
    markers = []
    if acting != "dev_a":
        markers += SECRET_MARKERS
    if acting in ("anonymous", "marketing", "dev_b"):
        markers += HOLDER_MARKERS
    if acting in ("anonymous", "marketing"):
        markers += CONTACT_MARKERS
    return [marker for marker in markers if marker in text]


ALL_MARKERS = (*SECRET_MARKERS, *HOLDER_MARKERS, *CONTACT_MARKERS)
# What organisation A's developer must see somewhere: else the leak checks would prove nothing.
SHOWN_TO_DEV_A = (*SECRET_MARKERS, HOLDER_MARKERS[0], CONTACT_MARKERS[0], "01 64 98 76 54")
