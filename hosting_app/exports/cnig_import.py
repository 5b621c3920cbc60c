"""Importing CNIG « Sites économiques » files into the catalogue: site-eco and terrain-eco rows
update the sites and land plots whose identifiers they carry.

All or nothing: every cell is checked against the schema, every identifier must name a site or
a published land plot; with one error nothing is written. A value is applied only where the
file differs from what the export writes for the catalogue today, so importing an export
changes nothing (the round trip is stable). pole-eco and the derived columns are not read.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from shapely.validation import explain_validity
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import apply_changes, record
from hosting_app.auth.models import User
from hosting_app.exports import cnig, queries
from hosting_app.sites.models import Premises, Site

IMPORTED = ("site-eco", "terrain-eco")
GEOMETRY_TYPES = {"Point", "Polygon", "MultiPolygon"}
LAMBERT_93_NAMES = {"EPSG:2154", "urn:ogc:def:crs:EPSG::2154"}
LAMBERT_93_BOUNDS = (-400_000, 5_900_000, 1_400_000, 7_300_000)  # around metropolitan France
MAX_REPORTED_ERRORS = 500


class CnigFormatError(Exception):
    """The files as a whole cannot be read, with a French message."""


@dataclass(frozen=True)
class RowError:
    """A refused value: its file, line (header = 1), column and why, in French."""

    file: str
    line: int
    column: str
    message: str


@dataclass
class CnigImportReport:
    """What an import read and did; with errors, nothing was written."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    sites_updated: int = 0
    terrains_updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        """Whether the files were imported."""
        return self.error_count == 0

    def summary(self) -> str:
        """« 12 lignes lues, 1 site et 0 terrain mis à jour, 11 lignes sans changement »."""
        return (
            f"{_count(self.rows, 'ligne')} lue{'s' if self.rows > 1 else ''}, "
            f"{_count(self.sites_updated, 'site')} et {_count(self.terrains_updated, 'terrain')} "
            f"mis à jour, {_count(self.unchanged, 'ligne')} sans changement"
        )

    def add_error(self, error: RowError) -> None:
        """Count an error; keep the first ones for the report."""
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)


def _count(number: int, noun: str) -> str:
    """« 0 site », « 1 site », « 2 sites »."""
    return f"{number} {noun}{'s' if number > 1 else ''}"


# --- Reading the files ------------------------------------------------------------------------


def resource_of(header: list[str]) -> str | None:
    """Which resource a CSV header is (site-eco, terrain-eco, pole-eco), if any."""
    first = header[0] if header else ""
    return {"site_id": "site-eco", "terr_id": "terrain-eco", "pole_id": "pole-eco"}.get(first)


