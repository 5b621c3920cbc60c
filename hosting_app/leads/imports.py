"""Importing firms from a CSV file: the project's columns, or INSEE's SIRENE establishments.

The file is streamed: each row is read, checked with the firm form's rules
(``services.firm_values`` for the identifiers, ``FirmForm``'s validators for the rest) and
copied (COPY) into a temporary table; the rows are then merged into ``firm`` by set-based SQL
(new firms inserted, changed values updated and audited firm by firm, the import audited as a
whole) in the caller's transaction. One bad row and nothing is merged. Parsing needs no
database; big files are checked by worker processes.
"""

from __future__ import annotations

import csv
import functools
import multiprocessing
import operator
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Optional, ValidationError

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import record
from hosting_app.auth.models import User
from hosting_app.leads import dedup, identifiers, services
from hosting_app.leads.forms import FirmForm

PROJECT = "project"
SIRENE = "sirene"
FORMAT_LABELS = {PROJECT: "colonnes du projet", SIRENE: "SIRENE StockEtablissement"}

# The project's CSV format: all optional but ``name``; UTF-8, ``,`` or ``;`` separated.
PROJECT_COLUMNS = (
    "siret", "siren", "name", "trade_name", "legal_form", "naf_code", "workforce_band",
    "address", "postcode", "city", "website", "email", "phone", "sector",
)  # fmt: skip
# Columns of INSEE's StockEtablissement file read by the import (the others are ignored).
SIRENE_COLUMNS = (
    "siren", "siret", "etatAdministratifEtablissement", "denominationUsuelleEtablissement",
    "enseigne1Etablissement", "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement", "trancheEffectifsEtablissement",
    "complementAdresseEtablissement", "numeroVoieEtablissement", "indiceRepetitionEtablissement",
    "typeVoieEtablissement", "libelleVoieEtablissement", "codePostalEtablissement",
    "libelleCommuneEtablissement", "codeCommuneEtablissement",
)  # fmt: skip
SIRENE_REQUIRED = (
    "siret", "etatAdministratifEtablissement", "denominationUsuelleEtablissement",
    "enseigne1Etablissement",
)  # fmt: skip
# Where each firm value comes from in a SIRENE row (to name the column of an error).
SIRENE_SOURCES = {
    "siret": "siret", "siren": "siren", "name": "denominationUsuelleEtablissement",
    "trade_name": "enseigne1Etablissement", "naf_code": "activitePrincipaleEtablissement",
    "workforce_band": "trancheEffectifsEtablissement", "address": "libelleVoieEtablissement",
    "postcode": "codePostalEtablissement", "city": "libelleCommuneEtablissement",
}  # fmt: skip
# INSEE's street type codes (typeVoieEtablissement), written out in the address.
STREET_TYPES = {
    "ALL": "ALLEE", "AV": "AVENUE", "BD": "BOULEVARD", "CAR": "CARREFOUR", "CHE": "CHEMIN",
    "CHS": "CHAUSSEE", "COR": "CORNICHE", "CRS": "COURS", "DOM": "DOMAINE", "DSC": "DESCENTE",
    "ECA": "ECART", "ESP": "ESPLANADE", "FG": "FAUBOURG", "GR": "GRANDE RUE", "HAM": "HAMEAU",
    "HLE": "HALLE", "IMP": "IMPASSE", "LD": "LIEU DIT", "LOT": "LOTISSEMENT", "MAR": "MARCHE",
    "MTE": "MONTEE", "PAS": "PASSAGE", "PL": "PLACE", "PLN": "PLAINE", "PLT": "PLATEAU",
    "PRO": "PROMENADE", "PRV": "PARVIS", "QUA": "QUARTIER", "RES": "RESIDENCE", "RLE": "RUELLE",
    "ROC": "ROCADE", "RPT": "ROND POINT", "RTE": "ROUTE", "SEN": "SENTIER", "SQ": "SQUARE",
    "TPL": "TERRE PLEIN", "TRA": "TRAVERSE", "VLA": "VILLA", "VLGE": "VILLAGE",
}  # fmt: skip
NOT_DIFFUSED = "[ND]"  # SIRENE's mask for values of establishments in partial diffusion
STAGED = (
    "name", "name_normalised", "trade_name", "siren", "siret", "legal_form", "naf_code",
    "workforce_band", "address", "postcode", "city", "commune_insee", "website", "email_domain",
    "phone", "sector",
)  # fmt: skip
AUDITED = tuple(f for f in STAGED if f != "name_normalised")
_STAGED_FIELDS = frozenset(STAGED)
BATCH_SIZE = 1000
PARALLEL_FROM_BYTES = 8 * 1024 * 1024  # smaller files are checked in the calling process
MAX_REPORTED_ERRORS = 1000
MERGE_WORK_MEM = "64MB"  # for the import's transaction: hash joins of the file with ``firm``


