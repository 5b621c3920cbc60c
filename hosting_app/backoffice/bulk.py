"""Bulk update of a site's premises from a CSV file: availability, date, rent, sale price.

All or nothing: every row is checked first; one bad row and nothing changes, and the report
says what is wrong on which line. A blank cell leaves a value as it is; « aucun » clears it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.auth.models import User
from hosting_app.backoffice import services
from hosting_app.sites.models import Availability, Premises, Site

COLUMNS = {
    "local": "label",
    "disponibilite": "availability",
    "disponible_le": "available_from",
    "loyer_eur_m2_an": "rent_eur_m2_year",
    "prix_vente_eur_m2": "sale_price_eur_m2",
}
INFORMATIVE = ("type", "surface_m2")  # written by the export, ignored on import
EXPORT_COLUMNS = ("local", "type", "surface_m2", "disponibilite", "disponible_le",
                  "loyer_eur_m2_an", "prix_vente_eur_m2")  # fmt: skip
CLEAR = {"aucun", "aucune", "-"}
MAX_ROWS = 5000


class BulkError(ValueError):
    """The file as a whole cannot be read; the message says why, in French."""


@dataclass
class RowReport:
    """What one line of the file would change, or why it is refused."""

    line: int
    label: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    premises: Premises | None = None


@dataclass
class BulkReport:
    """The per-row report of a bulk update, and whether it was applied."""

    rows: list[RowReport]
    applied: bool = False

    @property
    def ok(self) -> bool:
        """Whether every row is valid."""
        return not any(row.errors for row in self.rows)

    @property
    def changed(self) -> int:
        """How many premises change."""
        return sum(1 for row in self.rows if row.changes)

    @property
    def refused(self) -> int:
        """How many rows are refused."""
        return sum(1 for row in self.rows if row.errors)


def decode(data: bytes) -> str:
    """An uploaded text file: UTF-8 (with or without BOM), else Windows-1252 (Excel)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _key(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


AVAILABILITY = {_key(a.label): a for a in Availability} | {a.value: a for a in Availability}


def _csv_rows(text: str, delimiter: str):
    """(line number, cells) of each row; a row the csv module cannot read is a BulkError."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise BulkError(
                f"Ligne {reader.line_num} illisible : vérifiez les guillemets et les séparateurs."
            ) from error
        yield reader.line_num, cells


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (line number, {column: cell}); BulkError on an unusable header."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise BulkError("Le fichier est vide.")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = _csv_rows(text, delimiter)
    header = [_key(name) for name in next(reader)[1]]
    unknown = [name for name in header if name and name not in COLUMNS and name not in INFORMATIVE]
    if unknown:
        raise BulkError(
            f"Colonne inconnue : {', '.join(unknown)}. Colonnes possibles : "
            f"{', '.join(COLUMNS)} (et {', '.join(INFORMATIVE)}, ignorées)."
        )
    if "local" not in header:
        raise BulkError("La colonne « local » (le nom de chaque local) manque.")
    rows = []
    for line, cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((line, dict(zip(header, (c.strip() for c in cells), strict=False))))
        if len(rows) > MAX_ROWS:
            raise BulkError(f"Trop de lignes : {MAX_ROWS} au plus par fichier.")
    if not rows:
        raise BulkError("Le fichier n'a aucune ligne de local sous l'en-tête.")
    return rows


def _decimal(text: str, label: str) -> Decimal | None:
    if text.lower() in CLEAR:
        return None
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text).replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(f"{label} illisible : « {text} ».") from error
    if not value.is_finite() or value <= 0 or value >= Decimal("1e8"):
        raise ValueError(f"{label} : un montant positif est attendu (reçu « {text} »).")
    return value.quantize(Decimal("0.01"))


def _date(text: str) -> date | None:
    if text.lower() in CLEAR:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"Date illisible : « {text} » (JJ/MM/AAAA ou AAAA-MM-JJ).")


def _availability(text: str) -> Availability:
    found = AVAILABILITY.get(_key(text))
    if found is None:
        names = ", ".join(a.label for a in Availability)
        raise ValueError(f"Disponibilité inconnue : « {text} » ({names}).")
    return found


PARSERS = {
    "availability": _availability,
    "available_from": _date,
    "rent_eur_m2_year": lambda text: _decimal(text, "Loyer"),
    "sale_price_eur_m2": lambda text: _decimal(text, "Prix de vente"),
}


def plan(rows: list[tuple[int, dict[str, str]]], premises: dict[str, Premises]) -> BulkReport:
    """What each row would change on the site's premises (by label), or its errors."""
    report = BulkReport(rows=[])
    seen: dict[str, int] = {}
    for line, cells in rows:
        label = cells.get("local", "")
        row = RowReport(line=line, label=label)
        report.rows.append(row)
        unit = premises.get(label.casefold())
        if not label:
            row.errors.append("Le nom du local (colonne « local ») est vide.")
        elif label.casefold() in seen:
            row.errors.append(f"Ce local figure déjà ligne {seen[label.casefold()]}.")
        elif unit is None:
            row.errors.append(f"Aucun local « {label} » sur ce site.")
        elif unit.archived_at is not None:
            row.errors.append("Ce local est archivé : restaurez-le avant de le modifier.")
        seen.setdefault(label.casefold(), line)
        values: dict[str, Any] = {}
        for column, attribute in COLUMNS.items():
            text = cells.get(column, "")
            if attribute == "label" or not text:
                continue
            try:
                values[attribute] = PARSERS[attribute](text)
            except ValueError as error:
                row.errors.append(str(error))
        if unit is not None and not row.errors:
            row.premises = unit
            row.changes = {
                k: (getattr(unit, k), v) for k, v in values.items() if getattr(unit, k) != v
            }
    return report


def site_premises(session: Session, site: Site) -> dict[str, Premises]:
    """A site's premises by case-folded label."""
    units = session.scalars(sa.select(Premises).where(Premises.site_id == site.id))
    return {unit.label.casefold(): unit for unit in units}


def apply(session: Session, *, user: User, site: Site, text: str, file_name: str) -> BulkReport:
    """Check every row, then apply them all (each change audited) or none."""
    report = plan(read_rows(text), site_premises(session, site))
    if not report.ok:
        return report
    for row in report.rows:
        if row.changes and row.premises is not None:
            services.update_premises(
                session, user=user, premises=row.premises,
                values={k: after for k, (_before, after) in row.changes.items()},
                details={"import": file_name[:200], "line": row.line},
            )  # fmt: skip
    report.applied = True
    return report


def export(premises: list[Premises]) -> str:
    """A site's premises as the CSV the import reads back (semicolons, French decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)

    def number(value: Decimal | None) -> str:
        return f"{value:.2f}".replace(".", ",") if value is not None else ""

    for unit in premises:
        writer.writerow([
            unit.label, unit.kind.label, number(unit.surface_m2), unit.availability.label,
            unit.available_from.strftime("%d/%m/%Y") if unit.available_from else "",
            number(unit.rent_eur_m2_year), number(unit.sale_price_eur_m2),
        ])  # fmt: skip
    return "\ufeff" + out.getvalue()