def _decode(content: bytes, name: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CnigFormatError(f"{name} : le fichier n'est pas en UTF-8.") from error


def _delimiter(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return ";" if first.count(";") >= first.count(",") else ","


def _header(text: str) -> list[str]:
    first = text.splitlines()[0] if text else ""
    try:
        return next(csv.reader([first], delimiter=_delimiter(text)), [])
    except csv.Error:
        return []  # not a CNIG header either


def read_files(
    path: str | Path | None = None, *, uploads: dict[str, bytes] | None = None
) -> dict[str, str]:
    """The CSV texts by resource, from a folder, a ZIP package, one CSV file, or uploaded
    files (name → bytes); the resource of each CSV is told by its first column."""
    contents: dict[str, bytes] = dict(uploads or {})
    if path is not None:
        path = Path(path)
        if path.is_dir():
            contents = {p.name: p.read_bytes() for p in sorted(path.glob("*.csv"))}
        else:
            contents = {path.name: path.read_bytes()}
    texts: dict[str, str] = {}
    for name, content in contents.items():
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(content)) as archive:
                    for member in archive.namelist():
                        if member.lower().endswith(".csv") and "/" not in member.strip("/"):
                            _add(texts, member, _decode(archive.read(member), member))
            except zipfile.BadZipFile as error:
                raise CnigFormatError(f"{name} : archive ZIP illisible.") from error
        else:
            _add(texts, name, _decode(content, name))
    if not any(resource in texts for resource in IMPORTED):
        raise CnigFormatError("Aucun fichier site-eco ni terrain-eco n'a été trouvé.")
    return texts


def _add(texts: dict[str, str], name: str, text: str) -> None:
    resource = resource_of(_header(text))
    if resource is None:
        raise CnigFormatError(f"{name} : ni site-eco, ni terrain-eco, ni pole-eco (en-tête).")
    if resource in texts:
        raise CnigFormatError(f"{name} : deux fichiers {resource} ont été fournis.")
    texts[resource] = text


def _rows(resource: str, text: str):
    """(line, row) of a CSV text whose columns must be exactly the schema's."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = next(reader, [])
    except csv.Error as error:
        raise CnigFormatError(f"{resource} : en-tête illisible.") from error
    expected = cnig.field_names(resource)
    missing = [name for name in expected if name not in header]
    unknown = [name for name in header if name not in expected]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("colonnes manquantes : " + ", ".join(missing))
        if unknown:
            parts.append("colonnes inconnues : " + ", ".join(unknown))
        raise CnigFormatError(f"{resource} : " + " ; ".join(parts) + ".")
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CnigFormatError(
                f"{resource} : ligne {reader.line_num} illisible (guillemets, séparateurs)."
            ) from error
        number = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if any(v.strip() for v in values[len(header) :]):
            raise CnigFormatError(
                f"{resource} : ligne {number} : {len(values)} cellules pour {len(header)} colonnes."
            )
        values = values[: len(header)]
        yield number, dict(zip(header, values + [""] * (len(header) - len(values)), strict=True))


# --- Checking a cell against the schema ---------------------------------------------------


def _missing(value: str, resource: str) -> bool:
    return value.strip() in cnig.schema(resource).get("missingValues", [""])


def check_cell(resource: str, spec: dict, value: str) -> str | None:
    """Why ``value`` breaks the schema's field ``spec`` (in French), or None."""
    if _missing(value, resource):
        return (
            "valeur obligatoire manquante" if spec.get("constraints", {}).get("required") else None
        )
    kind = spec.get("type", "string")
    if kind == "number" and _decimal(value) is None:
        return f"nombre attendu (point décimal), pas « {value} »"
    if kind == "number" and _decimal(value) < 0:
        return f"nombre positif attendu, pas « {value} »"
    if kind == "date":
        try:
            datetime.strptime(value, spec.get("format", "%Y-%m-%d"))  # noqa: DTZ007 - a date
        except ValueError:
            return f"date attendue au format {spec.get('format', '%Y-%m-%d')}, pas « {value} »"
    if kind == "geojson":
        return _geometry_problem(value)
    if kind == "geopoint":
        parts = value.split(",")
        coords = [_decimal(p) for p in parts] if len(parts) == 2 else [None]
        if None in coords or not (-180 <= coords[0] <= 180 and -90 <= coords[1] <= 90):
            return f"point « longitude, latitude » en WGS84 attendu, pas « {value} »"
    values = cnig.enum_values(spec)
    if values and value not in values:
        return f"« {value} » n'est pas une valeur de la liste du standard"
    pattern = spec.get("constraints", {}).get("pattern")
    if pattern and not re.fullmatch(pattern, value):
        return f"« {value} » n'a pas la forme attendue"
    return None


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _geometry_problem(value: str) -> str | None:
    try:
        geometry = json.loads(value)
    except ValueError:
        return "géométrie GeoJSON illisible"
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if not isinstance(kind, str) or kind not in GEOMETRY_TYPES:
        return "géométrie GeoJSON Point, Polygon ou MultiPolygon attendue"
    crs = geometry.get("crs")
    if crs is not None:  # GeoJSON 2008's named CRS: {"type": "name", "properties": {"name": …}}
        properties = crs.get("properties") if isinstance(crs, dict) else None
        crs = properties.get("name") if isinstance(properties, dict) else None
        if not isinstance(crs, str):
            return "système de coordonnées (crs) GeoJSON illisible"
    if crs is not None and crs not in LAMBERT_93_NAMES:
        return f"géométrie en Lambert-93 (EPSG:2154) attendue, pas en {crs}"
    try:
        parsed = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError):
        return "coordonnées GeoJSON illisibles"
    if parsed.is_empty or not parsed.is_valid:
        return f"géométrie invalide ({explain_validity(parsed)})"
    minx, miny, maxx, maxy = parsed.bounds
    if (
        minx < LAMBERT_93_BOUNDS[0]
        or miny < LAMBERT_93_BOUNDS[1]
        or maxx > LAMBERT_93_BOUNDS[2]
        or maxy > LAMBERT_93_BOUNDS[3]
    ):
        return "coordonnées hors de la France métropolitaine en Lambert-93 (EPSG:2154)"
    return None