class ImportFormatError(Exception):
    """The file as a whole cannot be read (unknown columns, encoding…), with a French message."""


@dataclass(frozen=True)
class RowError:
    """A refused value: the file's line (header = line 1), its column and why, in French."""

    line: int
    column: str
    message: str


@dataclass(frozen=True)
class ParsedRow:
    """One data row: its values ready for the database (in STAGED order), or why it is
    skipped or refused."""

    line: int
    staged: tuple[Any, ...] | None = None
    errors: tuple[RowError, ...] = ()
    skipped: str | None = None  # "closed": a closed SIRENE establishment

    @property
    def values(self) -> dict[str, Any] | None:
        """The staged values by firm field."""
        return dict(zip(STAGED, self.staged, strict=True)) if self.staged is not None else None


@dataclass
class ImportReport:
    """What an import read and did; with errors, nothing was written."""

    path: str
    file_format: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_closed: int = 0
    skipped_unnamed: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        """Whether the file was imported."""
        return self.error_count == 0

    def add_error(self, error: RowError) -> None:
        """Count an error; keep the first MAX_REPORTED_ERRORS for the report."""
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)


# --- The firm form's rules, applied to one value at a time ------------------------------

_FRENCH = get_translations(["fr_FR", "fr"])


class _Input:
    """What a WTForms validator needs of a field: its data and French messages."""

    __slots__ = ("data",)
    gettext = staticmethod(_FRENCH.gettext)
    ngettext = staticmethod(_FRENCH.ngettext)

    def __init__(self, data: str):
        self.data = data


@dataclass(frozen=True)
class _Rule:
    filters: tuple[Callable[[Any], Any], ...]
    validators: tuple[Callable[[Any, Any], Any], ...]
    choices: dict[str, str] | None


def _value_label(choice: Any) -> tuple[str, str]:
    """A select choice's value and label (a WTForms SelectChoice or a (value, label) pair)."""
    if hasattr(choice, "value"):
        return choice.value, choice.label
    return choice[0], choice[1]


def _rule(name: str) -> _Rule:
    """FirmForm's filters, validators and choices for one field (identifiers excepted: those
    are checked by ``services.firm_values``)."""
    kwargs = getattr(FirmForm, name).kwargs
    validators = tuple(
        v for v in kwargs.get("validators", ()) if not isinstance(v, Optional | DataRequired)
    )
    choices = None
    if "choices" in kwargs:
        choices = {}
        for choice in kwargs["choices"]:
            value, label = _value_label(choice)
            if value:
                choices[value] = choices[value.casefold()] = value
                choices[label.casefold()] = value
    return _Rule(tuple(kwargs.get("filters", ())), validators, choices)


FORM_RULES = {
    name: _rule(name)
    for name in (
        "name", "trade_name", "legal_form", "naf_code", "workforce_band", "sector", "address",
        "postcode", "city", "website", "email",
    )
}  # fmt: skip
NAME_REQUIRED = next(
    v.message for v in FirmForm.name.kwargs["validators"] if isinstance(v, DataRequired)
)


_normalise = functools.lru_cache(maxsize=1 << 16)(dedup.normalise_name)  # namesakes are many


