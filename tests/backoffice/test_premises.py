"""Premises: created with an outline or a point, duplicated, archived instead of deleted."""

from __future__ import annotations

import json

import sqlalchemy as sa

from hosting_app.audit.models import AuditEntry
from hosting_app.sites.models import Premises
from tests.backoffice.support import SQUARE, logged_in, post
from tests.lab import CENTRE

LAB = f"lat={CENTRE[1]}&lon={CENTRE[0]}&radius_km=20"


def _form(**changes) -> dict:
    data = {
        "label": "Lot 21", "kind": "land_plot", "surface_m2": "12 500",
        "sale_price_eur_m2": "85,50", "availability": "available", "available_from": "",
        "cadastral_refs": "000 ZA 12, 000 ZA 13", "description": "Terrain viabilisé.",
        "geometry": json.dumps({"type": "Polygon", "coordinates": [SQUARE]}),
    }  # fmt: skip
    return data | changes


def test_new_plot_with_its_outline_is_on_the_public_map_at_once(
    client, session, sympav_dev, villaroche
):
    logged_in(client, sympav_dev)
    response = post(client, f"/gestion/sites/{villaroche.id}/locaux/nouveau", _form())
    assert response.status_code == 302
    plot = session.scalar(sa.select(Premises).where(
        Premises.site_id == villaroche.id, Premises.label == "Lot 21"))  # fmt: skip
    assert response.headers["Location"].endswith(f"/gestion/locaux/{plot.id}/modifier")
    assert float(plot.surface_m2) == 12500 and float(plot.sale_price_eur_m2) == 85.5
    assert plot.cadastral_refs == ["000 ZA 12", "000 ZA 13"] and not plot.is_demo
    kind, srid, valid = session.execute(sa.select(
        sa.func.GeometryType(Premises.geometry), sa.func.ST_SRID(Premises.geometry),
        sa.func.ST_IsValid(Premises.geometry)).where(Premises.id == plot.id)).one()  # fmt: skip
    assert (kind, srid, valid) == ("POLYGON", 4326, True)
    feature = client.get(f"/api/premises/{plot.id}").get_json(force=True)
    assert feature["geometry"]["type"] == "Polygon"
    assert "Lot 21" in client.get(f"/sites/{villaroche.slug}").get_data(as_text=True)
    created = session.scalar(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "premises", AuditEntry.entity_id == plot.id))  # fmt: skip
    assert created.changes["label"] == [None, "Lot 21"]


def test_a_unit_can_be_a_point(client, session, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    point = json.dumps({"type": "Point", "coordinates": [2.6655, 48.604]})
    response = post(
        client,
        f"/gestion/sites/{villaroche.id}/locaux/nouveau",
        _form(label="Bureau B1", kind="office", geometry=point),
    )
    assert response.status_code == 302
    plot = session.scalar(sa.select(Premises).where(
        Premises.site_id == villaroche.id, Premises.label == "Bureau B1"))  # fmt: skip
    assert (
        session.scalar(
            sa.select(sa.func.ST_AsText(Premises.geometry)).where(Premises.id == plot.id)
        )
        == "POINT(2.6655 48.604)"
    )


def test_errors_keep_what_was_typed(client, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    response = post(
        client,
        f"/gestion/sites/{villaroche.id}/locaux/nouveau",
        _form(
            surface_m2="douze", description="Description tapée", geometry='{"type": "LineString"'
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Description tapée" in page and 'value="douze"' in page and 'value="85,50"' in page
    assert "000 ZA 12, 000 ZA 13" in page


def test_same_label_twice_on_a_site_is_refused(client, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    post(client, f"/gestion/sites/{villaroche.id}/locaux/nouveau", _form())
    again = post(client, f"/gestion/sites/{villaroche.id}/locaux/nouveau", _form())
    assert again.status_code == 400
    assert "Un local de ce site porte déjà ce nom." in again.get_data(as_text=True)


def test_duplicate_a_unit(client, session, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    post(client, f"/gestion/sites/{villaroche.id}/locaux/nouveau", _form())
    original = session.scalar(sa.select(Premises).where(
        Premises.site_id == villaroche.id, Premises.label == "Lot 21"))  # fmt: skip
    edit = f"/gestion/locaux/{original.id}/modifier"
    first = post(client, f"/gestion/locaux/{original.id}/dupliquer", {}, page=edit)
    second = post(client, f"/gestion/locaux/{original.id}/dupliquer", {}, page=edit)
    assert first.status_code == second.status_code == 302
    copies = session.scalars(sa.select(Premises).where(
        Premises.site_id == villaroche.id, Premises.label.like("Lot 21 (copie%")
    ).order_by(Premises.id)).all()  # fmt: skip
    assert [c.label for c in copies] == ["Lot 21 (copie)", "Lot 21 (copie 2)"]
    copy = copies[0]
    assert first.headers["Location"].endswith(f"/gestion/locaux/{copy.id}/modifier")
    assert (copy.kind, copy.surface_m2, copy.sale_price_eur_m2, copy.description) == (
        original.kind,
        original.surface_m2,
        original.sale_price_eur_m2,
        original.description,
    )
    assert copy.geometry is None and copy.cadastral_refs == []  # its own plot is drawn next
    entry = session.scalar(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "premises", AuditEntry.entity_id == copy.id))  # fmt: skip
    assert entry.details["duplicated_from"] == original.id


def test_archive_hides_a_unit_from_the_search_the_api_and_the_map(client, session, admin, lab):
    office = lab.premises["office"]
    assert client.get(f"/api/premises?{LAB}").get_json(force=True)["numberMatched"] == 6
    logged_in(client, admin)
    edit = f"/gestion/locaux/{office.id}/modifier"
    response = post(client, f"/gestion/locaux/{office.id}/archiver", {}, page=edit)
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Premises, office.id).archived_at is not None  # kept, not deleted

    search = client.get(f"/locaux?{LAB}&view=liste").get_data(as_text=True)
    assert "5 locaux correspondent" in search and f'href="/locaux/{office.id}"' not in search
    api = client.get(f"/api/premises?{LAB}").get_json(force=True)
    assert api["numberMatched"] == 5
    assert office.id not in [f["id"] for f in api["features"]]
    assert client.get(f"/api/premises/{office.id}").status_code == 404
    rows = client.get(f"/api/premises?{LAB}&format=rows").get_json(force=True)
    assert office.id not in [row[2] for row in rows["rows"]]
    assert f'href="/locaux/{office.id}"' not in client.get(f"/sites/{lab.site.slug}").get_data(
        as_text=True
    )
    back_office = client.get(f"/gestion/sites/{lab.site.id}").get_data(as_text=True)
    assert "archivé" in back_office and "office" in back_office

    post(client, f"/gestion/locaux/{office.id}/restaurer", {}, page=edit)
    assert client.get(f"/api/premises?{LAB}").get_json(force=True)["numberMatched"] == 6
