"""Back-office pages (/gestion/…): sites and premises, edited by their operators and admins."""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from shapely.geometry import mapping
from wtforms import SelectChoice

from hosting_app.auth.decorators import role_required
from hosting_app.auth.models import Role
from hosting_app.backoffice import bulk, drawing, geometry, images, permissions, queries, services
from hosting_app.backoffice.forms import PhotoForm, PremisesForm, SiteForm, parse_accesses
from hosting_app.extensions import db
from hosting_app.labels import LabelledEnum
from hosting_app.sites.models import Premises, Site
from hosting_app.sites.queries import communes_for_choice
from hosting_app.templating import date_fr, number_fr

blueprint = Blueprint("backoffice", __name__)
editor_access = role_required(Role.ADMIN, Role.DEVELOPER)
PARIS = ZoneInfo("Europe/Paris")


def register(app: Flask) -> None:
    """Register the blueprint, its photo and event pages, and the upload settings."""
    from hosting_app.backoffice import event_views, media_views  # noqa: F401  (their routes)

    instance_uploads = os.path.join(app.instance_path, "uploads")
    app.config.setdefault("UPLOAD_DIR", os.environ.get("UPLOAD_DIR") or instance_uploads)
    megabytes = float(os.environ.get("PHOTO_MAX_MB", "8"))
    app.config.setdefault("PHOTO_MAX_BYTES", int(megabytes * 1024 * 1024))
    app.config.setdefault("PHOTO_MAX_WIDTH", 1600)
    app.config.setdefault("PHOTO_THUMB_WIDTH", 480)
    app.register_blueprint(blueprint)
    # Before the CSRF check reads the form: an oversize upload is refused unread.
    app.before_request_funcs.setdefault(None, []).insert(0, media_views.limit_upload_size)


def get_site(site_id: int) -> Site:
    """The site, or 404; 403 unless the user may edit it."""
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404)
    if not permissions.can_edit_site(current_user, site):
        abort(403)
    return site


def get_premises(premises_id: int) -> Premises:
    """The premises, or 404; 403 unless the user may edit its site."""
    premises = db.session.get(Premises, premises_id)
    if premises is None:
        abort(404)
    if not permissions.can_edit_site(current_user, premises.site):
        abort(403)
    return premises


# --- Template helpers for the public pages ------------------------------------------------


@blueprint.app_template_global()
def site_last_change(site: Site) -> dict | None:
    """« Données mises à jour le … par … »: the last audited change of a site's data."""
    row = db.session.execute(queries.last_site_change(site.id)).first()
    if row is None:
        return None
    return {"on": row.at.astimezone(PARIS).date(), "by": row.short_name, "by_name": row.name}


@blueprint.app_template_global()
def gallery_photos(subject: Site | Premises) -> list:
    """The photos of a site or of a premises unit, in their order."""
    if isinstance(subject, Site):
        return list(db.session.scalars(queries.photos_of(site_id=subject.id)))
    return list(db.session.scalars(queries.photos_of(premises_id=subject.id)))


@blueprint.app_template_global()
def upcoming_events(limit: int | None = None) -> list:
    """The economic events to come, soonest first."""
    query = queries.upcoming_events(date.today())
    return list(db.session.scalars(query.limit(limit) if limit else query))


@blueprint.context_processor
def photo_helpers() -> dict:
    """The empty photo form and the upload limit, for the photo sections."""
    limit = images.max_bytes_label(current_app.config["PHOTO_MAX_BYTES"])
    return {"new_photo_form": PhotoForm, "photo_limit_label": lambda: limit}


@blueprint.app_template_filter("display_value")
def display_value(value) -> str:
    """A value of a bulk-update report as a French reader expects it."""
    if value is None:
        return "—"
    if isinstance(value, LabelledEnum):
        return value.label
    if isinstance(value, date):
        return date_fr(value)
    if isinstance(value, Decimal):
        return number_fr(value, 2)
    return str(value)


# --- Sites -------------------------------------------------------------------------------


