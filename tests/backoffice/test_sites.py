"""Sites: a drawn, pasted or uploaded perimeter is stored as a valid MultiPolygon in SRID 4326;
the point follows it unless set; invalid input is refused in French with nothing typed lost."""

from __future__ import annotations

import io
import json
import re

import sqlalchemy as sa

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.backoffice import services
from hosting_app.sites.models import Site
from tests.backoffice.support import BOWTIE, SQUARE, logged_in, post
from tests.helpers import csrf_token


def _form(site: Site, **changes) -> dict:
    data = {
        "name": site.name, "slug": site.slug, "kind": site.kind.value,
        "status": site.status.value, "position_confidence": "high",
        "position_source": "Plan de SYMPAV", "point_mode": "auto", "description": site.description,
        "total_area_ha": "541", "target_sectors": ["aeronautics"],
    }  # fmt: skip
    return data | changes


def _stored(session, site_id: int):
    return session.execute(
        sa.select(
            sa.func.ST_IsValid(Site.perimeter),
            sa.func.ST_SRID(Site.perimeter),
            sa.func.GeometryType(Site.perimeter),
            sa.func.ST_SRID(Site.point),
            sa.func.ST_Contains(Site.perimeter, Site.point),
            sa.func.ST_X(Site.point),
            sa.func.ST_Y(Site.point),
            sa.func.ST_Equals(Site.point, sa.func.ST_PointOnSurface(Site.perimeter)),
        ).where(Site.id == site_id)
    ).one()


def test_drawn_perimeter_is_a_valid_multipolygon_with_its_point(
    client, session, sympav_dev, villaroche
):
    logged_in(client, sympav_dev)
    drawn = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    response = post(
        client, f"/gestion/sites/{villaroche.id}/modifier", _form(villaroche, perimeter=drawn)
    )
    assert response.status_code == 302
    valid, srid, kind, point_srid, inside, _x, _y, on_surface = _stored(session, villaroche.id)
    assert (valid, srid, kind, point_srid) == (True, 4326, "MULTIPOLYGON", 4326)
    assert inside and on_surface  # the point follows the perimeter
    public = client.get(f"/sites/{villaroche.slug}").get_data(as_text=True)
    assert "MultiPolygon" in public and "2.664" in public


