"""Jinja filters for French formatting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Flask

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def number_fr(value: int | float | Decimal | None, decimals: int = 0) -> str:
    """Format a number the French way: 12 345,5 (narrow no-break space as thousands)."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def date_fr(value: date | None) -> str:
    """Format a date as « 3 mars 2027 »."""
    if value is None:
        return "—"
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def register(app: Flask) -> None:
    """Install the filters on the app."""
    app.add_template_filter(number_fr, "number_fr")
    app.add_template_filter(date_fr, "date_fr")
