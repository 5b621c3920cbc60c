"""Declarative base shared by every model, with a naming convention for constraints."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.routing import BaseConverter, IntegerConverter

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every mapped entity."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """Creation and last-update times, set by the database."""

    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A VARCHAR column restricted by a CHECK constraint to the enum's values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


INTEGER_MAX = 2**31 - 1  # PostgreSQL's integer, the type of every id


def whole_number(value: str | None, *, least: int = 0) -> int | None:
    """A number typed in a form (ASCII digits, from ``least`` to PostgreSQL's integer), or
    None for anything else: what a query may be given without failing."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if least <= number <= INTEGER_MAX else None


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs, bounded to PostgreSQL's integer: a larger number matches no rule
    (404) instead of failing in the database (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INTEGER_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# A site's slug: words of lower-case letters and digits joined by single hyphens (the
# site table's slug_format constraint).
SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"


class SlugConverter(BaseConverter):
    """``<slug:…>`` in URLs: only what can be a site's slug matches, so any other path (a NUL
    character, which PostgreSQL's text cannot hold, among them) is a 404, never a query."""

    regex = SLUG_PATTERN
