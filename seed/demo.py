"""Generated demo premises, flagged ``is_demo`` and shown as « démonstration » in the UI.

No public source gives any premises, surface or price for these sites (see data/SOURCES.md),
so the catalogue is filled with plausible, clearly fictitious units. The generator is
deterministic (seeded by each site's slug and a fixed date), so seeding twice gives the same rows.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from hosting_app.sites.models import (
    Availability,
    PositionConfidence,
    Premises,
    PremisesKind,
    Site,
    SiteKind,
    SiteStatus,
)

ANCHOR = date(2026, 9, 1)


@dataclass(frozen=True)
class Profile:
    """What units a kind of site offers: kinds, how many, price ranges, surface caps."""

    kinds: tuple[PremisesKind, ...]
    count: tuple[int, int]
    rent: tuple[int, int] | None  # € HT / m² / year
    sale: tuple[int, int] | None  # € HT / m²
    max_surface: int | None = None  # incubators and hubs have small units


PREFIX = {
    PremisesKind.OFFICE: "Bureau",
    PremisesKind.WORKSHOP: "Atelier",
    PremisesKind.WAREHOUSE: "Entrepôt",
    PremisesKind.LAND_PLOT: "Lot",
    PremisesKind.DESK: "Poste",
    PremisesKind.MIXED: "Cellule",
}

# Plausible surface ranges (m²) of each kind of unit.
SURFACES: dict[PremisesKind, tuple[int, int]] = {
    PremisesKind.OFFICE: (15, 900),
    PremisesKind.WORKSHOP: (60, 1500),
    PremisesKind.WAREHOUSE: (500, 15000),
    PremisesKind.LAND_PLOT: (2000, 20000),
    PremisesKind.DESK: (6, 12),
    PremisesKind.MIXED: (150, 2500),
}

PROFILES: dict[SiteKind, Profile] = {
    SiteKind.INCUBATOR: Profile(
        (PremisesKind.OFFICE, PremisesKind.OFFICE, PremisesKind.DESK, PremisesKind.WORKSHOP),
        (8, 14),
        (110, 190),
        None,
        max_surface=250,
    ),
    SiteKind.BUSINESS_HOTEL: Profile(
        (PremisesKind.OFFICE, PremisesKind.WORKSHOP, PremisesKind.MIXED),
        (6, 12),
        (95, 160),
        None,
        max_surface=600,
    ),
    SiteKind.ECO_PARK: Profile(
        (PremisesKind.LAND_PLOT, PremisesKind.WORKSHOP, PremisesKind.WORKSHOP, PremisesKind.MIXED),
        (6, 10),
        (70, 120),
        (90, 170),
    ),
    SiteKind.ACTIVITY_ZONE: Profile(
        (
            PremisesKind.WAREHOUSE,
            PremisesKind.LAND_PLOT,
            PremisesKind.MIXED,
            PremisesKind.OFFICE,
            PremisesKind.WORKSHOP,
        ),
        (6, 11),
        (55, 140),
        (80, 200),
    ),
    SiteKind.AERO_PARK: Profile((PremisesKind.LAND_PLOT,), (4, 7), None, (60, 120)),
    SiteKind.SERVICES_HUB: Profile(
        (PremisesKind.OFFICE, PremisesKind.MIXED),
        (3, 6),
        (120, 180),
        None,
        max_surface=400,
    ),
    SiteKind.CRAFT_VILLAGE: Profile(
        (PremisesKind.WORKSHOP,), (6, 10), (70, 110), None, max_surface=400
    ),
}

AVAILABILITIES = (
    (Availability.AVAILABLE, 55),
    (Availability.RESERVED, 10),
    (Availability.OCCUPIED, 25),
    (Availability.UNDER_CONSTRUCTION, 10),
)


def _money(value: float) -> Decimal:
    return Decimal(str(round(value))).quantize(Decimal("0.01"))


def units_for(site: Site) -> list[dict]:
    """The demo units of one site, the same on every call."""
    profile = PROFILES[site.kind]
    rng = random.Random(f"demo:{site.slug}")  # noqa: S311 — demo data, not security
    centre = to_shape(site.point)
    units = []
    numbers: dict[PremisesKind, int] = {}
    for _ in range(rng.randint(*profile.count)):
        kind = rng.choice(profile.kinds)
        numbers[kind] = numbers.get(kind, 0) + 1
        low, high = SURFACES[kind]
        if profile.max_surface:
            low, high = min(low, profile.max_surface // 4), min(high, profile.max_surface)
        surface = math.exp(rng.uniform(math.log(low), math.log(high)))
        surface = round(surface / 10) * 10 if surface > 200 else round(surface)
        availability = rng.choices(
            [a for a, _ in AVAILABILITIES], weights=[w for _, w in AVAILABILITIES]
        )[0]
        if availability is Availability.AVAILABLE:
            available_from = ANCHOR + timedelta(days=rng.randint(-120, 60))
        elif availability is Availability.OCCUPIED:
            available_from = ANCHOR + timedelta(days=rng.randint(180, 900))
        else:
            available_from = ANCHOR + timedelta(days=rng.randint(60, 540))
        rent = sale = None
        for_sale = profile.sale and (kind is PremisesKind.LAND_PLOT or profile.rent is None)
        if for_sale:
            sale = _money(rng.uniform(*profile.sale))
        elif profile.rent:
            rent = _money(rng.uniform(*profile.rent))
        # A point within ~300 m of the site's point (itself approximate when so marked).
        distance, bearing = rng.uniform(30, 300), rng.uniform(0, 2 * math.pi)
        dlat = distance * math.cos(bearing) / 111_320
        dlon = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(centre.y)))
        units.append(
            {
                "label": f"{PREFIX[kind]} {numbers[kind]}",
                "kind": kind,
                "surface_m2": _money(max(surface, 1)),
                "rent_eur_m2_year": rent,
                "sale_price_eur_m2": sale,
                "availability": availability,
                "available_from": available_from,
                "geometry": Point(round(centre.x + dlon, 6), round(centre.y + dlat, 6)),
                "is_demo": True,
                "description": "Local fictif de démonstration.",
            }
        )
    return units


def load(session: Session, sites: dict[str, Site]) -> int:
    """Write the demo premises of every site in service that has a position."""
    from seed.load import assign

    existing = {
        (p.site_id, p.label): p
        for p in session.scalars(sa.select(Premises).where(Premises.is_demo.is_(True)))
    }
    kept: set[tuple[int, str]] = set()
    from hosting_app.journeys.models import Occupancy

    occupied = set(session.scalars(sa.select(Occupancy.premises_id)))
    for site in sites.values():
        if site.status is not SiteStatus.EXISTING or site.point is None:
            continue
        if site.position_confidence is PositionConfidence.UNKNOWN:
            continue
        for unit in units_for(site):
            key = (site.id, unit["label"])
            kept.add(key)
            premises = existing.get(key)
            if premises is None:
                premises = existing[key] = Premises(site_id=site.id, label=unit["label"])
                session.add(premises)
            governed = premises.id in occupied  # availability follows its occupancies
            assign(
                premises,
                **{
                    k: v
                    for k, v in unit.items()
                    if k != "label" and not (governed and k in ("availability", "available_from"))
                },
            )
    for key, premises in existing.items():
        if key not in kept:
            session.delete(premises)
    session.flush()
    return len(kept)
