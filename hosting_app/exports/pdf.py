"""Site sheets and the territory brochure: A4 PDF rendered by WeasyPrint from HTML templates."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy.orm import Session

from hosting_app.exports import queries, svgmap
from hosting_app.labels import Sector
from hosting_app.sites.maps import AVAILABILITY_COLOURS, KIND_COLOURS
from hosting_app.sites.models import Availability, PositionConfidence, Premises, Site, SiteKind
from hosting_app.templating import number_fr

# Figures of the 2011 Pacte, quoted as such (PRODUCT.md): not recomputed, not updated.
PACTE_INHABITANTS = 213_000
PACTE_JOBS = 87_000
REGION_MENTION = "action financée par la Région Ile-de-France"
OFFERED = (Availability.AVAILABLE, Availability.UNDER_CONSTRUCTION)


@dataclass
class Sheet:
    """What one site's sheet shows."""

    site: Site
    number: int
    units: list[Premises]  # available now or under construction, by surface
    counts: dict[Availability, int]
    has_demo: bool
    mark: svgmap.SiteMark | None = None
    map: Markup | None = None
    paris_km: float | None = None
    outside_territory_map: bool = False

    @property
    def approximate(self) -> bool:
        """Whether the position shown is only approximate."""
        return self.site.position_confidence is PositionConfidence.LOW

    @property
    def all_demo(self) -> bool:
        """Whether every offered unit is demo data (said once, not on each row)."""
        return bool(self.units) and all(unit.is_demo for unit in self.units)

    @property
    def located(self) -> bool:
        """Whether the site has a position at all."""
        return self.map is not None

    def span(self, attribute: str, unit: str, *, whole: bool = False) -> str | None:
        """« 40–90 000 m² »: lowest and highest ``attribute`` of the offered units (rounded to
        whole units when ``whole``)."""
        values = [getattr(u, attribute) for u in self.units if getattr(u, attribute) is not None]
        if not values:
            return None
        low, high = min(values), max(values)
        if whole:
            low, high = (v.quantize(Decimal(1), ROUND_HALF_UP) for v in (low, high))
        low, high = decimal_fr(low), decimal_fr(high)
        return f"{low}\u00a0{unit}" if low == high else f"{low}–{high}\u00a0{unit}"


@dataclass
class Territory:
    """The territory's key figures and its map."""

    population: int
    communes: int
    intercommunalities: list[str]
    sectors: list[tuple[str, int]]  # label, number of sites targeting it
    kinds: list[tuple[SiteKind, int]]
    offered_units: int
    has_demo: bool
    map: Markup
    unlocated: list[Sheet] = field(default_factory=list)


def decimal_fr(value: Decimal | float | int | None) -> str:
    """A surface or price the French way, with decimals only when it has some (to the cent):
    12,5 · 186 · 90 000 · 164,37."""
    if value is None:
        return "—"
    exact = Decimal(str(value)).quantize(Decimal("0.01")).normalize()
    return number_fr(exact, max(0, -int(exact.as_tuple().exponent)))


def when(unit: Premises) -> str:
    """« Disponible », « Disponible le 23/09/2027 », « En construction, 05/10/2027 »…"""
    day = unit.available_from
    if unit.availability is Availability.AVAILABLE:
        return f"Disponible le {day:%d/%m/%Y}" if day and day > date.today() else "Disponible"
    return f"{unit.availability.label}, {day:%d/%m/%Y}" if day else unit.availability.label


def journey_order(site: Site) -> tuple[int, str]:
    """Sort key of the brochure: the kinds in the order of a firm's journey, then the name."""
    return list(SiteKind).index(site.kind), site.name


def build_sheets(session: Session, site_ids: list[int] | None = None) -> list[Sheet]:
    """The sheets of the given sites (all by default), in the order of a firm's journey."""
    sites = sorted(session.scalars(queries.sites_with_details(site_ids)).all(), key=journey_order)
    ids = [site.id for site in sites]
    shapes = {row[0]: row[1:] for row in session.execute(queries.site_shapes(ids))}
    points: dict[int, list[svgmap.PremisesMark]] = {}
    for site_id, availability, x, y in session.execute(queries.premises_points(ids)):
        points.setdefault(site_id, []).append(svgmap.PremisesMark((x, y), availability))
    communes = commune_shapes(session)
    numbers = brochure_numbers(session) if site_ids is not None else {}
    sheets = []
    for position, site in enumerate(sites, start=1):
        number = numbers.get(site.id, position)
        units = sorted(
            (p for p in site.premises if p.availability in OFFERED),
            key=lambda p: (p.availability is not Availability.AVAILABLE, p.surface_m2, p.label),
        )
        counts = {a: sum(1 for p in site.premises if p.availability is a) for a in Availability}
        sheet = Sheet(
            site=site,
            number=number,
            units=units,
            counts=counts,
            has_demo=any(p.is_demo for p in site.premises),
        )
        if site.id in shapes:
            x, y, perimeter, paris_km = shapes[site.id]
            sheet.paris_km = paris_km
            sheet.mark = _mark(site, number, (x, y), perimeter)
            sheet.map = svgmap.site_map(
                communes,
                sheet.mark,
                points.get(site.id, []),
                min_span=6000 if sheet.approximate else 2000,
            )
        sheets.append(sheet)
    return sheets