@blueprint.get("/gestion")
@editor_access
def index():
    """The sites the user may edit, with their premises, and the events."""
    rows = db.session.execute(queries.editable_sites(current_user)).all()
    return render_template(
        "backoffice/index.html", rows=rows, can_create=permissions.can_create_site(current_user)
    )


@blueprint.get("/gestion/sites/<int:site_id>")
@editor_access
def site(site_id: int):
    """A site in the back-office: its premises (archived ones too), photos, history link."""
    site = get_site(site_id)
    premises = db.session.scalars(queries.site_premises(site.id)).all()
    return render_template(
        "backoffice/site.html", site=site, premises=premises, photos=gallery_photos(site)
    )


def _site_choices(form: SiteForm) -> None:
    form.communes.choices = [
        SelectChoice(insee, name) for insee, name in db.session.execute(communes_for_choice())
    ]
    if permissions.is_admin(current_user):
        organisations = db.session.execute(queries.organisations_for_choice())
        form.operator_id.choices = [SelectChoice("", "Aucune")] + [
            SelectChoice(str(i), name) for i, name in organisations
        ]
    else:
        del form.operator_id  # a developer's sites stay with their organisation


def _site_initial(site: Site) -> dict:
    perimeter = (
        db.session.scalar(sa.select(sa.func.ST_AsGeoJSON(site.perimeter, 7)))
        if site.perimeter is not None else ""
    )  # fmt: skip
    point = db.session.execute(
        sa.select(sa.func.ST_Y(site.point), sa.func.ST_X(site.point))
    ).one() if site.point is not None else (None, None)  # fmt: skip
    automatic = services.point_is_automatic(db.session, site)
    return {
        "name": site.name, "slug": site.slug, "kind": site.kind.value,
        "status": site.status.value,
        "operator_id": str(site.operator_id) if site.operator_id else "",
        "operator_label": site.operator_label, "communes": [c.insee for c in site.communes],
        "address": site.address, "total_area_ha": site.total_area_ha,
        "saleable_area_ha": site.saleable_area_ha, "area_note": site.area_note,
        "target_sectors": list(site.target_sectors), "services": "\n".join(site.services),
        "pacte_action": site.pacte_action, "region_funded": site.region_funded,
        "description": site.description, "source_urls": "\n".join(site.source_urls),
        "accesses": "\n".join(
            f"{a.kind.label} ; {a.name} ; {str(a.distance_km).replace('.', ',')}"
            for a in site.accesses
        ),
        "position_confidence": site.position_confidence.value,
        "position_source": site.position_source, "perimeter": perimeter or "",
        "point_mode": "auto" if automatic else "manual",
        "latitude": None if automatic or point[0] is None else round(point[0], 6),
        "longitude": None if automatic or point[1] is None else round(point[1], 6),
        "version": services.version_of(site),
    }  # fmt: skip


def _perimeter(form: SiteForm, site_name: str):
    """The perimeter from the uploaded file, else from the drawn (or pasted) GeoJSON."""
    upload = form.perimeter_file.data
    if upload is not None and getattr(upload, "filename", ""):
        text = bulk.decode(upload.read())
        if upload.filename.lower().endswith(".csv") or "site_geomsurf" in text[:10_000]:
            text = geometry.cnig_site_geojson(text, site_name=site_name)
        shape = services.read_geometry(db.session, text)
        form.perimeter.data = json.dumps(mapping(geometry.as_multipolygon(shape)))
        return shape
    text = (form.perimeter.data or "").strip()
    return services.read_geometry(db.session, text) if text else None


