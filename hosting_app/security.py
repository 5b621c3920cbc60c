"""HTTP security headers on every response, and the redirect to HTTPS when FORCE_HTTPS is on.

- Content-Security-Policy: scripts only from the app's origin, plus the inline scripts that
  carry the request's nonce (the folium map's script, see ``csp_nonce``); no 'unsafe-inline'
  for scripts, so inline event handlers and ``javascript:`` URLs never run. Style attributes
  stay allowed: Leaflet's layer control inserts labels with ``style="…"`` and the templates size
  the map frames that way; a style attribute runs no script, and ``<style>`` elements remain
  refused where the browser knows style-src-elem. Images also come from the basemaps' tile
  servers (``maps.BASEMAPS``) and ``data:`` URLs (Leaflet's and Geoman's icons).
- What the policy refuses, browsers report to ``/csp-rapport`` (``report-uri``), logged as
  warnings (``hosting_app/csp_reports.py``).
- Strict-Transport-Security on HTTPS responses only (behind a reverse proxy, PROXY_COUNT makes
  ProxyFix report the client's scheme).
- Referrer-Policy strict-origin-when-cross-origin: paths and query strings (search filters,
  CRM record ids) never leave the site, while the tile servers still get the origin that
  OpenStreetMap's tile usage policy asks browsers to send (same-origin would send none).
- X-Content-Type-Options, X-Frame-Options DENY (older browsers; frame-ancestors for the
  others), Permissions-Policy denying the device features the app never uses, and
  Cross-Origin-Opener-Policy same-origin.

The header values are built with ``secure`` (maintained, no dependencies, builders that refuse
malformed tokens). Flask-Talisman was not kept: no release since 2023, it rewrites the
session-cookie settings in ``app.config`` and trusts a client's X-Forwarded-Proto whatever
PROXY_COUNT says, and it has no Cross-Origin-Opener-Policy; the nonce it would bring is the
few lines of ``csp_nonce`` below.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, redirect, request
from secure import (
    ContentSecurityPolicy,
    CrossOriginOpenerPolicy,
    PermissionsPolicy,
    ReferrerPolicy,
    Secure,
    StrictTransportSecurity,
    XContentTypeOptions,
    XFrameOptions,
)

from hosting_app import csp_reports

HSTS_MAX_AGE = 365 * 24 * 3600  # seconds
# Load balancers probe the instances over plain HTTP, even when FORCE_HTTPS is on.
HTTPS_EXEMPT_ENDPOINTS = frozenset({"health.healthz"})

SAME_ORIGIN_HEADERS = Secure(
    coop=CrossOriginOpenerPolicy().same_origin(),
    permissions=PermissionsPolicy()
    .accelerometer()
    .autoplay()
    .camera()
    .display_capture()
    .geolocation()
    .gyroscope()
    .magnetometer()
    .microphone()
    .midi()
    .payment()
    .serial()
    .usb()
    .browsing_topics(),
    referrer=ReferrerPolicy().strict_origin_when_cross_origin(),
    xcto=XContentTypeOptions().nosniff(),
    xfo=XFrameOptions().deny(),
)
HTTPS_HEADERS = Secure(hsts=StrictTransportSecurity().max_age(HSTS_MAX_AGE).include_subdomains())


def init_app(app: Flask) -> None:
    """Set the security headers on every response; redirect to HTTPS when FORCE_HTTPS is on."""
    image_origins = tile_origins()
    app.add_template_global(csp_nonce)
    if app.config.get("FORCE_HTTPS"):
        app.before_request(redirect_to_https)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        policy = content_security_policy(nonce=g.get("_csp_nonce"), image_origins=image_origins)
        response.headers["Content-Security-Policy"] = policy
        SAME_ORIGIN_HEADERS.set_headers(response)
        if request.is_secure:
            HTTPS_HEADERS.set_headers(response)
        return response


def csp_nonce() -> str:
    """The nonce that lets the current request's inline scripts run, made on first use."""
    if "_csp_nonce" not in g:
        g._csp_nonce = secrets.token_urlsafe(18)
    return g._csp_nonce


def content_security_policy(*, nonce: str | None, image_origins: list[str]) -> str:
    """The Content-Security-Policy value; ``nonce`` is the request's, if a page used one."""
    scripts = ["'self'"] + ([ContentSecurityPolicy.nonce(nonce)] if nonce else [])
    return (
        ContentSecurityPolicy()
        .default_src("'self'")
        .script_src(*scripts)
        # 'unsafe-inline' here serves the browsers that know neither -elem nor -attr.
        .style_src("'self'", "'unsafe-inline'")
        .style_src_elem("'self'")
        .style_src_attr("'unsafe-inline'")
        .img_src("'self'", "data:", *image_origins)
        .connect_src("'self'")
        .object_src("'none'")
        .base_uri("'none'")
        .form_action("'self'")
        .frame_ancestors("'none'")
        .report_uri(csp_reports.PATH)
        .header_value
    )


def tile_origins() -> list[str]:
    """The origins of the basemaps' tile servers, whose images the browser loads."""
    from hosting_app.sites.maps import BASEMAPS

    return sorted(
        {f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url, *_ in BASEMAPS.values()}
    )


def redirect_to_https() -> Response | None:
    """Send a plain-HTTP request to the same URL over HTTPS (method kept for non-GET)."""
    if request.is_secure or request.endpoint in HTTPS_EXEMPT_ENDPOINTS:
        return None
    url = "https://" + request.url.removeprefix("http://")
    return redirect(url, code=301 if request.method in ("GET", "HEAD") else 308)