class RowInvalid(ValueError):
    """A row's refused values: [(firm field, French message)]."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


@functools.lru_cache(maxsize=1 << 16)  # postcodes, cities, NAF codes… repeat from row to row
def _check(name: str, value: str) -> tuple[Any, str | None]:
    """A value through the form field's filters and validators: (value, error or None)."""
    rule = FORM_RULES[name]
    for apply in rule.filters:
        value = apply(value)
    if not value:
        return None, None
    if name == "email" and identifiers.plain_email(value):
        return value, None  # what the form's e-mail check says of it, for less
    if rule.choices is not None:
        key = value.zfill(2) if name == "workforce_band" and value.isdigit() else value
        chosen = rule.choices.get(key) or rule.choices.get(key.casefold())
        if chosen is None:
            allowed = ", ".join(dict.fromkeys(rule.choices.values()))
            return None, f"Valeur inconnue : « {value} » (valeurs admises : {allowed})."
        return chosen, None
    for validate in rule.validators:
        try:
            validate(None, _Input(value))
        except ValidationError as error:
            return None, str(error)
    return value, None


def _identifier_problems(raw: dict[str, Any], error: Exception) -> list[tuple[str, str]]:
    """Which identifier ``firm_values`` refused, column by column."""
    problems = []
    for name, clean in (
        ("siret", identifiers.clean_siret),
        ("siren", identifiers.clean_siren),
        ("phone", identifiers.clean_phone),
    ):
        try:
            clean(raw.get(name))
        except identifiers.InvalidIdentifier as refused:
            problems.append((name, str(refused)))
    return problems or [("siren", str(error))]


def clean_firm(raw: dict[str, Any], *, required: tuple[str, ...] = ("name",)) -> dict[str, Any]:
    """A row's raw text values, checked and normalised as the firm form and services do;
    raises RowInvalid with every refused value (``required``: "name" and/or "siret")."""
    problems: list[tuple[str, str]] = []
    data = {k: v for k, v in raw.items() if k in _STAGED_FIELDS}
    email = (raw.get("email") or "").strip()
    if email:
        email_value, error = _check("email", email)
        if error:
            problems.append(("email", error))
        data["email_domain"] = identifiers.email_domain(email_value)
    try:
        values = services.firm_values(data)
    except identifiers.InvalidIdentifier as error:
        problems += _identifier_problems(data, error)
        values = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in data.items()}
    for name in FORM_RULES:
        value = values.get(name)
        if value is None or name == "email":
            continue
        values[name], error = _check(name, value)
        if error:
            problems.append((name, error))
    for name in required:
        if not values.get(name):
            problems.append((name, NAME_REQUIRED if name == "name" else "SIRET manquant."))
    if problems:
        raise RowInvalid(problems)
    name = values.get("name")
    values["name_normalised"] = _normalise(name) if name else None
    return values


# (line, the row's cells read by the import — PROJECT_COLUMNS or SIRENE_COLUMNS order — or
# None, and None or the row's error message)
Item = tuple[int, tuple[str, ...] | None, str | None]
# (line, staged values or None, [(field, message)] or None, "closed" or an error message)
Checked = tuple[int, tuple[Any, ...] | None, list[tuple[str, str]] | None, str | None]


def clean_batch(batch: list[Item], file_format: str) -> list[Checked]:
    """Check a batch of rows (in a worker process for big files)."""
    checked: list[Checked] = []
    sirene = file_format == SIRENE
    required = ("siret",) if sirene else ("name",)
    for line, cells, note in batch:
        if cells is None:
            checked.append((line, None, None, note))
            continue
        if sirene:
            raw, skipped = sirene_values(dict(zip(SIRENE_COLUMNS, cells, strict=True)))
            if raw is None:
                checked.append((line, None, None, skipped))
                continue
        else:
            raw = dict(zip(PROJECT_COLUMNS, cells, strict=True))
        try:
            values = clean_firm(raw, required=required)
        except RowInvalid as invalid:
            checked.append((line, None, invalid.problems, None))
        else:
            checked.append((line, tuple([values.get(n) for n in STAGED]), None, None))
    return checked


# COPY's text format: values separated by tabs, \N for NULL, these characters escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    return (value if isinstance(value, str) else str(value)).translate(_COPY_ESCAPES)


def _copy_line(line: int, staged: tuple[Any, ...]) -> str:
    """A staged row in COPY's text format (its file line first)."""
    try:
        text = "\t".join(["\\N" if v is None else v for v in staged])
    except TypeError:  # a value that is not text
        text = None
    nulls = staged.count(None)
    if (
        text is None
        or text.count("\t") != len(staged) - 1
        or text.count("\\") != nulls
        or "\n" in text
        or "\r" in text
    ):  # a value to escape (rare): each on its own
        text = "\t".join(map(_copy_text, staged))
    return f"{line}\t{text}"