def _save_site(form: SiteForm, site: Site | None):
    """Create or update from a valid form; errors go back onto the form's fields."""
    values = form.values()
    point = (form.latitude.data, form.longitude.data) if form.point_mode.data == "manual" else None
    try:
        perimeter = _perimeter(form, values["name"])
    except geometry.GeometryError as error:
        uploaded = getattr(form.perimeter_file.data, "filename", "")
        (form.perimeter_file if uploaded else form.perimeter).errors.append(str(error))
        return None
    if "operator_id" in form:
        values["operator_id"] = int(form.operator_id.data) if form.operator_id.data else None
    elif site is None:
        values["operator_id"] = current_user.organisation_id
    arguments = {
        "values": values, "communes": list(form.communes.data or []),
        "accesses": parse_accesses(form.accesses.data), "perimeter": perimeter, "point": point,
    }  # fmt: skip
    try:
        if site is None:
            return services.create_site(db.session, user=current_user, **arguments)
        services.update_site(
            db.session, user=current_user, site=site, expected_version=form.version.data,
            **arguments,
        )  # fmt: skip
        return site
    except services.SlugTaken as error:
        db.session.rollback()
        form.slug.errors.append(str(error))
        return None


def _render_site_form(form: SiteForm, site: Site | None, stale=None):
    status = 409 if stale else (400 if form.errors else 200)
    rendered_map = drawing.drawing_map(db.session, site=site)
    return render_template(
        "backoffice/site_form.html", form=form, site=site, stale=stale, map=rendered_map
    ), status


@blueprint.route("/gestion/sites/nouveau", methods=["GET", "POST"])
@editor_access
def new_site():
    """Create a site; a developer's is operated by their organisation."""
    form = SiteForm()
    _site_choices(form)
    if form.validate_on_submit():
        site = _save_site(form, None)
        if site is not None:
            db.session.commit()
            flash(f"Site « {site.name} » créé.", "success")
            return redirect(url_for("backoffice.site", site_id=site.id))
    return _render_site_form(form, None)


@blueprint.route("/gestion/sites/<int:site_id>/modifier", methods=["GET", "POST"])
@editor_access
def edit_site(site_id: int):
    """Edit every field of a site, draw or upload its perimeter, place its point."""
    site = get_site(site_id)
    form = SiteForm(data=_site_initial(site) if request.method == "GET" else None)
    _site_choices(form)
    stale = None
    if form.validate_on_submit():
        try:
            saved = _save_site(form, site)
        except services.StaleEdit as error:
            db.session.rollback()
            stale = error
        else:
            if saved is not None:
                db.session.commit()
                flash("Site enregistré : la page publique est à jour.", "success")
                return redirect(url_for("backoffice.site", site_id=site.id))
    return _render_site_form(form, site, stale)


@blueprint.get("/gestion/sites/<int:site_id>/historique")
@editor_access
def site_history(site_id: int):
    """Who changed the site, its premises and photos, field by field."""
    site = get_site(site_id)
    entries = db.session.scalars(queries.site_history(site.id).limit(500)).all()
    return render_template("backoffice/history.html", site=site, entries=entries)


# --- Premises ----------------------------------------------------------------------------


def premises_initial(premises: Premises) -> dict:
    """The form's values of a saved unit."""
    shape = (
        db.session.scalar(sa.select(sa.func.ST_AsGeoJSON(premises.geometry, 7)))
        if premises.geometry is not None else ""
    )  # fmt: skip
    return {
        "label": premises.label, "kind": premises.kind.value, "surface_m2": premises.surface_m2,
        "rent_eur_m2_year": premises.rent_eur_m2_year,
        "sale_price_eur_m2": premises.sale_price_eur_m2,
        "availability": premises.availability.value, "available_from": premises.available_from,
        "ceiling_height_m": premises.ceiling_height_m,
        "cadastral_refs": ", ".join(premises.cadastral_refs), "description": premises.description,
        "is_demo": premises.is_demo, "geometry": shape or "",
        "version": services.version_of(premises),
    }  # fmt: skip


def _premises_shape(form: PremisesForm):
    text = (form.geometry.data or "").strip()
    if not text:
        return None
    return services.read_geometry(db.session, text, allowed=geometry.PREMISES_TYPES)


def _label_taken(site: Site, label: str, premises_id: int | None) -> bool:
    return db.session.scalar(
        sa.select(Premises.id).where(
            Premises.site_id == site.id, Premises.label == label, Premises.id != premises_id
        )
    ) is not None  # fmt: skip


