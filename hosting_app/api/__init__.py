"""The public JSON API (GeoJSON) and its OpenAPI 3 document."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api as SmorestApi

from hosting_app.api.views import ApiError


class Api(SmorestApi):
    """flask-smorest's Api, whose errors are rendered by the app's own handlers."""

    ERROR_SCHEMA = ApiError  # what those handlers answer: {"error": …, "fields": …}

    def _register_error_handlers(self):
        """The app answers JSON errors for /api/ paths itself (see create_app)."""


def register(app: Flask) -> None:
    """Mount the API blueprints and the OpenAPI document at /api/openapi.json."""
    from hosting_app import cache
    from hosting_app.api.views import blueprint
    from hosting_app.auth.api import blueprint as me_blueprint
    from hosting_app.leads.api import blueprint as match_blueprint

    app.config.setdefault(
        "API_TITLE", "Offre d'accueil des entreprises — Sénart / Melun Val de Seine"
    )
    app.config.setdefault("API_VERSION", "1.0")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Sites d'accueil des entreprises et locaux disponibles du "
                "territoire de Sénart et Melun Val de Seine, en GeoJSON (WGS84). "
                "Les locaux marqués is_demo sont fictifs.",
            },
            "servers": [{"url": "/"}],
        },
    )
    api = Api(app)
    # An empty query parameter means « no filter » (see filters.without_blanks): say so.
    api.ma_plugin.converter.add_parameter_attribute_function(_empty_means_no_filter)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(blueprint)
    api.register_blueprint(me_blueprint)
    api.register_blueprint(match_blueprint)
    cache.init_app(app)  # the response cache of the public GETs (hosting_app/cache.py)


def _empty_means_no_filter(_converter, _field, ret: dict, **_kwargs) -> dict:
    """OpenAPI's allowEmptyValue on every query parameter."""
    return {"allowEmptyValue": True} if ret.get("in") == "query" else {}