@dataclass
class CheckedBatch:
    """A batch of rows checked for the import: its good rows as COPY input (line and STAGED
    values), the others as (line, [(field, message)] or None, the row's note)."""

    rows: int
    copy_text: str = ""
    closed: int = 0
    refused: list[tuple[int, list[tuple[str, str]] | None, str | None]] = field(
        default_factory=list
    )


def check_batch(batch: list[Item], file_format: str) -> CheckedBatch:
    """Check a batch of rows and write the good ones in COPY's text format, where they are
    checked (in a worker process for big files): the importing process only forwards them."""
    result = CheckedBatch(rows=len(batch))
    lines = []
    for line, staged, problems, note in clean_batch(batch, file_format):
        if staged is not None:
            lines.append(_copy_line(line, staged))
        elif not problems and note == "closed":
            result.closed += 1
        else:
            result.refused.append((line, problems, note))
    if lines:
        result.copy_text = "\n".join(lines) + "\n"
    return result


# --- Reading a file ---------------------------------------------------------------------


def sniff_delimiter(header_line: str) -> str:
    """``;`` when the header has more semicolons than commas, else ``,``."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def detect_format(header: list[str]) -> str:
    """PROJECT or SIRENE from the header row; raises ImportFormatError otherwise."""
    columns = [c.strip().lower() for c in header]
    if not any(columns):
        raise ImportFormatError("Fichier vide : la première ligne doit nommer les colonnes.")
    if "siret" in columns and "etatadministratifetablissement" in columns:
        if "datefin" in columns:
            raise ImportFormatError(
                "Fichier d'historique SIRENE (StockEtablissementHistorique) : importez le "
                "stock des établissements (StockEtablissement)."
            )
        missing = [c for c in SIRENE_REQUIRED if c.lower() not in columns]
        if missing:
            raise ImportFormatError(f"Colonnes SIRENE manquantes : {', '.join(missing)}.")
        return SIRENE
    if "denominationunitelegale" in columns:
        raise ImportFormatError(
            "Fichier des unités légales SIRENE (StockUniteLegale) : importez le stock des "
            "établissements (StockEtablissement), qui porte les SIRET et les adresses."
        )
    if "name" in columns:
        unknown = [h for h, c in zip(header, columns, strict=True) if c not in PROJECT_COLUMNS]
        if unknown:
            raise ImportFormatError(
                f"Colonnes inconnues : {', '.join(unknown)}. Colonnes admises : "
                f"{', '.join(PROJECT_COLUMNS)}."
            )
        doubled = sorted({c for c in columns if columns.count(c) > 1})
        if doubled:
            raise ImportFormatError(f"Colonnes en double : {', '.join(doubled)}.")
        return PROJECT
    raise ImportFormatError(
        "Format de fichier non reconnu. Première ligne attendue : soit les colonnes du "
        f"projet ({', '.join(PROJECT_COLUMNS)} ; name obligatoire), soit celles du fichier "
        "SIRENE StockEtablissement de l'Insee (siren, siret, etatAdministratifEtablissement, "
        "denominationUsuelleEtablissement, enseigne1Etablissement…)."
    )


def sirene_values(row: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    """A SIRENE establishment's firm values (raw text) from its columns, or (None, "closed").

    The name is denominationUsuelleEtablissement, else enseigne1Etablissement (then the
    trade name when both differ); the NAF code is kept only in NAF rév. 2; the address is
    built from the street columns, street type written out; « [ND] » (not diffused) is empty.
    """
    row = {k: cell for k, v in row.items() if (cell := v.strip()) and cell != NOT_DIFFUSED}

    def get(column: str) -> str:
        return row.get(column, "")

    if get("etatAdministratifEtablissement") == "F":
        return None, "closed"
    denomination = get("denominationUsuelleEtablissement")
    sign = get("enseigne1Etablissement")
    street_type = get("typeVoieEtablissement")
    number = " ".join(p for p in (get("numeroVoieEtablissement"),
                                  get("indiceRepetitionEtablissement")) if p)  # fmt: skip
    street = " ".join(
        p for p in (number, STREET_TYPES.get(street_type, street_type),
                    get("libelleVoieEtablissement")) if p
    )  # fmt: skip
    nomenclature = get("nomenclatureActivitePrincipaleEtablissement")
    return {
        "siret": get("siret"),
        "siren": get("siren"),
        "name": denomination or sign,
        "trade_name": sign if denomination and sign and sign != denomination else None,
        "naf_code": get("activitePrincipaleEtablissement")
        if nomenclature in ("", "NAFRev2")
        else None,
        "workforce_band": get("trancheEffectifsEtablissement"),
        "address": ", ".join(p for p in (get("complementAdresseEtablissement"), street) if p),
        "postcode": get("codePostalEtablissement"),
        "city": get("libelleCommuneEtablissement"),
        "commune_insee": get("codeCommuneEtablissement") or None,
    }, None


class FirmFile:
    """An open CSV file of firms: its format from the header, then its rows checked."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._file = open(self.path, encoding="utf-8-sig", newline="")  # noqa: SIM115
        try:
            first = self._file.readline()
        except UnicodeDecodeError as error:
            self._file.close()
            raise ImportFormatError(NOT_UTF8) from error
        self.delimiter = sniff_delimiter(first)
        self.header = next(csv.reader([first], delimiter=self.delimiter), [])
        try:
            self.format = detect_format(self.header)
        except ImportFormatError:
            self._file.close()
            raise
        self.index = {c.strip().lower(): i for i, c in enumerate(self.header)}
        columns = SIRENE_COLUMNS if self.format == SIRENE else PROJECT_COLUMNS
        self._positions = [self.index.get(c.lower()) for c in columns]

    def __enter__(self) -> FirmFile:
        return self

    def __exit__(self, *exc_info) -> None:
        self._file.close()

    def column(self, name: str) -> str:
        """The file's own name of a firm field's column (for the error report)."""
        if self.format == SIRENE:
            source = SIRENE_SOURCES.get(name, name)
        else:
            source = "email" if name == "email_domain" else name
        position = self.index.get(source.lower())
        return self.header[position].strip() if position is not None else source

    def rows(self, *, workers: int = 0, meanwhile: bool = True) -> Iterator[ParsedRow]:
        """Every data row, parsed and checked (blank lines ignored); checked by ``workers``
        processes when there are any (the rows come in the file's order either way), and
        here while they start unless ``meanwhile`` is False."""
        for results in self._checked(clean_batch, workers, meanwhile):
            yield from self._parsed(results)

    def checked_batches(
        self, *, workers: int = 0, meanwhile: bool = True
    ) -> Iterator[CheckedBatch]:
        """The rows, checked BATCH_SIZE at a time and the good ones written for COPY, by
        ``workers`` processes when there are any (in the file's order either way), and here
        while they start unless ``meanwhile`` is False."""
        return self._checked(check_batch, workers, meanwhile)

    def errors(
        self, line: int, problems: list[tuple[str, str]] | None, note: str | None
    ) -> list[RowError]:
        """A refused row's errors, each in its column as the file names it."""
        if problems:
            return [RowError(line, self.column(f), m) for f, m in problems]
        return [RowError(line, "", note or "")]

    def _checked(
        self, check: Callable[[list[Item], str], Any], workers: int, meanwhile: bool = True
    ) -> Iterator[Any]:
        """``check`` of each batch of rows, in order; by ``workers`` processes if any. The
        processes take a while to start (the first time, the forkserver imports the app):
        meanwhile, batches are checked here."""
        batches = self._batches()
        if workers < 1:
            for batch in batches:
                yield check(batch, self.format)
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        starter = ThreadPoolExecutor(1)
        starting = starter.submit(context.Pool, workers)
        starter.shutdown(wait=False)
        try:
            while meanwhile and not starting.done():
                batch = next(batches, None)
                if batch is None:
                    return
                yield check(batch, self.format)
            pool = starting.result()
            pending: deque = deque()
            for batch in batches:
                pending.append(pool.apply_async(check, (batch, self.format)))
                if len(pending) > 2 * workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
        finally:  # the processes end with the rows, or as soon as they have started
            starting.add_done_callback(lambda started: started.result().terminate())

    def _batches(self) -> Iterator[list[Item]]:
        """The file's rows, BATCH_SIZE at a time, as (line, cells read or None, note)."""
        reader = csv.reader(self._file, delimiter=self.delimiter)
        width = len(self.header)
        # The cells read, in order; a column the file lacks reads as the empty cell added last.
        read = operator.itemgetter(*(width if i is None else i for i in self._positions))
        batch: list[Item] = []
        end = 1
        try:
            for fields in reader:
                line, end = end + 1, reader.line_num + 1
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue
                if len(fields) != width:
                    batch.append((line, None, f"{len(fields)} colonnes au lieu de {width}."))
                else:
                    fields.append("")
                    batch.append((line, read(fields), None))
                if len(batch) == BATCH_SIZE:
                    yield batch
                    batch = []
        except UnicodeDecodeError as error:
            raise ImportFormatError(NOT_UTF8) from error
        except csv.Error as error:
            raise ImportFormatError(f"Ligne {end + 1} illisible : {error}.") from error
        if batch:
            yield batch

    def _parsed(self, results: list[Checked]) -> Iterator[ParsedRow]:
        for line, staged, problems, note in results:
            if staged is not None:
                yield ParsedRow(line, staged)
            elif not problems and note == "closed":
                yield ParsedRow(line, skipped=note)
            else:
                yield ParsedRow(line, errors=tuple(self.errors(line, problems, note)))


