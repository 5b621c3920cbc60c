"""hosting_app: the business-hosting and premises offer of Sénart / Melun Val de Seine."""

from __future__ import annotations

import inspect
import os
from typing import Any
from urllib.parse import quote_from_bytes

from flask import Flask, Request, abort, render_template, request
from flask_login import current_user

from hosting_app import config as app_config
from hosting_app import extensions


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Flask application."""
    instance_path = os.environ.get("HOSTING_APP_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
    )
    app.config.from_mapping(app_config.from_environment(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_ENGINES"] = {"default": engine_options(app)}
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def database_url(app: Flask) -> str:
    """The configured DATABASE_URL, or the embedded PostGIS cluster's in the instance folder."""
    url = app.config.get("DATABASE_URL")
    if not url:
        from hosting_app.embedded_pg import EmbeddedPostgres

        cluster = EmbeddedPostgres(app.config.get("EMBEDDED_PG_DIR") or _embedded_dir(app))
        url = cluster.ensure_database(app.config["DATABASE_NAME"], extensions=("postgis",))
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def engine_options(app: Flask) -> dict[str, Any]:
    """The default engine: its URL and the pool settings (no connection is opened here)."""
    return {
        "url": database_url(app),
        "pool_size": app.config["DATABASE_POOL_SIZE"],
        "max_overflow": app.config["DATABASE_MAX_OVERFLOW"],
        "pool_recycle": app.config["DATABASE_POOL_RECYCLE"],
        "pool_timeout": app.config["DATABASE_POOL_TIMEOUT"],
        "connect_args": {"connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"]},
    }


def _embedded_dir(app: Flask) -> str:
    return os.path.join(app.instance_path, "postgres")


def register_extensions(app: Flask) -> None:
    """Bind the extensions to the app."""
    from hosting_app import limits, security
    from hosting_app.auth import models as auth_models
    from hosting_app.auth import sessions as auth_sessions
    from hosting_app.auth import tokens

    db, csrf, login_manager = extensions.db, extensions.csrf, extensions.login_manager
    security.init_app(app)  # security headers on every response; HTTPS when FORCE_HTTPS
    db.init_app(app)
    # The app uses no async engine: drop the extension's async teardown, which Flask would
    # otherwise run through asgiref (an event loop per request, and an error in threads
    # that already run one).
    app.teardown_appcontext_funcs[:] = [
        func for func in app.teardown_appcontext_funcs if not inspect.iscoroutinefunction(func)
    ]
    # Flask-WTF's own check is replaced by check_token_or_csrf below (same conditions), which
    # spares the requests authenticated by a Bearer token.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    login_manager.init_app(app)
    tokens.init_app(app)  # a Bearer request reads no cookie and gets none
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    # The session keeps the user's id and session token: deactivation, logout, a new password
    # end every session of the user (see auth/sessions.py).
    login_manager.user_loader(auth_sessions.load_user)

    @login_manager.request_loader
    def load_user_from_token(request: Request) -> auth_models.User | None:
        token = tokens.bearer_token(request)
        api_token = tokens.valid_token(db.session, token=token) if token else None
        if api_token is None:
            return None
        user = api_token.user
        if tokens.record_use(db.session, api_token=api_token):
            db.session.commit()
        return user

    @app.before_request
    def check_token_or_csrf() -> None:
        """Judge a Bearer request on its token alone; hold the others to CSRF as Flask-WTF does."""
        if tokens.bearer_token(request) is not None:
            if current_user.is_authenticated:
                return  # browsers never send a Bearer token by themselves: no CSRF to fear
            if request.path.startswith("/api/"):
                abort(401, description=tokens.REFUSED_MESSAGE)
        if request.path.startswith("/api/") and not current_user.is_authenticated:
            return  # every API write needs a user: its view answers 401, not a CSRF 400
        if app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)

    app.before_request(auth_sessions.enforce_limits)  # idle and absolute timeouts, admins' 2FA
    limits.init_app(app)  # Flask-Limiter and the failed-login counters (Redis or memory)


