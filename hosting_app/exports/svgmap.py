"""Map images drawn as SVG from the app's own geometries in Lambert-93: no tiles, no network.

Inputs are plain data (Lambert-93 metres, GeoJSON dicts) prepared by the caller; no SQL here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

from hosting_app.sites.maps import AVAILABILITY_COLOURS, KIND_COLOURS
from hosting_app.sites.models import Availability, SiteKind

FONT = "DejaVu Sans, Liberation Sans, sans-serif"
SCALE_LENGTHS = (50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000)

Point = tuple[float, float]
Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class CommuneShape:
    """A commune's contour (GeoJSON, Lambert-93) and where its name goes."""

    name: str
    contour: dict
    label_at: Point
    in_territory: bool


@dataclass(frozen=True)
class SiteMark:
    """A site as drawn: its number in the brochure, kind, position and perimeter."""

    number: int | None
    name: str
    kind: SiteKind
    position: Point
    perimeter: dict | None
    approximate: bool


@dataclass(frozen=True)
class PremisesMark:
    """A premises as drawn: a dot coloured by availability."""

    position: Point
    availability: Availability


class Frame:
    """The projection of a Lambert-93 box onto an image of ``width`` × ``height`` pixels."""

    def __init__(self, bounds: Bounds, width: int, height: int, margin: int = 16):
        minx, miny, maxx, maxy = bounds
        span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        self.scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
        self.left = (width - span_x * self.scale) / 2 - minx * self.scale
        self.top = (height - span_y * self.scale) / 2 + maxy * self.scale
        self.width, self.height = width, height

    def __call__(self, x: float, y: float) -> Point:
        return self.left + x * self.scale, self.top - y * self.scale

    def inside(self, point: Point) -> bool:
        """Whether a projected point falls on the image."""
        return 0 <= point[0] <= self.width and 0 <= point[1] <= self.height


def geometry_bounds(geometries: Iterable[dict]) -> Bounds | None:
    """The box around GeoJSON (Multi)Polygons and Points."""
    xs: list[float] = []
    ys: list[float] = []
    for geometry in geometries:
        for x, y in _coordinates(geometry):
            xs.append(x)
            ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _coordinates(geometry: dict) -> Iterable[Point]:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        yield tuple(coords[:2])
        return
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    for polygon in polygons:
        for ring in polygon:
            for x, y, *_ in ring:
                yield x, y


def padded(bounds: Bounds, *, min_span: float, ratio: float, pad: float = 0.12) -> Bounds:
    """``bounds`` grown by ``pad`` on each side, to ``min_span`` metres at least, and to the
    image's width/height ``ratio``."""
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w = max((maxx - minx) * (1 + 2 * pad), min_span)
    h = max((maxy - miny) * (1 + 2 * pad), min_span / ratio)
    w, h = max(w, h * ratio), max(h, w / ratio)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _path(geometry: dict, frame: Frame) -> str:
    kind, coords = geometry["type"], geometry["coordinates"]
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = [frame(x, y) for x, y, *_ in ring]
            parts.append("M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in points) + " Z")
    return " ".join(parts)


def _text(x: float, y: float, text: str, *, size: float, fill: str = "#1e1e1e",
          anchor: str = "middle", weight: str = "normal", halo: bool = True) -> str:  # fmt: skip
    attrs = (
        f'x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="{FONT}" '
        f'font-weight="{weight}" text-anchor="{anchor}"'
    )
    # A white outline drawn first keeps labels readable over lines (no paint-order needed).
    under = (
        f'<text {attrs} fill="#ffffff" stroke="#ffffff" stroke-width="2.4">{escape(text)}</text>'
        if halo
        else ""
    )
    return f'{under}<text {attrs} fill="{fill}">{escape(text)}</text>'


def _communes(communes: list[CommuneShape], frame: Frame, *, label_size: float) -> list[str]:
    parts = []
    for commune in communes:
        fill = "#eef2f6" if commune.in_territory else "#f8f8f8"
        dash = "" if commune.in_territory else ' stroke-dasharray="3 2"'
        parts.append(
            f'<path d="{_path(commune.contour, frame)}" fill="{fill}" stroke="#8a8a8a" '
            f'stroke-width="0.7" fill-rule="evenodd"{dash}/>'
        )
    for commune in communes:
        x, y = frame(*commune.label_at)
        if frame.inside((x, y)):
            parts.append(_text(x, y, commune.name, size=label_size, fill="#5a5a5a"))
    return parts


def _scale_bar(frame: Frame) -> str:
    target = frame.width / 5 / frame.scale
    metres = min(SCALE_LENGTHS, key=lambda length: abs(math.log(length / target)))
    length = metres * frame.scale
    x, y = 14, frame.height - 14
    label = f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"
    return (
        f'<g><rect x="{x - 4}" y="{y - 16}" width="{length + 8:.1f}" height="22" fill="#ffffff" '
        f'fill-opacity="0.8"/><path d="M{x},{y - 4} L{x},{y} L{x + length:.1f},{y} '
        f'L{x + length:.1f},{y - 4}" fill="none" stroke="#1e1e1e" stroke-width="1.2"/>'
        + _text(x + length / 2, y - 6, label, size=8, halo=False)
        + "</g>"
    )


def _marker(x: float, y: float, kind: SiteKind, *, radius: float) -> str:
    colour = KIND_COLOURS[kind]
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}" '
        f'stroke="#ffffff" stroke-width="1.5"/>'
    )


