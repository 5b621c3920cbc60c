"""Public pages: the home page listing the sites, and a site's page."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, render_template

from hosting_app.extensions import db
from hosting_app.sites import queries
from hosting_app.sites.models import SiteKind

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


@blueprint.get("/sites/<slug>")
def site(slug: str):
    """A site's page: description, location, premises."""
    site = db.one_or_abort(queries.site_by_slug(slug))
    coordinates = db.session.execute(queries.site_coordinates(site.id)).one()
    return render_template("sites/site.html", site=site, coordinates=coordinates)