def test_a_point_set_by_hand_is_kept(client, session, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    response = post(client, f"/gestion/sites/{villaroche.id}/modifier", _form(
        villaroche, perimeter=json.dumps({"type": "Polygon", "coordinates": [SQUARE]}),
        point_mode="manual", latitude="48,6042", longitude="2,6655"))  # fmt: skip
    assert response.status_code == 302
    *_, x, y, on_surface = _stored(session, villaroche.id)
    assert (round(x, 4), round(y, 4)) == (2.6655, 48.6042) and not on_surface
    page = client.get(f"/gestion/sites/{villaroche.id}/modifier").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="manual"', page)


def test_self_intersecting_perimeter_is_refused_and_the_input_kept(
    client, session, sympav_dev, villaroche
):
    point = sa.select(sa.func.ST_AsText(Site.point)).where(Site.id == villaroche.id)
    before = session.scalar(point)
    logged_in(client, sympav_dev)
    bowtie = json.dumps({"type": "Polygon", "coordinates": [BOWTIE]})
    response = post(
        client,
        f"/gestion/sites/{villaroche.id}/modifier",
        _form(
            villaroche, perimeter=bowtie, area_note="Note tapée à conserver", total_area_ha="540,5"
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "La géométrie n&#39;est pas valide" in page and "côtés se croisent" in page
    assert "Note tapée à conserver" in page and 'value="540,5"' in page
    assert "[[2.664, 48.603], [2.667, 48.605]" in page  # the drawing is still there
    session.expire_all()
    site = session.get(Site, villaroche.id)
    assert site.perimeter is None and site.area_note != "Note tapée à conserver"
    assert session.scalar(point) == before


def test_other_bad_geometries_get_clear_messages(client, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    cases = {
        json.dumps({"type": "LineString", "coordinates": SQUARE}): "reçu : une ligne",
        json.dumps({"type": "Polygon", "coordinates": [[[p[1], p[0]] for p in SQUARE]]}):
            "hors de France",
        "{pas du json": "pas lisible",
    }  # fmt: skip
    for text, message in cases.items():
        response = post(
            client, f"/gestion/sites/{villaroche.id}/modifier", _form(villaroche, perimeter=text)
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True), message


def test_validation_error_keeps_every_typed_value(client, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    response = post(client, f"/gestion/sites/{villaroche.id}/modifier", _form(
        villaroche, name="", services="Restaurant d'entreprise\nCrèche", address="Rue tapée",
        source_urls="pas-une-adresse", accesses="Route ; A5 ; 3,5\nTéléphérique ; X ; 1",
        total_area_ha="100", saleable_area_ha="200"))  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in (
        "Indiquez le nom du site.",
        "Adresse web invalide",
        "type inconnu « Téléphérique »",
        "ne peut dépasser la surface totale",
    ):
        assert message in page, message
    for typed in (
        "Restaurant d&#39;entreprise\nCrèche",
        "Rue tapée",
        "pas-une-adresse",
        "Téléphérique ; X ; 1",
        'value="200"',
    ):
        assert typed in page, typed
    assert re.search(r'<input checked[^>]*value="aeronautics"', page)


def test_perimeter_uploaded_as_geojson_file(client, session, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    feature = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {},
         "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
    ]}  # fmt: skip
    data = _form(
        villaroche,
        perimeter="",
        perimeter_file=(io.BytesIO(json.dumps(feature).encode()), "villaroche.geojson"),
    )
    response = post(
        client, f"/gestion/sites/{villaroche.id}/modifier", data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    valid, srid, kind, *_ = _stored(session, villaroche.id)
    assert (valid, srid, kind) == (True, 4326, "MULTIPOLYGON")


def test_perimeter_uploaded_as_a_cnig_site_eco_row_in_lambert93(client, session, admin, villaroche):
    """A CNIG site-eco row carries its outline in Lambert-93: it is reprojected to WGS84."""
    wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in SQUARE) + "))"
    lambert = session.scalar(sa.select(sa.func.ST_AsGeoJSON(
        sa.func.ST_Transform(sa.func.ST_GeomFromText(wkt, 4326), 2154), 3)))  # fmt: skip
    assert json.loads(lambert)["coordinates"][0][0][0] > 600_000  # metres
    row = (
        "site_id;pole_id;site_nom;site_type;site_comm_insee;site_geomsurf\n"
        f"77389_SITE-ECO_00001;;{villaroche.name};zone d'activité économique;77389;"
        f'"{lambert.replace(chr(34), chr(34) * 2)}"\n'
    )
    logged_in(client, admin)
    data = _form(
        villaroche, perimeter="", perimeter_file=(io.BytesIO(row.encode()), "site-eco.csv")
    )
    response = post(
        client, f"/gestion/sites/{villaroche.id}/modifier", data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    valid, srid, kind, _ps, inside, *_ = _stored(session, villaroche.id)
    assert (valid, srid, kind, inside) == (True, 4326, "MULTIPOLYGON", True)
    gap = session.scalar(sa.select(sa.func.ST_HausdorffDistance(
        Site.perimeter, sa.func.ST_Multi(sa.func.ST_GeomFromText(wkt, 4326)))
    ).where(Site.id == villaroche.id))  # fmt: skip
    assert gap < 1e-6  # back where it was drawn, to the millimetre


def test_changes_are_audited_with_before_and_after(client, session, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    post(client, f"/gestion/sites/{villaroche.id}/modifier", _form(
        villaroche, perimeter=json.dumps({"type": "Polygon", "coordinates": [SQUARE]}),
        area_note="Relevé 2026"))  # fmt: skip
    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "site", AuditEntry.entity_id == villaroche.id)
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.action == AuditAction.UPDATE and entry.user_id == sympav_dev.id
    assert entry.organisation_id == sympav_dev.organisation_id
    assert entry.changes["area_note"][1] == "Relevé 2026"
    assert entry.changes["perimeter"][0] is None and entry.changes["perimeter"][1].startswith(
        "MULTIPOLYGON"
    )
    assert entry.changes["point"][0].startswith("POINT")
    history = client.get(f"/gestion/sites/{villaroche.id}/historique").get_data(as_text=True)
    assert "Relevé 2026" in history and "SYMPAV" in history


def test_site_page_says_when_and_by_whom_its_data_was_updated(client, sympav_dev, villaroche):
    public = client.get(f"/sites/{villaroche.slug}").get_data(as_text=True)
    assert "Données mises à jour le" not in public  # the seed is no one's edit
    logged_in(client, sympav_dev)
    post(client, f"/gestion/sites/{villaroche.id}/modifier", _form(villaroche, point_mode="manual",
         latitude="48.60667", longitude="2.67028", area_note="Mise à jour"))  # fmt: skip
    public = client.get(f"/sites/{villaroche.slug}").get_data(as_text=True)
    assert "Données mises à jour le" in public
    assert ">SYMPAV</abbr>" in public


def test_a_save_on_top_of_someone_elses_is_refused_with_their_values(
    client, session, sympav_dev, admin, villaroche
):
    logged_in(client, sympav_dev)
    url = f"/gestion/sites/{villaroche.id}/modifier"
    form_page = client.get(url).get_data(as_text=True)
    version = re.search(
        r'id="version" name="version" type="hidden" value="([^"]+)"', form_page
    ).group(1)
    site = session.get(Site, villaroche.id)
    services.update_site(
        session, user=admin, site=site, values={"name": site.name, "area_note": "Par l'admin"},
        communes=[c.insee for c in site.communes], accesses=[], point=(48.60667, 2.67028),
    )  # fmt: skip
    session.commit()
    response = client.post(url, data=_form(villaroche, area_note="Ma version", point_mode="manual",
                                           latitude="48.6", longitude="2.67", version=version,
                                           csrf_token=csrf_token(form_page)))  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "a enregistré cette fiche pendant que vous la modifiiez" in page
    assert "Par l&#39;admin" in page and "Ma version" in page
    session.expire_all()
    assert session.get(Site, villaroche.id).area_note == "Par l'admin"