def render_premises_form(
    form: PremisesForm, site: Site, premises: Premises | None, stale=None, photo_form=None
):
    """The premises form page, its drawing map and (for a saved unit) its photos."""
    status = 409 if stale else (400 if form.errors else 200)
    photos = gallery_photos(premises) if premises is not None else []
    rendered_map = drawing.drawing_map(db.session, site=site, premises=premises, unit=True)
    return render_template(
        "backoffice/premises_form.html", form=form, site=site, premises=premises,
        stale=stale, map=rendered_map, photos=photos, photo_form=photo_form,
    ), status  # fmt: skip


@blueprint.route("/gestion/sites/<int:site_id>/locaux/nouveau", methods=["GET", "POST"])
@editor_access
def new_premises(site_id: int):
    """Add a premises unit to a site, with its outline or point."""
    site = get_site(site_id)
    form = PremisesForm()
    if form.validate_on_submit():
        if _label_taken(site, form.label.data, None):
            form.label.errors.append("Un local de ce site porte déjà ce nom.")
        else:
            try:
                shape = _premises_shape(form)
            except geometry.GeometryError as error:
                form.geometry.errors.append(str(error))
            else:
                premises = services.create_premises(
                    db.session, user=current_user, site=site, values=form.values(), shape=shape
                )
                db.session.commit()
                flash(f"Local « {premises.label} » créé : ajoutez-lui des photos.", "success")
                return redirect(url_for("backoffice.edit_premises", premises_id=premises.id))
    return render_premises_form(form, site, None)


@blueprint.route("/gestion/locaux/<int:premises_id>/modifier", methods=["GET", "POST"])
@editor_access
def edit_premises(premises_id: int):
    """Edit a premises unit, its outline or point; its photos are managed below the form."""
    premises = get_premises(premises_id)
    form = PremisesForm(data=premises_initial(premises) if request.method == "GET" else None)
    stale = None
    if form.validate_on_submit():
        if _label_taken(premises.site, form.label.data, premises.id):
            form.label.errors.append("Un local de ce site porte déjà ce nom.")
        else:
            try:
                shape = _premises_shape(form)
                services.update_premises(
                    db.session, user=current_user, premises=premises, values=form.values(),
                    shape=shape, expected_version=form.version.data,
                )  # fmt: skip
            except geometry.GeometryError as error:
                form.geometry.errors.append(str(error))
            except services.StaleEdit as error:
                db.session.rollback()
                stale = error
            else:
                db.session.commit()
                flash(f"Local « {premises.label} » enregistré.", "success")
                return redirect(url_for("backoffice.site", site_id=premises.site_id))
    return render_premises_form(form, premises.site, premises, stale)


@blueprint.post("/gestion/locaux/<int:premises_id>/dupliquer")
@editor_access
def duplicate_premises(premises_id: int):
    """Copy a unit (a business hotel has many alike), then edit the copy."""
    premises = get_premises(premises_id)
    copy = services.duplicate_premises(db.session, user=current_user, premises=premises)
    db.session.commit()
    flash(f"Copie « {copy.label} » créée : renommez-la et ajustez-la.", "success")
    return redirect(url_for("backoffice.edit_premises", premises_id=copy.id))


@blueprint.post("/gestion/locaux/<int:premises_id>/<any(archiver, restaurer):action>")
@editor_access
def archive_premises(premises_id: int, action: str):
    """Archive a unit (hidden from the public, kept with its history) or restore it."""
    premises = get_premises(premises_id)
    archived = action == "archiver"
    services.set_archived(db.session, user=current_user, premises=premises, archived=archived)
    db.session.commit()
    if archived:
        flash(f"Local « {premises.label} » archivé : il n'apparaît plus au public.", "success")
    else:
        flash(f"Local « {premises.label} » restauré.", "success")
    return redirect(url_for("backoffice.site", site_id=premises.site_id))
