"""How well a free premises fits a lead's need, as a pure function with French reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Need:
    """What the lead asks for."""

    kind: str | None = None
    surface_min: float | None = None
    surface_max: float | None = None
    budget_eur_year: float | None = None
    target_date: date | None = None
    sector: str | None = None
    communes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Offer:
    """A premises unit as matching sees it."""

    premises_id: int
    kind: str
    surface: float
    rent_eur_m2_year: float | None
    sale_price_eur_m2: float | None
    available_from: date | None
    site_sectors: frozenset[str] = frozenset()
    site_communes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Fit:
    """A score out of 100 and the reasons, good and bad."""

    premises_id: int
    score: int
    reasons: tuple[str, ...] = field(default_factory=tuple)
    misses: tuple[str, ...] = field(default_factory=tuple)


WEIGHTS = {"kind": 25, "surface": 30, "budget": 20, "date": 10, "sector": 10, "commune": 5}


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float | Decimal) else None


def fit(need: Need, offer: Offer, *, today: date) -> Fit:
    """Score ``offer`` against ``need``: every criterion the need states counts."""
    points = possible = 0
    reasons: list[str] = []
    misses: list[str] = []

    if need.kind:
        possible += WEIGHTS["kind"]
        if offer.kind == need.kind:
            points += WEIGHTS["kind"]
            reasons.append("type de local demandé")
        else:
            misses.append("autre type de local")

    low, high = _number(need.surface_min), _number(need.surface_max)
    if low or high:
        possible += WEIGHTS["surface"]
        low_ok = low is None or offer.surface >= low
        high_ok = high is None or offer.surface <= high
        if low_ok and high_ok:
            points += WEIGHTS["surface"]
            reasons.append(f"surface dans la fourchette ({offer.surface:g} m²)")
        else:
            bound = low if not low_ok else high
            gap = abs(offer.surface - bound) / bound if bound else 1
            if gap <= 0.2:
                points += WEIGHTS["surface"] // 2
                misses.append(f"surface proche de la fourchette ({offer.surface:g} m²)")
            else:
                misses.append(f"surface hors fourchette ({offer.surface:g} m²)")

    budget = _number(need.budget_eur_year)
    if budget:
        possible += WEIGHTS["budget"]
        if offer.rent_eur_m2_year is not None:
            cost = offer.rent_eur_m2_year * offer.surface
            if cost <= budget:
                points += WEIGHTS["budget"]
                reasons.append(f"loyer dans le budget ({cost:,.0f} € HT/an)".replace(",", "\u202f"))
            elif cost <= budget * 1.15:
                points += WEIGHTS["budget"] // 2
                misses.append("loyer un peu au-dessus du budget")
            else:
                misses.append("loyer au-dessus du budget")
        else:
            misses.append("vente seulement : budget à comparer au prix")

    if need.target_date:
        possible += WEIGHTS["date"]
        ready = offer.available_from or today
        if ready <= need.target_date:
            points += WEIGHTS["date"]
            reasons.append("libre à la date souhaitée")
        else:
            misses.append(f"libre seulement le {ready.isoformat()}")

    if need.sector:
        possible += WEIGHTS["sector"]
        if need.sector in offer.site_sectors:
            points += WEIGHTS["sector"]
            reasons.append("site dédié à sa filière")

    if need.communes:
        possible += WEIGHTS["commune"]
        if need.communes & offer.site_communes:
            points += WEIGHTS["commune"]
            reasons.append("commune souhaitée")
        else:
            misses.append("hors des communes souhaitées")

    score = round(100 * points / possible) if possible else 0
    return Fit(offer.premises_id, score, tuple(reasons), tuple(misses))


def rank(need: Need, offers: list[Offer], *, today: date, limit: int = 10) -> list[Fit]:
    """The best-fitting offers first (ties: larger score, then premises id)."""
    fits = [fit(need, offer, today=today) for offer in offers]
    return sorted(fits, key=lambda f: (-f.score, f.premises_id))[:limit]
