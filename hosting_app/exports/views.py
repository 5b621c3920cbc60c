"""Marketing's pages: the pitch material and data files to download, the CNIG import."""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user

from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Role
from hosting_app.exports import cnig_import, forms, queries, service
from hosting_app.exports.pdf import journey_order
from hosting_app.exports.service import Export
from hosting_app.extensions import db
from hosting_app.sites.models import Availability, Site

blueprint = Blueprint("exports", __name__, url_prefix="/marketing")
pitch_access = role_required(Role.ADMIN, Role.MARKETING, Role.DEVELOPER)
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "geojson": "GeoJSON"}


def _download(export: Export):
    """Commit the audit entry, then hand the file over."""
    db.session.commit()
    response = send_file(
        io.BytesIO(export.content), mimetype=export.mimetype, as_attachment=True,
        download_name=export.filename,
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


def get_site(slug: str) -> Site:
    """The site, or 404."""
    site = db.session.scalar(queries.sites_with_details().where(Site.slug == slug))
    if site is None:
        abort(404)
    return site


@blueprint.get("/")
@pitch_access
def index():
    """The pitch material and data files, one button each."""
    sites = sorted(db.session.scalars(queries.sites_with_details()).all(), key=journey_order)
    demo = any(p.is_demo for site in sites for p in site.premises)
    available = sum(p.availability is Availability.AVAILABLE for s in sites for p in s.premises)
    return render_template(
        "exports/index.html", sites=sites, demo=demo, available=available,
        form=forms.CnigImportForm(), formats=FORMAT_LABELS,
    )  # fmt: skip


@blueprint.get("/brochure.pdf")
@pitch_access
def brochure():
    """The territory brochure (PDF)."""
    return _download(service.brochure(db.session, user=current_user, base_url=request.host_url))


@blueprint.get("/sites/<slug:slug>/fiche.pdf")
@pitch_access
def site_sheet(slug: str):
    """One site's sheet (PDF)."""
    export = service.site_sheet(
        db.session, get_site(slug), user=current_user, base_url=request.host_url
    )
    return _download(export)


@blueprint.get("/donnees/sites.<any(csv, xlsx, geojson):file_format>")
@pitch_access
def sites_file(file_format: str):
    """Every site as CSV, XLSX or GeoJSON."""
    return _download(service.data_file(db.session, "sites", file_format, user=current_user))


@blueprint.get("/donnees/locaux.<any(csv, xlsx, geojson):file_format>")
@pitch_access
def premises_file(file_format: str):
    """Every premises as CSV, XLSX or GeoJSON."""
    return _download(service.data_file(db.session, "premises", file_format, user=current_user))


@blueprint.get("/cnig.zip")
@pitch_access
def cnig_package():
    """The CNIG « Sites économiques » open-data package (ZIP)."""
    return _download(service.cnig_zip(db.session, user=current_user))


@blueprint.post("/cnig/import")
@role_required(Role.ADMIN)
def cnig_import_files():
    """Update the catalogue from CNIG files: all or nothing, with a report per row."""
    form = forms.CnigImportForm()
    report = error = None
    if form.validate_on_submit():
        uploads = {f.filename or "fichier.csv": f.read() for f in form.files.data}
        try:
            texts = cnig_import.read_files(uploads=uploads)
            report = cnig_import.import_files(db.session, texts, user=current_user)
        except cnig_import.CnigFormatError as problem:
            error = str(problem)
        if report is not None and report.ok:
            db.session.commit()
        else:
            db.session.rollback()
    status = 200 if report is not None and report.ok else 400
    return render_template(
        "exports/import_report.html", form=form, report=report, error=error
    ), status
