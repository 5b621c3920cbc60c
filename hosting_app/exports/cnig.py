"""The catalogue in the CNIG « Sites économiques » standard (v1.0.1): site-eco, terrain-eco and
pole-eco CSV files with exactly the schemas' columns, in a data package.

Mapping (also written in the package's LISEZMOI.md):
- site-eco: one row per located site (point or perimeter); ``site_id`` is
  ``{INSEE of the main commune}_SITE-ECO_{site id}``. Geometries are GeoJSON in Lambert-93
  (EPSG:2154) to the centimetre, the perimeter when known, else the site's point (the schema
  wants a surface, which no source gives for most sites: a point is what is known, no
  perimeter is invented). ``site_geompoint`` is WGS84 « lon, lat », the only form the
  schema's ``geopoint`` type accepts. Required numbers with no known value are 0 (« non
  renseignée »): ``site_surf_utile`` always, ``site_surf_brute`` when the area is unknown.
- pole-eco: the schema makes ``pole_id`` required on every site, and no source groups the
  sites into poles: each site is its own pole (« un pôle = a minima un site »).
- terrain-eco: the land plots (premises of kind land_plot) that are not demo data; the
  other premises (offices, workshops…) are not land, and demo premises are fictitious.
- EPCI: the main commune's intercommunality of the 2011 Pacte, as the catalogue knows it.
- Text cells that a spreadsheet would run as a formula start with a quote (undone on import).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hosting_app.auth.models import OrganisationKind
from hosting_app.exports import queries
from hosting_app.exports.tables import FORMULA_STARTS, neutralise
from hosting_app.labels import Sector
from hosting_app.sites.models import (
    AccessKind,
    Availability,
    PositionConfidence,
    Premises,
    Site,
    SiteKind,
    SiteStatus,
)

STANDARD = "CNIG Sites économiques v1.0.1"
STANDARD_URL = "https://github.com/cnigfr/schema-sites-economiques"
RESOURCES = ("site-eco", "terrain-eco", "pole-eco")
DELIMITER = ";"
UNKNOWN = "inconnu"
PRODUCER = "Pacte Sénart / Melun Val de Seine — catalogue partagé de l'offre d'accueil"
PARIS = ZoneInfo("Europe/Paris")

SITE_TYPES = {
    SiteKind.ACTIVITY_ZONE: "zone d'activité économique",
    SiteKind.ECO_PARK: "zone d'activité économique",
    SiteKind.AERO_PARK: "zone d'activité économique",
}  # incubators, business hotels, hubs, craft village: « autre »
SITE_STATES = {
    SiteStatus.EXISTING: "existant et actif",
    SiteStatus.PLANNED: "en projet",
    SiteStatus.WORKS: "création",
}
STATES_TO_STATUS = {label: status for status, label in SITE_STATES.items()}
MOA_TYPES = {OrganisationKind.INTERCOMMUNALITY: "epci", OrganisationKind.STATE: "Etat"}
# availability → (terr_stade_comm when for sale, otherwise), terr_stade_amngt, terr_etat_occup
TERRAIN_STATES = {
    Availability.AVAILABLE: ("en vente", "autre", UNKNOWN, "inoccupé"),
    Availability.RESERVED: (
        "réservé par option de réservation", "réservé par option de réservation", UNKNOWN,
        "inoccupé",
    ),
    Availability.OCCUPIED: ("vendu, commercialisation achevée", "autre", UNKNOWN, "occupé"),
    Availability.UNDER_CONSTRUCTION: (
        "non commercialisé", "non commercialisé", "viabilisation en cours", "inoccupé",
    ),
}  # fmt: skip
STAGES_TO_AVAILABILITY = {
    "en vente": Availability.AVAILABLE,
    "en vente avec contraintes": Availability.AVAILABLE,
    "réservé par option de réservation": Availability.RESERVED,
    "réservé par une délibération de l'EPCI": Availability.RESERVED,
    "vendu, commercialisation achevée": Availability.OCCUPIED,
    "non commercialisé": Availability.UNDER_CONSTRUCTION,
}  # other stages have no equivalent: the availability is left as it is
NOTE_LOW = "Position approximative : le point n'est pas l'emplacement exact du site."
NOTE_MEDIUM = "Position indicative."
NOTE_POINT = "Périmètre non connu : la géométrie est le point du site."
NOTES = (NOTE_LOW, NOTE_MEDIUM, NOTE_POINT)
CADASTRAL_REF = re.compile(r"\d{8}[0-9A-Z]{2}\d{4}")
MOTORWAY = re.compile(r"^A\s?\d+\b")
ID = re.compile(r"^(?P<insee>[0-9A-Za-z]+)_(?P<kind>SITE-ECO|POLE-ECO|TERRAIN-ECO)_(?P<n>\d+)$")


@cache
def schema(name: str) -> dict:
    """The standard's Table Schema of ``name`` (site-eco, terrain-eco, pole-eco)."""
    path = resources.files("seed") / "data" / "cnig" / name / "schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


