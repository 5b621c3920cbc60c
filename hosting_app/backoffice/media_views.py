"""Back-office pages for photos (upload, alt text, order, removal) and the CSV bulk update."""

from __future__ import annotations

import re

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user

from hosting_app.backoffice import bulk, images, permissions, photos, queries
from hosting_app.backoffice.forms import AltTextForm, BulkForm, PhotoForm, PremisesForm
from hosting_app.backoffice.models import Photo
from hosting_app.backoffice.views import (
    blueprint,
    editor_access,
    gallery_photos,
    get_premises,
    get_site,
    premises_initial,
    render_premises_form,
)
from hosting_app.extensions import db
from hosting_app.sites.models import Premises, Site

UPLOAD_ENDPOINTS = {"backoffice.add_site_photo", "backoffice.add_premises_photo"}
FORM_ALLOWANCE = 64 * 1024  # the form's other fields and multipart boundaries
FIELD_LABELS = {
    "availability": "Disponibilité",
    "available_from": "Disponible le",
    "rent_eur_m2_year": "Loyer (€ HT/m²/an)",
    "sale_price_eur_m2": "Prix de vente (€ HT/m²)",
}
FILE_NAME = re.compile(r"^[0-9a-f]{32}(-vignette)?\.jpg$")


def limit_upload_size() -> None:
    """Cap a photo upload's body: an oversize file is refused (413) before it is read."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["PHOTO_MAX_BYTES"] + FORM_ALLOWANCE


@blueprint.app_errorhandler(413)
def too_large(_error):
    """A French page for an oversize upload, with the way back (JSON for the API)."""
    if request.path.startswith("/api/"):
        from hosting_app import api_error

        return api_error(_error, 413), 413
    limit = images.max_bytes_label(current_app.config["PHOTO_MAX_BYTES"])
    back = request.referrer if request.referrer and request.referrer.startswith(
        request.host_url) else url_for("backoffice.index")  # fmt: skip
    photo = request.endpoint in UPLOAD_ENDPOINTS
    return render_template("backoffice/too_large.html", limit=limit, back=back, photo=photo), 413


@blueprint.get("/medias/photos/<name>")
def photo_file(name: str):
    """A photo or its thumbnail; names are never reused, so browsers may keep them a year."""
    if not FILE_NAME.match(name):
        abort(404)
    response = send_from_directory(images.upload_dir(), name, max_age=31_536_000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _back(owner: Site | Premises) -> str:
    if isinstance(owner, Site):
        return url_for("backoffice.site", site_id=owner.id, _anchor="photos")
    return url_for("backoffice.edit_premises", premises_id=owner.id, _anchor="photos")


def _add_photo(owner: Site | Premises):
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            photos.add_photo(
                db.session, user=current_user, owner=owner, data=form.photo.data.read(),
                alt_text=form.alt_text.data,
            )  # fmt: skip
        except images.ImageRefused as error:
            db.session.rollback()
            form.photo.errors.append(str(error))
        else:
            db.session.commit()
            flash("Photo ajoutée : elle est en ligne sur la page publique.", "success")
            return redirect(_back(owner))
    if isinstance(owner, Site):
        premises = db.session.scalars(queries.site_premises(owner.id)).all()
        return render_template(
            "backoffice/site.html", site=owner, premises=premises, photos=gallery_photos(owner),
            photo_form=form,
        ), 400  # fmt: skip
    premises_form = PremisesForm(formdata=None, data=premises_initial(owner))
    page, _status = render_premises_form(premises_form, owner.site, owner, photo_form=form)
    return page, 400


@blueprint.post("/gestion/sites/<int:site_id>/photos")
@editor_access
def add_site_photo(site_id: int):
    """Add a photo to a site."""
    return _add_photo(get_site(site_id))


@blueprint.post("/gestion/locaux/<int:premises_id>/photos")
@editor_access
def add_premises_photo(premises_id: int):
    """Add a photo to a premises unit."""
    return _add_photo(get_premises(premises_id))


def get_photo(photo_id: int) -> tuple[Photo, Site | Premises]:
    """The photo and what it shows, or 404; 403 unless the user may edit its site."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    owner = photos.owner_of(db.session, photo)
    site = owner if isinstance(owner, Site) else owner.site
    if not permissions.can_edit_site(current_user, site):
        abort(403)
    return photo, owner


@blueprint.post("/gestion/photos/<int:photo_id>/texte")
@editor_access
def photo_alt_text(photo_id: int):
    """Change a photo's alternative text."""
    photo, owner = get_photo(photo_id)
    form = AltTextForm()
    if form.validate_on_submit():
        alt_text = form.alt_text.data
        if photos.set_alt_text(db.session, user=current_user, photo=photo, alt_text=alt_text):
            db.session.commit()
            flash("Texte alternatif enregistré.", "success")
    else:
        for error in form.alt_text.errors:
            flash(f"Texte alternatif : {error}", "error")
    return redirect(_back(owner))


@blueprint.post("/gestion/photos/<int:photo_id>/<any(monter, descendre):direction>")
@editor_access
def move_photo(photo_id: int, direction: str):
    """Move a photo one place earlier or later."""
    photo, owner = get_photo(photo_id)
    offset = -1 if direction == "monter" else 1
    if photos.move(db.session, user=current_user, photo=photo, offset=offset):
        db.session.commit()
    return redirect(_back(owner))


@blueprint.post("/gestion/photos/<int:photo_id>/supprimer")
@editor_access
def delete_photo(photo_id: int):
    """Remove a photo (its files are deleted once the removal is saved)."""
    photo, owner = get_photo(photo_id)
    file_name = photos.delete(db.session, user=current_user, photo=photo)
    db.session.commit()
    images.remove(file_name)
    flash("Photo supprimée.", "success")
    return redirect(_back(owner))


# --- Bulk update of premises from a CSV file ---------------------------------------------


@blueprint.get("/gestion/sites/<int:site_id>/locaux.csv")
@editor_access
def export_premises(site_id: int):
    """The site's premises (not archived) as the CSV the bulk update reads back."""
    site = get_site(site_id)
    units = [p for p in db.session.scalars(queries.site_premises(site.id)) if p.archived_at is None]
    return Response(
        bulk.export(units),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="locaux-{site.slug}.csv"'},
    )


@blueprint.route("/gestion/sites/<int:site_id>/locaux/import", methods=["GET", "POST"])
@editor_access
def import_premises(site_id: int):
    """Update availability, dates and prices of many premises at once: all rows or none."""
    site = get_site(site_id)
    form = BulkForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = bulk.apply(
                db.session, user=current_user, site=site, text=bulk.decode(upload.read()),
                file_name=upload.filename or "",
            )  # fmt: skip
        except bulk.BulkError as error:
            form.file.errors.append(str(error))
        else:
            if report.applied:
                db.session.commit()
            else:
                db.session.rollback()
    status = 400 if form.errors or (report is not None and not report.ok) else 200
    return render_template(
        "backoffice/import.html", site=site, form=form, report=report,
        informative=bulk.INFORMATIVE, field_labels=FIELD_LABELS,
    ), status  # fmt: skip