# --- The import -------------------------------------------------------------------------------


@dataclass
class _Change:
    """What one row changes on one record."""

    record: Site | Premises
    values: dict[str, Any] = field(default_factory=dict)
    geometry: tuple[str, str, str] | None = None  # attribute, GeoJSON before, GeoJSON after


def import_files(session: Session, texts: dict[str, str], *, user: User | None) -> CnigImportReport:
    """Check every row of the site-eco and terrain-eco texts, then apply the changes (flush
    only) when there is no error; return the report."""
    report = CnigImportReport(files=sorted(texts))
    current = cnig.collect(session)
    exported_sites = {cnig.parse_id(r["site_id"], "SITE-ECO"): r for r in current.sites}
    exported_terrains = {cnig.parse_id(r["terr_id"], "TERRAIN-ECO"): r for r in current.terrains}
    changes: list[_Change] = []
    if "site-eco" in texts:
        changes += _read_sites(session, texts["site-eco"], exported_sites, report)
    if "terrain-eco" in texts:
        changes += _read_terrains(session, texts["terrain-eco"], exported_terrains, report)
    if not report.ok:
        return report
    for change in changes:
        _apply(session, change, user)
        if isinstance(change.record, Site):
            report.sites_updated += 1
        else:
            report.terrains_updated += 1
    report.unchanged = report.rows - len(changes)
    record(
        session, user=user, action=AuditAction.IMPORT, entity_type="cnig", entity_id=None,
        details={"files": report.files, "rows": report.rows, "sites": report.sites_updated,
                 "terrains": report.terrains_updated},
    )  # fmt: skip
    session.flush()
    return report


def _checked_rows(resource: str, text: str, report: CnigImportReport):
    """Rows whose every cell fits the schema (the others are reported)."""
    specs = {spec["name"]: spec for spec in cnig.schema(resource)["fields"]}
    key = cnig.schema(resource)["primaryKey"]
    seen: set[str] = set()
    for line, row in _rows(resource, text):
        report.rows += 1
        problems = [(name, check_cell(resource, specs[name], row[name])) for name in specs]
        problems = [(name, message) for name, message in problems if message]
        if row[key] in seen:
            problems.append((key, f"identifiant « {row[key]} » en double dans le fichier"))
        seen.add(row[key])
        for column, message in problems:
            report.add_error(RowError(resource, line, column, message))
        if not problems:
            yield line, row


def _differs(resource: str, name: str, value: str, exported: str) -> bool:
    spec = next(f for f in cnig.schema(resource)["fields"] if f["name"] == name)
    if _missing(value, resource) or _missing(exported, resource):
        return _missing(value, resource) != _missing(exported, resource)
    if spec.get("type") == "number":
        return _decimal(value) != _decimal(exported)
    if spec.get("type") == "geojson":
        return json.loads(value) != json.loads(exported)
    return value != exported


def _read_sites(session, text, exported, report) -> list[_Change]:
    changes = []
    for line, row in _checked_rows("site-eco", text, report):
        site_id = cnig.parse_id(row["site_id"], "SITE-ECO")
        current = exported.get(site_id)
        if current is None:
            report.add_error(RowError("site-eco", line, "site_id",
                                      f"aucun site localisé du catalogue n'a l'identifiant "
                                      f"« {row['site_id']} »"))  # fmt: skip
            continue
        site = session.get(Site, site_id)
        change, problems = _Change(site), []
        differs = {n for n in row if _differs("site-eco", n, row[n], current[n])}
        if "site_nom" in differs:
            name = cnig.unescape(row["site_nom"]).strip()
            if len(name) > 200:
                problems.append(("site_nom", "nom de plus de 200 caractères"))
            change.values["name"] = name
        if "site_etat" in differs:
            status = cnig.STATES_TO_STATUS.get(row["site_etat"])
            if status is None:
                problems.append(("site_etat", f"état « {row['site_etat']} » sans équivalent "
                                              "dans le catalogue"))  # fmt: skip
            change.values["status"] = status
        total = site.total_area_ha
        if "site_surf_brute" in differs:
            total = _decimal(row["site_surf_brute"]).quantize(Decimal("0.01")) or None
            change.values["total_area_ha"] = total
        if {"site_surf_comm_dispo", "site_surf_brute"} & differs:
            saleable = _decimal(row["site_surf_comm_dispo"] or "0").quantize(Decimal("0.01"))
            if saleable and total is not None and saleable > total:
                problems.append(("site_surf_comm_dispo", "surface commercialisable supérieure "
                                                         "à la surface totale"))  # fmt: skip
            change.values["saleable_area_ha"] = saleable or None
        if "site_description" in differs:
            change.values["description"] = cnig.strip_notes(cnig.unescape(row["site_description"]))
        if "site_geomsurf" in differs:
            kind = json.loads(row["site_geomsurf"])["type"]
            if kind == "Point" and site.perimeter is not None:
                problems.append(("site_geomsurf", "le site a un périmètre : une géométrie "
                                                  "surfacique est attendue"))  # fmt: skip
            attribute = "point" if kind == "Point" else "perimeter"
            change.geometry = (attribute, current["site_geomsurf"], row["site_geomsurf"])
        _collect(change, changes, problems, "site-eco", line, report)
    return changes