def field_names(name: str) -> list[str]:
    """The schema's columns, in order."""
    return [f["name"] for f in schema(name)["fields"]]


def enum_values(field_schema: dict) -> list[str] | None:
    """A field's value list (the schemas put it beside or inside ``constraints``)."""
    return field_schema.get("enum") or field_schema.get("constraints", {}).get("enum")


def cnig_id(insee: str | None, kind: str, number: int) -> str:
    """``77251_SITE-ECO_00012``: the standard's identifier form, carrying the catalogue's id."""
    return f"{insee or '00000'}_{kind}_{number:05d}"


def parse_id(value: str, kind: str) -> int | None:
    """The catalogue id carried by a CNIG identifier of ``kind``, or None."""
    match = ID.match(value.strip())
    return int(match["n"]) if match and match["kind"] == kind else None


def number(value: Decimal | float | int | None) -> str:
    """A number as the schemas read it (decimal point, no exponent, no trailing zeros)."""
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def paris_day(moment: datetime | None) -> str:
    """The date (Paris time) of a timestamp, ISO formatted."""
    return moment.astimezone(PARIS).date().isoformat() if moment else date.today().isoformat()


@dataclass
class CnigExport:
    """The rows of the three files, and the sites left out (no position)."""

    sites: list[dict[str, str]] = field(default_factory=list)
    terrains: list[dict[str, str]] = field(default_factory=list)
    poles: list[dict[str, str]] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)

    def rows(self, name: str) -> list[dict[str, str]]:
        """The rows of one resource."""
        return {"site-eco": self.sites, "terrain-eco": self.terrains, "pole-eco": self.poles}[name]


def collect(session: Session) -> CnigExport:
    """Every row of the package, from the catalogue."""
    export = CnigExport(unlocated=list(session.scalars(queries.unlocated_site_names())))
    site_ids: dict[int, str] = {}
    insee_of: dict[int, str | None] = {}
    for site, insee, geometry, lon, lat in session.execute(queries.cnig_sites()):
        row = site_row(site, insee, geometry, lon, lat)
        export.sites.append(row)
        export.poles.append(pole_row(row))
        site_ids[site.id] = row["site_id"]
        insee_of[site.id] = insee
    for premises, geometry in session.execute(queries.cnig_terrains()):
        export.terrains.append(
            terrain_row(premises, site_ids[premises.site_id], insee_of[premises.site_id], geometry)
        )
    return export


def _nearest(site: Site, kind: AccessKind, motorway: bool | None = None):
    for access in site.accesses:  # ordered by distance
        is_motorway = bool(MOTORWAY.match(access.name))
        if access.kind is kind and (motorway is None or is_motorway == motorway):
            return access
    return None


def _vocation(site: Site) -> str:
    sectors = set(site.target_sectors)
    if site.kind is SiteKind.AERO_PARK or sectors == {Sector.AERONAUTICS.value}:
        return "aéroportuaire, aéronautique"
    if site.kind is SiteKind.CRAFT_VILLAGE or sectors == {Sector.CRAFTS.value}:
        return "artisanale"
    if sectors == {Sector.LOGISTICS.value}:
        return "entrepôts, logistique"
    return UNKNOWN


def site_description(site: Site, has_perimeter: bool) -> str:
    """The site's description, then what a reader must know about its position."""
    notes = []
    if site.position_confidence is PositionConfidence.LOW:
        notes.append(NOTE_LOW)
    elif site.position_confidence is PositionConfidence.MEDIUM:
        notes.append(NOTE_MEDIUM)
    if not has_perimeter:
        notes.append(NOTE_POINT)
    return " ".join(part for part in [site.description.strip(), *notes] if part)


def strip_notes(text: str) -> str:
    """A site-eco description without the notes that the export adds."""
    text = text.strip()
    changed = True
    while changed:
        changed = False
        for note in NOTES:
            if text.endswith(note):
                text, changed = text[: -len(note)].rstrip(), True
    return text


