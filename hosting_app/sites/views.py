"""Public pages: home, premises search (list and map), a site's page, a premises' page."""

from __future__ import annotations

from itertools import groupby
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, url_for
from marshmallow import ValidationError

from hosting_app.extensions import db
from hosting_app.labels import Sector
from hosting_app.sites import filters as search_filters
from hosting_app.sites import queries, services
from hosting_app.sites.models import Availability, Premises, PremisesKind, SiteKind

blueprint = Blueprint("sites", __name__)


@blueprint.get("/")
def home():
    """The territory's sites, grouped by kind."""
    sites = db.session.scalars(queries.sites_for_home()).all()
    available = dict(db.session.execute(queries.available_premises_counts()).all())
    # Kinds in the order of a firm's journey: incubator, business hotel, … own premises.
    order = {kind: position for position, kind in enumerate(SiteKind)}
    sites = sorted(sites, key=lambda site: (order[site.kind], site.name))
    groups = [(kind, list(items)) for kind, items in groupby(sites, key=lambda s: s.kind)]
    return render_template("sites/home.html", groups=groups, available=available)


@blueprint.get("/locaux")
def search():
    """Search premises by kind, surface, price, date, place and distance; list and map."""
    choices = _choices()
    try:
        filters, data = search_filters.parse(
            request.args, schema=search_filters.PageFilterSchema(), max_per_page=100
        )
    except ValidationError as error:
        errors = search_filters.messages(error)
        return render_template(
            "sites/search.html", errors=errors, choices=choices, args=request.args
        ), 400
    centre_lat = _centre_latitude(filters)
    if centre_lat is None and filters.near is not None:
        errors = {"near": [f"Commune inconnue : {filters.near}."]}
        return render_template(
            "sites/search.html", errors=errors, choices=choices, args=request.args
        ), 400
    # Counted up to a limit (« plus de 10 000 » beyond), never below the map's embedding limit,
    # which decides from this count whether the markers are embedded or loaded by bbox.
    config = current_app.config
    count_limit = max(config["SEARCH_COUNT_LIMIT"], config.get("MAP_EMBED_LIMIT", 10_000))
    counted = db.session.scalar(queries.premises_count_capped(filters, centre_lat, count_limit))
    total, more = min(counted, count_limit), counted > count_limit
    rows = db.session.execute(
        queries.premises_search(filters, centre_lat)
        .limit(filters.per_page)
        .offset((filters.page - 1) * filters.per_page)
    ).all()
    view = data.get("view", "carte")
    rendered_map = unlocated = None
    if view == "carte":
        api_args = request.args.copy()
        for key in ("view", "page", "per_page"):
            api_args.poplist(key)
        rendered_map, unlocated = services.search_map(
            db.session, filters, centre_lat, api_query=_query_string(api_args), count=counted
        )
    pages = max(1, -(-total // filters.per_page))
    if more:  # the last page is unknown: « page suivante » while pages are full
        pages = filters.page + 1 if len(rows) == filters.per_page else filters.page
    return render_template(
        "sites/search.html",
        errors={},
        choices=choices,
        args=request.args,
        filters=filters,
        rows=rows,
        total=total,
        more=more,
        page=filters.page,
        pages=pages,
        view=view,
        map=rendered_map,
        unlocated=unlocated or [],
        url_with=_url_with,
    )


def _centre_latitude(filters: search_filters.PremisesFilters) -> float | None:
    if filters.point is not None:
        return filters.point[1]
    if filters.near is not None:
        return db.session.scalar(queries.centre_latitude(filters))
    return None


def _choices() -> dict:
    return {
        "kinds": list(PremisesKind),
        "site_kinds": list(SiteKind),
        "sectors": list(Sector),
        "availability": list(Availability),
        "communes": db.session.execute(queries.communes_for_choice()).all(),
        "intercommunalities": db.session.execute(queries.intercommunalities_for_choice()).all(),
        "sorts": [
            ("", "Disponibilité la plus proche"),
            ("surface", "Surface croissante"),
            ("-surface", "Surface décroissante"),
            ("price", "Prix croissant"),
            ("-price", "Prix décroissant"),
            ("distance", "Distance croissante"),
        ],
    }


def _query_string(args) -> str:
    return urlencode(list(args.items(multi=True)))


def _url_with(**changes) -> str:
    """The current search's URL with some parameters changed (None removes one)."""
    args = request.args.copy()
    for key, value in changes.items():
        args.poplist(key)
        if value is not None:
            args[key] = value
    query = _query_string(args)
    return url_for("sites.search") + (f"?{query}" if query else "")


@blueprint.get("/sites/<slug:slug>")
def site(slug: str):
    """A site's page: description, location, premises, map."""
    site = db.one_or_abort(queries.site_by_slug(slug))
    coordinates = db.session.execute(queries.site_coordinates(site.id)).one()
    site_map = services.site_map(db.session, site)
    return render_template("sites/site.html", site=site, coordinates=coordinates, map=site_map)


@blueprint.get("/locaux/<int:premises_id>")
def premises(premises_id: int):
    """A premises' page: its facts, its site, a map, and the inquiry link."""
    premises = db.session.get(Premises, premises_id)
    if premises is None or premises.archived_at is not None:
        abort(404)
    premises_map = services.premises_map(db.session, premises)
    return render_template("sites/premises.html", premises=premises, map=premises_map)