def _read_terrains(session, text, exported, report) -> list[_Change]:
    changes = []
    for line, row in _checked_rows("terrain-eco", text, report):
        premises_id = cnig.parse_id(row["terr_id"], "TERRAIN-ECO")
        current = exported.get(premises_id)
        if current is None:
            report.add_error(RowError("terrain-eco", line, "terr_id",
                                      f"aucun terrain publié du catalogue n'a l'identifiant "
                                      f"« {row['terr_id']} »"))  # fmt: skip
            continue
        premises = session.get(Premises, premises_id)
        change, problems = _Change(premises), []
        differs = {n for n in row if _differs("terrain-eco", n, row[n], current[n])}
        if "site_id" in differs and cnig.parse_id(row["site_id"], "SITE-ECO") != premises.site_id:
            problems.append(("site_id", "ce terrain appartient à un autre site du catalogue"))
        if "terr_surf_brute" in differs:
            surface = (_decimal(row["terr_surf_brute"]) * 10_000).quantize(Decimal("0.01"))
            if surface <= 0:
                problems.append(("terr_surf_brute", "surface nulle"))
            change.values["surface_m2"] = surface
        if "terr_stade_comm" in differs and row["terr_stade_comm"] in cnig.STAGES_TO_AVAILABILITY:
            change.values["availability"] = cnig.STAGES_TO_AVAILABILITY[row["terr_stade_comm"]]
        if "terr_m2_prix" in differs:
            price = _decimal(row["terr_m2_prix"] or "0").quantize(Decimal("0.01"))
            change.values["sale_price_eur_m2"] = price or None
        if "terr_refcad" in differs:
            kept = [r for r in premises.cadastral_refs if r not in cnig.cadastral_refs(premises)]
            change.values["cadastral_refs"] = [r for r in row["terr_refcad"].split("|") if r] + kept
        if "terr_geomsurf" in differs:
            change.geometry = ("geometry", current["terr_geomsurf"], row["terr_geomsurf"])
        _collect(change, changes, problems, "terrain-eco", line, report)
    return changes


def _collect(change, changes, problems, resource, line, report) -> None:
    for column, message in problems:
        report.add_error(RowError(resource, line, column, message))
    if not problems and (change.values or change.geometry):
        changes.append(change)


def _apply(session: Session, change: _Change, user: User | None) -> None:
    target = change.record
    changed = apply_changes(target, change.values)
    if change.geometry:
        attribute, before, after = change.geometry
        wkt = shape(json.loads(after)).wkt
        multi = attribute == "perimeter"
        setattr(target, attribute, session.scalar(queries.from_lambert93(wkt, multi=multi)))
        changed[attribute] = (json.loads(before), json.loads(after))
    entity = "site" if isinstance(target, Site) else "premises"
    record(
        session, user=user, action=AuditAction.UPDATE, entity_type=entity, entity_id=target.id,
        changes=changed, details={"source": "import CNIG"},
    )  # fmt: skip


def import_path(session: Session, path: str | Path, *, user: User | None) -> CnigImportReport:
    """Import a folder, ZIP package or CSV file; return the report."""
    return import_files(session, read_files(path), user=user)
