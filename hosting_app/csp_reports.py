"""Where browsers report what the Content-Security-Policy refused (``report-uri``).

A refused script or style on a public page means either an attack (an injected script that
the policy stopped) or a page that the policy breaks for its users; both must be seen. The
reports go to the app's log as warnings, one line each: the directive, what was blocked and
the page, URLs cut to their scheme, host and path (no query string: search filters, tokens),
and at most 200 characters of each value. Nothing is stored in the database.

Browsers send these reports by themselves, with no CSRF token: the route is exempt from the
check and writes nothing; it is rate-limited per client address, and no more than
``MAX_BYTES`` of a body is read (a longer one is refused). Both formats are read: the
``report-uri`` one (``application/csp-report``) and the Reporting API's
(``application/reports+json``).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request

from hosting_app.extensions import csrf
from hosting_app.limits import limiter

blueprint = Blueprint("csp", __name__)

PATH = "/csp-rapport"
MAX_BYTES = 16 * 1024
MAX_VALUE = 200
RATE_LIMIT = "60 per minute"

# The fields of a report, in the report-uri format and in the Reporting API's.
FIELDS = {
    "directive": ("effective-directive", "effectiveDirective", "violated-directive"),
    "blocked": ("blocked-uri", "blockedURL"),
    "page": ("document-uri", "documentURL"),
    "source": ("source-file", "sourceFile"),
    "line": ("line-number", "lineNumber"),
    "disposition": ("disposition",),
}


def _bad(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify(error=message), status


def _clean(value: object) -> str:
    """A report's value, safe for one log line: URLs without query string or fragment."""
    text = str(value)
    parts = urlsplit(text) if "://" in text else None
    if parts and parts.scheme in ("http", "https"):
        text = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return "".join(c if c.isprintable() else "?" for c in text)[:MAX_VALUE]


def _violations(payload: object) -> list[dict] | None:
    """The violations of either format, or None when the body is neither."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list) and all(isinstance(r, dict) for r in payload):
        bodies = [r.get("body") for r in payload if r.get("type") == "csp-violation"]
        if all(isinstance(b, dict) for b in bodies):
            return bodies
    return None


@blueprint.post(PATH)
@csrf.exempt
@limiter.limit(RATE_LIMIT)
def report() -> tuple[Response, int] | Response:
    """Log each violation of the report; 204, or 400 with a JSON error."""
    body = request.stream.read(MAX_BYTES + 1)  # never more, whatever Content-Length says
    if len(body) > MAX_BYTES:
        return _bad(f"Rapport trop volumineux (plus de {MAX_BYTES // 1024} Kio).", 413)
    try:
        violations = _violations(json.loads(body))
    except (ValueError, RecursionError):
        violations = None
    if violations is None:
        return _bad("Rapport CSP illisible : JSON « csp-report » ou liste de rapports attendu.")
    for violation in violations:
        found = {
            name: next((violation[k] for k in keys if violation.get(k) not in (None, "")), "-")
            for name, keys in FIELDS.items()
        }
        current_app.logger.warning(
            "CSP violation: %s blocked %s on %s (source %s, line %s, %s)",
            *(_clean(found[name]) for name in FIELDS),
        )
    return Response(status=204)