def register_blueprints(app: Flask) -> None:
    """Register one blueprint per feature."""
    from hosting_app.db import IdConverter, SlugConverter

    app.url_map.converters["int"] = IdConverter  # ids in URLs fit PostgreSQL's integer
    app.url_map.converters["slug"] = SlugConverter
    from hosting_app.admin.views import blueprint as admin_blueprint
    from hosting_app.api import register as register_api
    from hosting_app.auth.views import blueprint as auth_blueprint
    from hosting_app.backoffice.views import register as register_backoffice
    from hosting_app.csp_reports import blueprint as csp_blueprint
    from hosting_app.exports.views import blueprint as exports_blueprint
    from hosting_app.health import register as register_health
    from hosting_app.inquiries.views import register as register_inquiries
    from hosting_app.journeys.views import blueprint as journeys_blueprint
    from hosting_app.leads.merge_views import blueprint as merge_blueprint
    from hosting_app.leads.views import blueprint as crm_blueprint
    from hosting_app.privacy.views import blueprint as privacy_blueprint
    from hosting_app.sites.views import blueprint as sites_blueprint
    from hosting_app.vendor import blueprint as vendor_blueprint

    app.register_blueprint(sites_blueprint)
    app.register_blueprint(auth_blueprint)
    app.register_blueprint(admin_blueprint)
    app.register_blueprint(exports_blueprint)
    register_inquiries(app)  # the blueprint and its rate limiter
    register_backoffice(app)  # the blueprint, its upload settings and size limit
    app.register_blueprint(vendor_blueprint)
    register_api(app)  # with /api/me and /api/firms/match
    register_health(app)  # /healthz and the versioned URLs of static files
    app.register_blueprint(crm_blueprint)
    app.register_blueprint(journeys_blueprint)
    app.register_blueprint(merge_blueprint)
    app.register_blueprint(privacy_blueprint)
    app.register_blueprint(csp_blueprint)  # /csp-rapport: what the browsers' CSP refused


def register_errorhandlers(app: Flask) -> None:
    """Render errors as French pages."""

    def render_error(error):
        code = getattr(error, "code", None) or 500
        if code == 500:
            # A failed statement leaves the transaction aborted, and the page's header reads
            # the user's organisation: it needs a usable session.
            extensions.db.session.rollback()
        headers = {}
        if code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)  # RFC 9110: the methods that work
        if request.path.startswith("/api/"):
            if code == 401:
                headers["WWW-Authenticate"] = "Bearer"
            return api_error(error, code), code, headers
        return render_template("error.html", code=code), code, headers

    for code in (400, 401, 403, 404, 405, 429, 500):
        app.errorhandler(code)(render_error)

    def readable_query() -> None:
        """Raw bytes that are not UTF-8 in the query string are read as if percent-encoded:
        Werkzeug could not decode request.args otherwise (a 500 wherever they are read)."""
        try:
            request.query_string.decode()
        except UnicodeDecodeError:
            query = quote_from_bytes(request.query_string, safe="&=+%;/?:@,$!*'()~")
            request.query_string = query.encode()

    def no_nul_character() -> None:
        """PostgreSQL's text cannot hold U+0000: a query or form value (or name) holding one
        is refused here, by every rule alike, rather than failing in the database (a 500)
        wherever a view stores or searches it. No keyboard types it."""
        for values in (request.args, request.form):
            for name, value in values.items(multi=True):
                if "\x00" in name or "\x00" in value:
                    shown = name.replace("\x00", "")
                    abort(400, description=f"Caractère nul (U+0000) refusé dans « {shown} ».")

    app.before_request_funcs.setdefault(None, []).insert(0, readable_query)
    # Last: it reads the body, which an upload's own size limit must bound first.
    app.before_request(no_nul_character)


API_MESSAGES = {
    400: "Paramètres invalides.",
    401: "Authentification requise.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée.",
    413: "Requête trop volumineuse.",
    429: "Trop de requêtes.",
    500: "Erreur du serveur.",
}


def api_error(error, code: int) -> dict:
    """The JSON body of an API error: ``error`` in French, and ``fields`` for bad parameters."""
    from hosting_app.sites.filters import messages

    description = getattr(error, "description", None)
    body: dict = {"error": API_MESSAGES.get(code, "Erreur.")}
    webargs = (getattr(error, "data", None) or {}).get("messages")
    if webargs:
        description = {k: v for where in webargs.values() for k, v in where.items()}
    if isinstance(description, dict):
        body["fields"] = messages(description)
        details = "; ".join(m for ms in body["fields"].values() for m in ms)
        body["error"] = f"{body['error']} {details}"
    elif isinstance(description, str) and code != 500 and not description.startswith("The "):
        body["error"] = description
    return body


def register_template_helpers(app: Flask) -> None:
    """Filters used by the templates."""
    from hosting_app.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    """Add the hosting-app CLI commands."""
    from hosting_app import backup
    from hosting_app.commands import (
        db_group,
        embedded_db_group,
        firms_group,
        seed_command,
        users_group,
    )
    from hosting_app.exports.commands import register as register_export_commands
    from hosting_app.privacy.commands import register as register_privacy_commands

    app.cli.add_command(db_group)
    app.cli.add_command(embedded_db_group)
    app.cli.add_command(seed_command)
    register_export_commands(app)  # export … and import cnig
    app.cli.add_command(users_group)
    app.cli.add_command(firms_group)
    register_privacy_commands(app)  # privacy purge | export | erase
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