NOT_UTF8 = "Le fichier n'est pas en UTF-8 : enregistrez-le au format « CSV UTF-8 »."


# --- Loading and merging ----------------------------------------------------------------

STAGING_SQL = f"""
DROP TABLE IF EXISTS firm_import_match;
DROP TABLE IF EXISTS firm_import;
CREATE TEMPORARY TABLE firm_import (line integer NOT NULL, {", ".join(f"{c} text" for c in STAGED)})
ON COMMIT DROP
"""
COPY_SQL = f"COPY firm_import (line, {', '.join(STAGED)}) FROM STDIN"

# Two rows of the file for one establishment (same SIRET; or, without SIRET, same normalised
# name and postcode): the later ones are refused. (Grouped in bytes order, "C": the same
# groups, sorted faster.)
DUPLICATES_SQL = """
SELECT line, first_line, column_name, count(*) OVER () AS total FROM (
    SELECT line, 'siret' AS column_name,
           min(line) OVER (PARTITION BY siret COLLATE "C") AS first_line
    FROM firm_import WHERE siret IS NOT NULL
    UNION ALL
    SELECT line, 'name', min(line) OVER (
        PARTITION BY name_normalised COLLATE "C", coalesce(postcode, '') COLLATE "C")
    FROM firm_import WHERE siret IS NULL
) AS rows_ WHERE line <> first_line ORDER BY line LIMIT :limit
"""
# The existing firm of each row: same SIRET; without SIRET, the oldest firm without SIRET (and
# not merged away) with the same normalised name and postcode — a namesake with a SIRET may be
# another establishment, so an import never writes over it on a name alone.
MATCH_SQL = """
CREATE TEMPORARY TABLE firm_import_match ON COMMIT DROP AS
SELECT s.line, f.id AS firm_id FROM firm_import AS s JOIN firm AS f ON f.siret = s.siret
UNION ALL
SELECT s.line, named.id FROM firm_import AS s JOIN (
    SELECT f.name_normalised, coalesce(f.postcode, '') AS postcode, min(f.id) AS id
    FROM firm AS f
    WHERE f.siret IS NULL AND f.merged_into_id IS NULL
      AND f.name_normalised IN (SELECT name_normalised FROM firm_import WHERE siret IS NULL)
    GROUP BY 1, 2
) AS named ON named.name_normalised = s.name_normalised
          AND named.postcode = coalesce(s.postcode, '')
WHERE s.siret IS NULL
"""
SAME_FIRM_SQL = """
SELECT line, first_line, firm_id, count(*) OVER () AS total FROM (
    SELECT line, firm_id, min(line) OVER (PARTITION BY firm_id) AS first_line
    FROM firm_import_match
) AS rows_ WHERE line <> first_line ORDER BY line LIMIT :limit
"""