def site_row(site: Site, insee: str | None, geometry: str, lon, lat) -> dict[str, str]:
    """The site-eco row of a located site."""
    commune = next((c for c in site.communes if c.insee == insee), None)
    epci = commune.intercommunality_2011 if commune else None
    road, motorway = _nearest(site, AccessKind.ROAD, False), _nearest(site, AccessKind.ROAD, True)
    station, airport = _nearest(site, AccessKind.STATION), _nearest(site, AccessKind.AIRPORT)
    labels = []
    if site.pacte_action:
        labels.append(f"Pacte pour l'emploi, la formation et le développement économique "
                      f"(2011), {site.pacte_action}")  # fmt: skip
    if site.region_funded:
        labels.append("Action financée par la Région Ile-de-France")
    operator = site.operator
    row = dict.fromkeys(field_names("site-eco"), "")
    row.update(
        site_id=cnig_id(insee, "SITE-ECO", site.id),
        pole_id=cnig_id(insee, "POLE-ECO", site.id),
        site_nom=site.name,
        site_type=SITE_TYPES.get(site.kind, "autre"),
        site_vocadomi=_vocation(site),
        site_etat=SITE_STATES[site.status],
        site_surf_brute=number(site.total_area_ha or 0),
        site_surf_utile="0",
        site_identif_date=paris_day(site.created_at),
        site_actu_date=paris_day(site.updated_at),
        source_producteur=PRODUCER,
        site_description=site_description(site, site.perimeter is not None),
        site_quali_territoire="; ".join(labels),
        site_epci_nom=epci.name if epci else UNKNOWN,
        site_epci_siren=(epci.siren or UNKNOWN) if epci else UNKNOWN,
        site_comm_nom=commune.name if commune else UNKNOWN,
        site_comm_insee=insee or UNKNOWN,
        site_moa_type=MOA_TYPES.get(operator.kind, "autre") if operator else UNKNOWN,
        site_moa_nom=(operator.name + (" (à confirmer)" if site.operator_unconfirmed else ""))
        if operator
        else "",
        site_geomsurf=geometry,
        site_geompoint=f"{number(lon)}, {number(lat)}",
        site_surf_comm_dispo=number(site.saleable_area_ha),
        site_voca_aeroportuaire="oui" if _vocation(site).startswith("aéroportuaire") else "",
        site_voca_artisanale="oui" if _vocation(site) == "artisanale" else "",
        desserte_route_nom=road.name if road else "",
        autoroute_nom=motorway.name if motorway else "",
        autoroute_echang_dist=number(motorway.distance_km) if motorway else "",
        gare_nom=station.name if station else "",
        gare_dist=number(station.distance_km) if station else "",
        aeroport_nom=airport.name if airport else "",
        aeroport_dist=number(airport.distance_km) if airport else "",
    )
    return row


def pole_row(site: dict[str, str]) -> dict[str, str]:
    """The pole-eco row of a site that is its own pole."""
    vocation = site["site_vocadomi"]
    row = dict.fromkeys(field_names("pole-eco"), "")
    row.update(
        pole_id=site["pole_id"],
        pole_nom=site["site_nom"],
        pole_vocadomi="mixte, sans dominante" if vocation == "mixte" else vocation,
        pole_identif_date=site["site_identif_date"],
        pole_actu_date=site["site_actu_date"],
        pole_nb_site="1",
        pole_surface=site["site_surf_brute"],
        pole_geompoint=site["site_geompoint"],
    )
    return row


def cadastral_refs(premises: Premises) -> list[str]:
    """The premises' cadastral references in the form the schema accepts."""
    return [ref for ref in premises.cadastral_refs if CADASTRAL_REF.fullmatch(ref)]


def terrain_row(premises: Premises, site_id: str, insee: str | None, geometry: str) -> dict:
    """The terrain-eco row of a published land plot."""
    for_sale, otherwise, development, occupation = TERRAIN_STATES[premises.availability]
    row = dict.fromkeys(field_names("terrain-eco"), "")
    row.update(
        terr_id=cnig_id(insee, "TERRAIN-ECO", premises.id),
        site_id=site_id,
        terr_refcad="|".join(cadastral_refs(premises)),
        terr_surf_brute=number(premises.surface_m2 / Decimal(10_000)),
        terr_utile="oui",
        terr_identif_date=paris_day(premises.created_at),
        terr_actu_date=paris_day(premises.updated_at),
        terr_maitrise_fonc=UNKNOWN,
        terr_stade_amngt=development,
        terr_stade_comm=for_sale if premises.sale_price_eur_m2 else otherwise,
        terr_etat_occup=occupation,
        terr_usage=UNKNOWN,
        terr_geomsurf=geometry,
        terr_m2_prix=number(premises.sale_price_eur_m2),
    )
    return row


# --- Files ----------------------------------------------------------------------------------


def _text_fields(name: str) -> set[str]:
    return {f["name"] for f in schema(name)["fields"] if f.get("type") == "string"}


