"""What running several instances needs from the app: /healthz and versioned static files.

``/healthz`` tells a load balancer whether this instance can reach its database. Links to
``/static`` and ``/vendor`` files made by ``url_for`` get ``?v=<digest of the file>``, and a
request carrying the current digest is cached by browsers for a year: a changed file gets a
new URL, so no template names a version.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import safe_join

from hosting_app import vendor
from hosting_app.extensions import db

blueprint = Blueprint("health", __name__)

LONG_CACHE = 365 * 24 * 3600  # seconds


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when PostgreSQL and PostGIS answer, else 503; no cookie, nothing cached."""
    try:
        db.session.execute(sa.select(sa.literal(1), sa.func.postgis_lib_version())).one()
    except SQLAlchemyError as error:
        current_app.logger.warning("healthz: database unavailable: %s", error)
        response, status = jsonify(status="error", database="error"), 503
    else:
        response, status = jsonify(status="ok", database="ok"), 200
    response.cache_control.no_store = True
    return response, status


def register(app: Flask) -> None:
    """Add /healthz and the versioned URLs of static and vendor files."""
    app.register_blueprint(blueprint)
    app.url_defaults(add_version)
    app.after_request(cache_versioned)


def asset_path(endpoint: str | None, values: dict) -> Path | None:
    """The file that ``url_for(endpoint, **values)`` serves, if it is a static or vendor file."""
    filename = values.get("filename")
    if not filename:
        return None
    if endpoint == "static" and current_app.static_folder:
        folder = current_app.static_folder
    elif endpoint == "vendor.asset" and values.get("package") in vendor.PACKAGES:
        folder = str(vendor.node_modules() / vendor.PACKAGES[values["package"]])
    else:
        return None
    path = safe_join(folder, filename)
    return Path(path) if path else None


def digest(path: Path) -> str | None:
    """A short digest of the file's contents, None when there is no such file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    """Computed once per version of a file (the key changes with the file)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def add_version(endpoint: str, values: dict) -> None:
    """url_for default: ``v=<digest>`` on static and vendor files."""
    if "v" in values:
        return
    path = asset_path(endpoint, values)
    version = digest(path) if path else None
    if version:
        values["v"] = version


def cache_versioned(response: Response) -> Response:
    """Let browsers keep a static or vendor file for a year when its URL has its digest."""
    version = request.args.get("v")
    if not version or response.status_code not in (200, 304):
        return response
    path = asset_path(request.endpoint, request.view_args or {})
    if path is None or digest(path) != version:
        return response
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = LONG_CACHE
    response.cache_control.immutable = True
    response.headers.pop("Expires", None)  # Cache-Control says it all
    return response