def _changed(name: str, file_format: str) -> str:
    """SQL: the row brings a new value for ``name`` (empty cells never erase)."""
    if name == "name" and file_format == SIRENE:
        # INSEE writes names in capitals: only a different normalised name is a new name.
        return "s.name IS NOT NULL AND s.name_normalised IS DISTINCT FROM f.name_normalised"
    if name == "commune_insee":
        return "c.insee IS NOT NULL AND c.insee IS DISTINCT FROM f.commune_insee"
    return f"s.{name} IS NOT NULL AND s.{name} IS DISTINCT FROM f.{name}"


def _source(name: str) -> str:
    """SQL: a staged value (the commune only when the territory knows it)."""
    return "c.insee" if name == "commune_insee" else f"s.{name}"


def _update_sql(file_format: str) -> str:
    """Changed values of matched firms: updated (version bumped) and audited, in one go."""
    new = ",\n".join(
        f"CASE WHEN {_changed(n, file_format)} THEN {_source(n)} END AS new_{n}, f.{n} AS old_{n}"
        for n in AUDITED
    )
    assignments = ",\n".join(
        f"{n} = coalesce(d.new_{n}, firm.{n})" for n in AUDITED
    )  # fmt: skip
    changes = ", ".join(
        f"'{n}', CASE WHEN d.new_{n} IS NOT NULL THEN jsonb_build_array(d.old_{n}, d.new_{n}) END"
        for n in AUDITED
    )
    return f"""
WITH diff AS (
    SELECT f.id, s.line, s.name_normalised, {new}
    FROM firm_import AS s
    JOIN firm_import_match AS m ON m.line = s.line
    JOIN firm AS f ON f.id = m.firm_id
    LEFT JOIN commune AS c ON c.insee = s.commune_insee
), changed AS (
    SELECT * FROM diff WHERE num_nonnulls({", ".join(f"new_{n}" for n in AUDITED)}) > 0
), updated AS (
    UPDATE firm SET {assignments},
        name_normalised = CASE WHEN d.new_name IS NOT NULL THEN d.name_normalised
                               ELSE firm.name_normalised END,
        version = firm.version + 1, updated_at = now()
    FROM changed AS d WHERE firm.id = d.id
)
INSERT INTO audit_entry (user_id, organisation_id, action, entity_type, entity_id, changes, details)
SELECT :user_id, :organisation_id, 'import', 'firm', d.id,
       jsonb_strip_nulls(jsonb_build_object({changes})),
       jsonb_build_object('file', CAST(:file AS text), 'format', CAST(:format AS text),
                          'line', d.line)
FROM changed AS d
"""  # noqa: S608 - only column names are interpolated, values are bound


