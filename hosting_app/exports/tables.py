"""Sites and premises as data files: CSV and XLSX (formula injection neutralised), GeoJSON.

Only catalogue data leaves this way (sites, premises, communes, operators): no person.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hosting_app.exports import queries
from hosting_app.labels import Sector
from hosting_app.sites.models import Availability, Premises, Site

# A spreadsheet reads a cell starting with one of these as a formula (or may): OWASP's list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DEMO_NOTE = (
    "Les locaux marqués « démonstration » (colonne démonstration = oui) sont fictifs : "
    "générés pour la démonstration de l'outil, ils ne sont pas à louer ni à vendre."
)
SOURCE_NOTE = (
    "Sites : données de référence du Pacte (sources citées pour chaque site) ; positions "
    "« approximative » : le point n'est pas l'emplacement exact du site. Coordonnées WGS84."
)


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, made inert by a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    """Rows with French column headers, ready for CSV or XLSX."""

    name: str
    headers: list[str]
    rows: list[list[Any]]


def _yes_no(value: bool) -> str:
    return "oui" if value else "non"


def _joined(values: list[str]) -> str:
    return " | ".join(values)


def sites_table(session: Session) -> Table:
    """One row per site: identity, kind, communes, operator, areas, sectors, position."""
    coordinates = session.execute(queries.site_coordinates_and_geojson())
    positions = {row[0]: row[1:3] for row in coordinates}
    sites = session.scalars(queries.sites_with_details()).all()
    headers = [
        "identifiant", "nom", "type", "état", "communes", "codes INSEE", "gestionnaire",
        "surface totale (ha)", "surface commercialisable (ha)", "filières ciblées", "services",
        "adresse", "action du Pacte", "financé par la Région Île-de-France", "position",
        "latitude", "longitude", "locaux", "locaux disponibles", "description", "sources",
    ]  # fmt: skip
    rows = []
    for site in sites:
        latitude, longitude = positions.get(site.id, (None, None))
        available = sum(1 for p in site.premises if p.availability is Availability.AVAILABLE)
        rows.append([
            site.slug, site.name, site.kind.label, site.status.label,
            _joined([c.name for c in site.communes]), _joined([c.insee for c in site.communes]),
            site.operator.name if site.operator else "",
            site.total_area_ha, site.saleable_area_ha,
            _joined([Sector(s).label for s in site.target_sectors]), _joined(site.services),
            site.address or "", site.pacte_action or "", _yes_no(site.region_funded),
            site.position_confidence.label, latitude, longitude,
            len(site.premises), available,
            site.description, _joined(site.source_urls),
        ])  # fmt: skip
    return Table("Sites", headers, rows)


def premises_table(session: Session) -> Table:
    """One row per premises, with its site; demo premises say so."""
    headers = [
        "identifiant", "site", "nom du site", "local", "type", "surface (m²)",
        "loyer (€ HT/m²/an)", "prix de vente (€ HT/m²)", "disponibilité", "disponible à partir du",
        "références cadastrales", "hauteur sous plafond (m)", "démonstration", "latitude",
        "longitude", "description",
    ]  # fmt: skip
    rows = []
    for premises, latitude, longitude, _geometry in session.execute(
        queries.premises_with_geojson()
    ):
        rows.append([
            premises.id, premises.site.slug, premises.site.name, premises.label,
            premises.kind.label, premises.surface_m2, premises.rent_eur_m2_year,
            premises.sale_price_eur_m2, premises.availability.label, premises.available_from,
            _joined(premises.cadastral_refs), premises.ceiling_height_m,
            _yes_no(premises.is_demo), latitude, longitude, premises.description,
        ])  # fmt: skip
    return Table("Locaux", headers, rows)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    return str(neutralise(value))


def to_csv(table: Table) -> bytes:
    """CSV for French spreadsheets: UTF-8 with BOM, ``;`` separated, decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(table.headers)
    writer.writerows([_csv_value(v) for v in row] for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table, notes: list[str]) -> bytes:
    """An XLSX workbook: the table (typed cells, frozen header) and a sheet of notes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(table.headers):
        sheet.column_dimensions[_column_letter(index)].width = max(12, min(len(header) + 2, 40))
    bold = Font(bold=True)
    header_cells = []
    for header in table.headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    about = workbook.create_sheet("À lire")
    for note in notes:
        about.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, value: Any):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Decimal):
        value = float(value)
    cell = WriteOnlyCell(sheet, value=neutralise(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    return cell


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _feature(feature_id: Any, geometry: str | None, properties: dict) -> dict:
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": json.loads(geometry) if geometry else None,
        "properties": properties,
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _collection(name: str, features: list[dict]) -> bytes:
    """A RFC 7946 FeatureCollection (WGS84 longitude, latitude: no ``crs`` member)."""
    collection = {"type": "FeatureCollection", "name": name, "features": features}
    return json.dumps(collection, ensure_ascii=False, default=_json_value).encode("utf-8")


def sites_geojson(session: Session) -> tuple[bytes, int]:
    """Every site (perimeter, else point; none when not located) as GeoJSON; and the count."""
    geometries = {row[0]: row[3] for row in session.execute(queries.site_coordinates_and_geojson())}
    features = [
        _feature(site.slug, geometries.get(site.id), _site_properties(site))
        for site in session.scalars(queries.sites_with_details())
    ]
    return _collection("sites", features), len(features)


def _site_properties(site: Site) -> dict:
    return {
        "nom": site.name,
        "type": site.kind.value,
        "type_libelle": site.kind.label,
        "etat": site.status.label,
        "communes": [c.insee for c in site.communes],
        "gestionnaire": site.operator.name if site.operator else None,
        "surface_totale_ha": site.total_area_ha,
        "surface_commercialisable_ha": site.saleable_area_ha,
        "filieres": site.target_sectors,
        "services": site.services,
        "action_pacte": site.pacte_action,
        "financement_region": site.region_funded,
        "position": site.position_confidence.value,
        "position_libelle": site.position_confidence.label,
        "locaux": len(site.premises),
        "sources": site.source_urls,
    }


def premises_geojson(session: Session) -> tuple[bytes, int]:
    """Every premises (its geometry, else its site's point) as GeoJSON; and the count."""
    features = [
        _feature(premises.id, geometry, _premises_properties(premises))
        for premises, _lat, _lon, geometry in session.execute(queries.premises_with_geojson())
    ]
    return _collection("locaux", features), len(features)


def _premises_properties(premises: Premises) -> dict:
    return {
        "site": premises.site.slug,
        "nom_du_site": premises.site.name,
        "local": premises.label,
        "type": premises.kind.value,
        "type_libelle": premises.kind.label,
        "surface_m2": premises.surface_m2,
        "loyer_eur_m2_an": premises.rent_eur_m2_year,
        "prix_vente_eur_m2": premises.sale_price_eur_m2,
        "disponibilite": premises.availability.value,
        "disponibilite_libelle": premises.availability.label,
        "disponible_a_partir_du": premises.available_from,
        "demonstration": premises.is_demo,
    }
