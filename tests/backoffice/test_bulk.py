"""Bulk update of availability and prices from a CSV file: all rows or none, reported per row."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from hosting_app.audit.models import AuditEntry
from hosting_app.backoffice import bulk
from hosting_app.sites.models import Availability, Premises
from tests.backoffice.support import logged_in, post


def _units(session, site) -> dict[str, Premises]:
    session.expire_all()
    return {p.label: p for p in session.scalars(
        sa.select(Premises).where(Premises.site_id == site.id))}  # fmt: skip


def _upload(client, site, text: str, encoding: str = "utf-8"):
    url = f"/gestion/sites/{site.id}/locaux/import"
    return post(
        client,
        url,
        {"file": (io.BytesIO(text.encode(encoding)), "locaux.csv")},
        content_type="multipart/form-data",
    )


GOOD = (
    "local;disponibilite;disponible_le;loyer_eur_m2_an;prix_vente_eur_m2\n"
    "Lot 1;Disponible;01/03/2027;;95,50\n"
    "Lot 2;réservé;;;\n"
    "lot 3;;aucun;;110\n"
)


def test_the_whole_file_is_applied_and_each_change_audited(client, session, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    response = _upload(client, villaroche, GOOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 locaux mis à jour" in page
    units = _units(session, villaroche)
    assert units["Lot 1"].availability == Availability.AVAILABLE
    assert units["Lot 1"].available_from == date(2027, 3, 1)
    assert units["Lot 1"].sale_price_eur_m2 == Decimal("95.50")
    assert units["Lot 2"].availability == Availability.RESERVED
    assert units["Lot 3"].sale_price_eur_m2 == Decimal("110.00")
    entries = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "premises", AuditEntry.entity_id == units["Lot 1"].id
        )
    ).all()
    assert entries[-1].changes["sale_price_eur_m2"] == [118.0, 95.5]
    assert entries[-1].details == {"site_id": villaroche.id, "import": "locaux.csv", "line": 2}


def test_one_bad_row_changes_nothing_and_is_reported(client, session, sympav_dev, villaroche):
    before = {label: (u.availability, u.sale_price_eur_m2)
              for label, u in _units(session, villaroche).items()}  # fmt: skip
    logged_in(client, sympav_dev)
    bad = GOOD + "Lot 4;vendu;;;-3\nLot 99;Disponible;;;\n"
    response = _upload(client, villaroche, bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Aucun local n'a été modifié" in page and "2 lignes sont refusées" in page
    assert "Disponibilité inconnue : « vendu »" in page
    assert "Prix de vente : un montant positif est attendu (reçu « -3 »)" in page
    assert "Aucun local « Lot 99 » sur ce site." in page
    assert "<td>5</td>" in page and "<td>6</td>" in page  # the lines of the file
    after = {label: (u.availability, u.sale_price_eur_m2)
             for label, u in _units(session, villaroche).items()}  # fmt: skip
    assert after == before


def test_a_file_with_an_unknown_column_is_refused_whole(client, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    response = _upload(client, villaroche, "local;loyer\nLot 1;12\n")
    assert response.status_code == 400
    assert "Colonne inconnue : loyer" in response.get_data(as_text=True)


def test_export_reads_back_unchanged(client, session, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    exported = client.get(f"/gestion/sites/{villaroche.id}/locaux.csv")
    assert exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert text.startswith("\ufefflocal;type;surface_m2;disponibilite")
    response = _upload(client, villaroche, text.lstrip("\ufeff"), encoding="cp1252")
    assert response.status_code == 200
    assert "0 local mis à jour" in response.get_data(as_text=True)


@pytest.mark.parametrize(("cell", "expected"), [
    ("1 234,5", Decimal("1234.50")), ("95.5 €", Decimal("95.50")), ("aucun", None),
])  # fmt: skip
def test_prices_are_read_the_french_way(cell, expected):
    rows = bulk.read_rows(f'local,prix_vente_eur_m2\nLot 1,"{cell}"\n')
    unit = Premises(label="Lot 1", sale_price_eur_m2=Decimal("1"))
    report = bulk.plan(rows, {"lot 1": unit})
    assert report.ok and report.rows[0].changes["sale_price_eur_m2"][1] == expected