def _approximate_ring(x: float, y: float, radius: float) -> str:
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="none" stroke="#1e1e1e" '
        f'stroke-width="1.2" stroke-dasharray="3 2"/>'
    )


def _perimeter(site: SiteMark, frame: Frame) -> str:
    colour = KIND_COLOURS[site.kind]
    dash = ' stroke-dasharray="5 3"' if site.approximate else ""
    return (
        f'<path d="{_path(site.perimeter, frame)}" fill="{colour}" fill-opacity="0.22" '
        f'stroke="{colour}" stroke-width="1.6" fill-rule="evenodd"{dash}/>'
    )


def _svg(width: int, height: int, title: str, parts: list[str]) -> Markup:
    body = "".join(parts)
    # Every text in ``parts`` went through ``escape``; numbers and colours are ours.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>{body}'
        f'<rect width="{width}" height="{height}" fill="none" stroke="#c8c8c8"/></svg>'
    )


def territory_map(
    communes: list[CommuneShape], sites: list[SiteMark], *, width: int = 720, height: int = 540
) -> tuple[Markup, set[int]]:
    """The territory's communes and its numbered sites; also the numbers of the sites that
    fall outside the frame (not drawn)."""
    bounds = geometry_bounds(c.contour for c in communes) or geometry_bounds(
        {"type": "Point", "coordinates": s.position} for s in sites
    )
    if bounds is None:
        return _svg(width, height, "Carte des sites", []), set()
    frame = Frame(padded(bounds, min_span=2000, ratio=width / height, pad=0.02), width, height)
    parts = _communes(communes, frame, label_size=7)
    outside: set[int] = set()
    groups: dict[tuple[int, int], list[SiteMark]] = {}
    for site in sites:
        if site.perimeter:
            parts.append(_perimeter(site, frame))
        x, y = frame(*site.position)
        if not frame.inside((x, y)):
            outside.add(site.number or 0)
            continue
        groups.setdefault((round(x / 6), round(y / 6)), []).append(site)
    for group in groups.values():
        parts.extend(_site_group(group, frame))
    parts.append(_scale_bar(frame))
    return _svg(width, height, "Carte des sites du territoire", parts), outside


def _site_group(group: list[SiteMark], frame: Frame) -> list[str]:
    """Sites at one spot: spread around it on a small ring, each with its number."""
    cx, cy = frame(*group[0].position)
    parts = []
    if any(site.approximate for site in group):
        parts.append(_approximate_ring(cx, cy, 13 if len(group) > 1 else 10))
    for index, site in enumerate(group):
        x, y = cx, cy
        if len(group) > 1:
            angle = -math.pi / 2 + 2 * math.pi * index / len(group)
            x, y = cx + 7 * math.cos(angle), cy + 7 * math.sin(angle)
        parts.append(_marker(x, y, site.kind, radius=5))
    numbers = ", ".join(str(site.number) for site in group if site.number is not None)
    if numbers:
        parts.append(_text(cx + 15, cy + 4, numbers, size=10, anchor="start", weight="bold"))
    return parts


def site_map(
    communes: list[CommuneShape],
    site: SiteMark,
    premises: list[PremisesMark],
    *,
    width: int = 520,
    height: int = 310,
    min_span: float = 3000,
) -> Markup:
    """One site (perimeter and point) and its premises, over the communes around them."""
    shapes = [{"type": "Point", "coordinates": site.position}]
    shapes += [{"type": "Point", "coordinates": p.position} for p in premises]
    if site.perimeter:
        shapes.append(site.perimeter)
    bounds = padded(geometry_bounds(shapes), min_span=min_span, ratio=width / height)
    frame = Frame(bounds, width, height)
    nearby = [c for c in communes if _overlaps(geometry_bounds([c.contour]), bounds)]
    parts = _communes(nearby, frame, label_size=10)
    if site.perimeter:
        parts.append(_perimeter(site, frame))
    for unit in premises:
        x, y = frame(*unit.position)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" '
            f'fill="{AVAILABILITY_COLOURS[unit.availability]}" stroke="#ffffff" '
            f'stroke-width="1.2"/>'
        )
    x, y = frame(*site.position)
    if site.approximate:
        parts.append(_approximate_ring(x, y, 14))
    parts.append(_marker(x, y, site.kind, radius=7))
    parts.append(_scale_bar(frame))
    return _svg(width, height, f"Carte du site {site.name} et de ses locaux", parts)


def _overlaps(a: Bounds | None, b: Bounds) -> bool:
    return a is not None and a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
