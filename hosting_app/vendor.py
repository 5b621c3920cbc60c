"""Front-end packages installed from the npm registry (npm ci), served by the app: no CDN."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

blueprint = Blueprint("vendor", __name__, url_prefix="/vendor")

# Public name → folder inside node_modules whose files may be served.
PACKAGES: dict[str, str] = {
    "leaflet": "leaflet/dist",
    "leaflet.markercluster": "leaflet.markercluster/dist",
    "leaflet-geoman": "@geoman-io/leaflet-geoman-free/dist",
    "leaflet.vectorgrid": "leaflet.vectorgrid/dist",
}


def node_modules() -> Path:
    """Where npm installed the packages (VENDOR_DIR, else the project's node_modules)."""
    configured = current_app.config.get("VENDOR_DIR")
    return Path(configured) if configured else Path(current_app.root_path).parent / "node_modules"


@blueprint.get("/<package>/<path:filename>")
def asset(package: str, filename: str):
    """One file of an allowed package, cached by browsers for a day."""
    folder = PACKAGES.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(node_modules() / folder, filename, max_age=86_400)