def brochure_numbers(session: Session) -> dict[int, int]:
    """Each site's number in the brochure (a sheet printed alone keeps it)."""
    sites = session.execute(queries.site_names()).all()
    ordered = sorted(sites, key=lambda row: (list(SiteKind).index(row.kind), row.name))
    return {row.id: number for number, row in enumerate(ordered, start=1)}


def commune_shapes(session: Session) -> list[svgmap.CommuneShape]:
    """Every commune's contour in Lambert-93, for the maps."""
    return [
        svgmap.CommuneShape(name, json.loads(contour), (x, y), in_territory)
        for _insee, name, in_territory, contour, x, y in session.execute(queries.commune_shapes())
    ]


def _mark(site: Site, number: int, position, perimeter: str | None) -> svgmap.SiteMark:
    return svgmap.SiteMark(
        number=number,
        name=site.name,
        kind=site.kind,
        position=position,
        perimeter=json.loads(perimeter) if perimeter else None,
        approximate=site.position_confidence is PositionConfidence.LOW,
    )


def build_territory(session: Session, sheets: list[Sheet]) -> Territory:
    """The territory's figures (the seed's communes, the catalogue's sites) and map."""
    population, communes = session.execute(queries.territory_population()).one()
    marks = [sheet.mark for sheet in sheets if sheet.mark is not None]
    territory_map, outside = svgmap.territory_map(commune_shapes(session), marks)
    for sheet in sheets:
        sheet.outside_territory_map = sheet.number in outside
    sectors = [
        (sector.label, sum(1 for s in sheets if sector.value in s.site.target_sectors))
        for sector in Sector
    ]
    return Territory(
        population=population or 0,
        communes=communes,
        intercommunalities=list(session.scalars(queries.territory_intercommunalities())),
        sectors=[(label, count) for label, count in sectors if count],
        kinds=[(k, n) for k in SiteKind if (n := sum(1 for s in sheets if s.site.kind is k))],
        offered_units=sum(len(s.units) for s in sheets),
        has_demo=any(s.has_demo for s in sheets),
        map=territory_map,
        unlocated=[s for s in sheets if not s.located],
    )


class Images:
    """The SVG images of one document, handed to the PDF engine by name (``image:3``) rather
    than inlined: parsing big inline SVG or ``data:`` URIs costs more than drawing them."""

    def __init__(self) -> None:
        self.svg: dict[str, bytes] = {}
        self._names: dict[str, str] = {}

    def __call__(self, svg: str) -> str:
        """The name of an image (the same SVG, the same name)."""
        text = str(svg)
        if text not in self._names:
            self._names[text] = name = f"image:{len(self._names)}"
            self.svg[name] = text.encode("utf-8")
        return self._names[text]


def render_pdf(html: str, images: Images) -> bytes:
    """HTML to PDF with the print stylesheet; only the document's own images are fetched
    (no network, no files)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OwnImages(URLFetcher):
        def fetch(self, url, headers=None):
            if url in images.svg:
                return URLFetcherResponse(url, images.svg[url], {"Content-Type": "image/svg+xml"})
            raise ValueError(f"ressource refusée : {url}")

    fetcher = OwnImages(allowed_protocols=())
    stylesheet = Path(current_app.static_folder, "css", "print.css").read_text(encoding="utf-8")
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=stylesheet, url_fetcher=fetcher)]
    )


def _common(base_url: str | None, images: Images) -> dict:
    return {
        "image": images,
        "today": date.today(),
        "availability": Availability,
        "decimal_fr": decimal_fr,
        "when": when,
        "kind_colours": KIND_COLOURS,
        "availability_colours": AVAILABILITY_COLOURS,
        "region_mention": REGION_MENTION,
        "base_url": base_url.rstrip("/") if base_url else None,
        "pacte_inhabitants": PACTE_INHABITANTS,
        "pacte_jobs": PACTE_JOBS,
    }


def site_sheet_pdf(session: Session, site: Site, *, base_url: str | None = None) -> bytes:
    """One site's sheet as a PDF."""
    (sheet,) = build_sheets(session, [site.id])
    images = Images()
    html = render_template("exports/sheet.html", sheet=sheet, **_common(base_url, images))
    return render_pdf(html, images)


def brochure_pdf(session: Session, *, base_url: str | None = None) -> tuple[bytes, int]:
    """The territory brochure as a PDF (figures, map, then every site's sheet); and the
    number of sites in it."""
    sheets = build_sheets(session)
    territory = build_territory(session, sheets)
    images = Images()
    html = render_template(
        "exports/brochure.html", sheets=sheets, territory=territory, **_common(base_url, images)
    )
    return render_pdf(html, images), len(sheets)