def _insert_sql() -> str:
    """Rows matching no firm (and named): inserted."""
    columns = ", ".join(STAGED)
    values = ", ".join(_source(n) for n in STAGED)
    return f"""
INSERT INTO firm ({columns}, created_by_organisation_id)
SELECT {values}, :organisation_id
FROM firm_import AS s LEFT JOIN commune AS c ON c.insee = s.commune_insee
WHERE s.name IS NOT NULL AND NOT EXISTS (SELECT FROM firm_import_match AS m WHERE m.line = s.line)
ORDER BY s.siret COLLATE "C"  -- neighbouring keys: the SIRET and SIREN indexes written page by page
"""  # noqa: S608 - only column names are interpolated, values are bound


# The trigram indexes of the names, one per band of firm_name (the partitions of its index).
CLEAN_PENDING_SQL = """
SELECT coalesce(sum(gin_clean_pending_list(inhrelid::regclass)), 0) FROM pg_inherits
WHERE inhparent = 'ix_firm_name_trgm'::regclass
"""


def import_firms(
    db: Session | sa.Connection,
    path: str | os.PathLike,
    *,
    user: User | None = None,
    progress: Callable[[int], Any] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import a CSV file of firms in the caller's transaction (flushes, never commits).

    With any refused row, nothing is written and the report lists the errors; raises
    ImportFormatError when the file itself cannot be read. Rows are checked by ``workers``
    processes (default: one per CPU for files of 8 MiB or more, none below; this process
    checks the first batches while they start), started by multiprocessing's forkserver: a
    script calling this needs the usual ``if __name__ == "__main__":`` guard (or
    ``workers=0``).
    """
    if workers is None:
        big = os.path.getsize(path) >= PARALLEL_FROM_BYTES
        workers = (os.cpu_count() or 1) if big else 0
    session = db if isinstance(db, Session) else Session(bind=db)
    session.flush()
    connection = session.connection()
    report = ImportReport(path=os.fspath(path))
    with FirmFile(path) as firms:
        report.file_format = firms.format
        connection.exec_driver_sql(STAGING_SQL)
        work_mem = connection.exec_driver_sql("SHOW work_mem").scalar()
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{MERGE_WORK_MEM}'")  # hash joins
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
            for batch in firms.checked_batches(workers=workers):
                report.rows += batch.rows
                report.skipped_closed += batch.closed
                if batch.copy_text:
                    copy.write(batch.copy_text)
                for refused in batch.refused:
                    for error in firms.errors(*refused):
                        report.add_error(error)
                if progress is not None:
                    progress(batch.rows)
        if report.ok:
            _check_duplicates(connection, firms, report)
        if report.ok:
            _merge(session, firms, report, user)
    connection.exec_driver_sql("DROP TABLE IF EXISTS firm_import_match; DROP TABLE firm_import")
    connection.execute(sa.text("SELECT set_config('work_mem', :value, true)"), {"value": work_mem})
    if report.ok and report.created + report.updated:
        # New names (added to firm_name by its trigger) wait in the trigram indexes' pending
        # lists (GIN fastupdate), which every duplicate search then reads whole: 3,500
        # imported names made each search of a 13,500-firm CRM take 3 ms instead of 0.15 ms,
        # and the planner counts those pages against the index. They join the indexes now.
        connection.execute(sa.text(CLEAN_PENDING_SQL))
    if report.ok:
        session.expire_all()  # firms were changed behind the ORM's back
    return report


def _check_duplicates(connection: sa.Connection, firms: FirmFile, report: ImportReport) -> None:
    """Refuse rows that repeat an establishment of the file."""
    limit = {"limit": MAX_REPORTED_ERRORS}
    # Its size and keys, for the joins' plans
    connection.exec_driver_sql("ANALYZE firm_import (line, siret, name_normalised, postcode)")
    for row in connection.execute(sa.text(DUPLICATES_SQL), limit):
        report.error_count = row.total
        column = firms.column(row.column_name)
        what = "Même SIRET" if row.column_name == "siret" else "Sans SIRET, même nom et code postal"
        report.errors.append(RowError(row.line, column, f"{what} que la ligne {row.first_line}."))
    if not report.ok:
        return
    connection.execute(sa.text(MATCH_SQL))
    connection.exec_driver_sql("ANALYZE firm_import_match")
    for row in connection.execute(sa.text(SAME_FIRM_SQL), limit):
        report.error_count = row.total
        report.errors.append(
            RowError(
                row.line, firms.column("siret"),
                f"Même entreprise (n° {row.firm_id}) que la ligne {row.first_line}.",
            )
        )  # fmt: skip


def _merge(session: Session, firms: FirmFile, report: ImportReport, user: User | None) -> None:
    """Update the matched firms' changed values (one audit entry each), insert the others
    (one audit entry for the whole import)."""
    params = {
        "user_id": user.id if user else None,
        "organisation_id": user.organisation_id if user else None,
        "file": os.path.basename(firms.path),
        "format": firms.format,
    }
    connection = session.connection()
    matched = connection.scalar(sa.text("SELECT count(*) FROM firm_import_match"))
    report.updated = connection.execute(sa.text(_update_sql(firms.format)), params).rowcount
    report.unchanged = matched - report.updated
    report.created = connection.execute(sa.text(_insert_sql()), params).rowcount
    report.skipped_unnamed = connection.scalar(
        sa.text(
            "SELECT count(*) FROM firm_import AS s WHERE s.name IS NULL AND NOT EXISTS "
            "(SELECT FROM firm_import_match AS m WHERE m.line = s.line)"
        )
    )
    if report.created or report.updated:
        # The created firms' created_at is this entry's time (both are the transaction's).
        record(
            session, user=user, action=AuditAction.IMPORT, entity_type="firm",
            entity_id=None, details={
                "file": params["file"], "format": firms.format, "rows": report.rows,
                "created": report.created, "updated": report.updated,
                "unchanged": report.unchanged, "skipped_closed": report.skipped_closed,
                "skipped_unnamed": report.skipped_unnamed,
            },
        )  # fmt: skip
        session.flush()
