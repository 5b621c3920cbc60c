"""Schemathesis against the app's own OpenAPI document: generated calls, anonymous and with a
developer's Bearer token, never get a 5xx and always get what the document describes."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from marshmallow import ValidationError

from hosting_app import create_app
from hosting_app.auth import tokens
from hosting_app.leads import identifiers
from hosting_app.sites.filters import BBox

BOUNDED = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _document() -> dict:
    """The OpenAPI document the app serves (made by an app of its own: no database needed)."""
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://unused/unused",
                      "SECRET_KEY": "openapi"})  # fmt: skip
    return app.test_client().get("/api/openapi.json").get_json()


# Loaded when the module is collected; the calls go to the session's app (database and all).
schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture
def developer_token(session, make_user) -> str:
    """A developer's personal API token (the clear token)."""
    email = make_user("developer", "camvs", email="api.dev@camvs.example")
    _api_token, token = tokens.create_token(session, email=email, name="schemathesis")
    session.commit()
    return token


KNOWN_COMMUNE = "77251"  # Lieusaint
VALID_BBOX = "2.4,48.4,2.8,48.7"


def coherent(case) -> None:
    """Make a schema-valid query also meet the rules between parameters, which OpenAPI cannot
    state (and the API answers with a documented 400): lat with lon, a point or a commune,
    a radius or a distance sort with a centre, surfaces in order, a known commune, a bbox
    whose minimums are below its maximums. Negative cases are left as generated."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if isinstance(case.body, dict):
        case.body = coherent_match(case.body)
    if not case.query:
        return
    # A blank value means « no filter » (filters.without_blanks).
    query = {k: v for k, v in case.query.items() if not (isinstance(v, str) and not v.strip())}
    if ("lat" in query) != ("lon" in query):
        query.pop("lat", None)
        query.pop("lon", None)
    if "near" in query:
        if "lat" in query:
            del query["near"]
        else:
            query["near"] = KNOWN_COMMUNE
    if "lat" not in query and "near" not in query:
        query.pop("radius_km", None)
        if str(query.get("sort", "")).lstrip("-") == "distance":
            del query["sort"]
    low, high = query.get("surface_min"), query.get("surface_max")
    if low is not None and high is not None and low > high:
        query["surface_min"], query["surface_max"] = high, low
    if "bbox" in query:
        try:
            BBox().deserialize(query["bbox"])
        except ValidationError:
            query["bbox"] = VALID_BBOX
    case.query = query


def coherent_match(body: dict) -> dict:
    """A match request whose identifiers pass their checks (SIRET and SIREN keys, a real
    phone number) and that names at least something, as the API asks (else a 400)."""
    body = dict(body)
    for name, clean, valid in (
        ("siret", identifiers.clean_siret, "73282932000074"),
        ("siren", identifiers.clean_siren, "732829320"),
        ("phone", identifiers.clean_phone, "01 64 10 20 30"),
    ):
        try:
            clean(body.get(name))
        except identifiers.InvalidIdentifier:
            body[name] = valid
    if not any((body.get(k) or "").strip() for k in ("name", "siret", "siren", "email", "phone")):
        body["name"] = "Atelier"
    return body


@schema.parametrize()
@BOUNDED
def test_anonymous_calls(app, case):
    coherent(case)
    case.operation.schema.app = app  # Schemathesis's own probes go there too
    case.call_and_validate(app=app)


@schema.include(path_regex=r"^/api/(me|firms/match)$").parametrize()
@BOUNDED
def test_developer_token_calls(app, case, developer_token):
    coherent(case)
    case.operation.schema.app = app
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {developer_token}"})


def test_the_document_names_the_authenticated_operations(app):
    """/api/me and POST /api/firms/match are documented, with their Bearer security."""
    document = app.test_client().get("/api/openapi.json").get_json()
    assert {"/api/me", "/api/firms/match"} <= set(document["paths"])
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert document["paths"]["/api/firms/match"]["post"]["security"] == [{"bearerAuth": []}]