def unescape(value: str) -> str:
    """Undo ``neutralise`` on a text cell."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def csv_bytes(name: str, rows: list[dict[str, Any]]) -> bytes:
    """One resource as CSV: UTF-8, ``;`` separated, the schema's columns in order."""
    names, texts = field_names(name), _text_fields(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([neutralise(row[n]) if n in texts else row[n] for n in names])
    return buffer.getvalue().encode("utf-8")


def package_files(export: CnigExport, today: date | None = None) -> dict[str, bytes]:
    """The data package: the three CSV files, their schemas, datapackage.json, LISEZMOI.md."""
    today = today or date.today()
    files = {f"{name}.csv": csv_bytes(name, export.rows(name)) for name in RESOURCES}
    for name in RESOURCES:
        files[f"schema/{name}/schema.json"] = json.dumps(
            schema(name), ensure_ascii=False, indent=2
        ).encode("utf-8")
    files["datapackage.json"] = json.dumps(
        _datapackage(export, today), ensure_ascii=False, indent=2
    ).encode("utf-8")
    files["LISEZMOI.md"] = _readme(export, today).encode("utf-8")
    return files


def _datapackage(export: CnigExport, today: date) -> dict:
    titles = {"site-eco": "Sites économiques", "terrain-eco": "Terrains économiques",
              "pole-eco": "Pôles économiques"}  # fmt: skip
    return {
        "profile": "tabular-data-package",
        "name": "sites-economiques-senart-melun-val-de-seine",
        "title": "Sites économiques de Sénart et Melun Val de Seine (standard CNIG)",
        "description": (
            f"Offre d'accueil des entreprises du territoire du Pacte, au standard {STANDARD}. "
            "Géométries en Lambert-93 (EPSG:2154) ; centroïdes en WGS84. Voir LISEZMOI.md."
        ),
        "created": f"{today.isoformat()}T00:00:00Z",
        "sources": [{"title": STANDARD, "path": STANDARD_URL}],
        "resources": [
            {
                "name": name,
                "title": titles[name],
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": DELIMITER},
                "schema": f"schema/{name}/schema.json",
            }
            for name in RESOURCES
        ],
    }


def _readme(export: CnigExport, today: date) -> str:
    unlocated = ", ".join(export.unlocated) or "aucun"
    return f"""# Sites économiques de Sénart et Melun Val de Seine — standard CNIG

Export du {today.isoformat()} du catalogue partagé de l'offre d'accueil des entreprises
(Pacte pour l'emploi, la formation et le développement économique, 2011), au standard
{STANDARD} ({STANDARD_URL}). Fichiers CSV en UTF-8, séparateur « ; ».

- `site-eco.csv` : {len(export.sites)} sites localisés. Identifiant
  `{{code INSEE de la commune principale}}_SITE-ECO_{{numéro du site dans le catalogue}}`.
- `pole-eco.csv` : aucun regroupement de sites en pôles n'est connu ; le standard exigeant un
  `pole_id` pour chaque site, chaque site forme son propre pôle.
- `terrain-eco.csv` : {len(export.terrains)} terrains, les lots à bâtir du catalogue ; les
  bureaux, ateliers et entrepôts ne sont pas des terrains, et les locaux de démonstration,
  fictifs, ne sont jamais publiés.

Conventions :
- `site_geomsurf` et `terr_geomsurf` : GeoJSON en Lambert-93 (EPSG:2154), au centimètre. Quand
  le périmètre d'un site n'est pas connu, la géométrie est son point (aucun périmètre n'est
  inventé) et la description le signale. `site_geompoint` et `pole_geompoint` : « longitude,
  latitude » en WGS84, seule forme admise par le type `geopoint` du schéma.
- Une superficie obligatoire mais inconnue vaut 0 (« non renseignée ») : `site_surf_utile`
  toujours, `site_surf_brute` et `pole_surface` quand la surface du site n'est pas connue.
- Les positions approximatives (commune seulement) sont signalées dans `site_description`.
- EPCI : l'intercommunalité de la commune principale lors du Pacte de 2011.
- Valeurs obligatoires inconnues des listes de valeurs : « inconnu ».
- Une cellule de texte qui commencerait par = + - @ est précédée d'une apostrophe.

Sites non localisés, donc absents : {unlocated}.

Licence de publication : à choisir par le producteur (la Licence Ouverte 2.0 est celle du
standard et des données de référence IGN et INSEE utilisées).
"""


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """The package as a ZIP archive (fixed timestamps: same content, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def write_dir(files: dict[str, bytes], directory: str | Path) -> list[Path]:
    """Write the package into ``directory`` (created if needed); return the paths written."""
    written = []
    for name, content in sorted(files.items()):
        path = Path(directory, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written
