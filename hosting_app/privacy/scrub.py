"""Pure rules to find and remove a person's identifying values in texts and JSON snapshots."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers

from hosting_app.privacy.notice import ERASED_TEXT


def phone_forms(phone: str | None) -> set[str]:
    """An E.164 number as stored and as people write it (« 01 64 10 20 30 », « 0164102030 »)."""
    if not phone:
        return set()
    forms = {phone}
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return forms
    for style in (phonenumbers.PhoneNumberFormat.NATIONAL,
                  phonenumbers.PhoneNumberFormat.INTERNATIONAL):  # fmt: skip
        written = phonenumbers.format_number(number, style)
        forms |= {written, re.sub(r"[^0-9+]", "", written)}
    return {form for form in forms if len(re.sub(r"\D", "", form)) >= 6}


def identifying_name(name: str | None) -> str | None:
    """A full name, or None when too short to identify anyone in a text (one word)."""
    name = " ".join((name or "").split())
    if len(name) < 5 or len(name.split(" ")) < 2 or name == ERASED_TEXT:
        return None
    return name


@dataclass(frozen=True)
class Identifiers:
    """The values that identify the persons being erased, searched case-insensitively."""

    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, *, emails: Iterable[str | None] = (), phones: Iterable[str | None] = (),
        names: Iterable[str | None] = (),
    ) -> Identifiers:  # fmt: skip
        """Identifiers from raw values: e-mails lowercased, phones in every written form,
        names of two words or more only."""
        return cls(
            emails=frozenset(e.strip().lower() for e in emails if e and e.strip()),
            phones=frozenset(form for p in phones for form in phone_forms(p)),
            names=frozenset(n for n in map(identifying_name, names) if n),
        )

    def needles(self) -> list[str]:
        """Every value, lowercased, longest first (so that a longer match wins)."""
        values = {v.lower() for v in self.emails | self.phones | self.names}
        return sorted(values, key=lambda v: (-len(v), v))

    def without(self, kept: Identifiers) -> Identifiers:
        """These identifiers minus the values still used by someone who is kept."""
        kept = set(kept.needles())
        return Identifiers(
            emails=frozenset(v for v in self.emails if v.lower() not in kept),
            phones=frozenset(v for v in self.phones if v.lower() not in kept),
            names=frozenset(v for v in self.names if v.lower() not in kept),
        )

    def like_patterns(self) -> list[str]:
        """LIKE patterns (backslash escapes) matching a lowercased text that holds one."""
        return [f"%{_like_escape(v)}%" for v in self.needles()]

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones or self.names)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def redact_text(text: str | None, identifiers: Identifiers) -> str | None:
    """The text with each identifying value (as a whole word) replaced by « [effacé] »."""
    if not text or not identifiers:
        return text
    for needle in identifiers.needles():
        text = re.sub(rf"(?<!\w){re.escape(needle)}(?!\w)", ERASED_TEXT, text, flags=re.I)
    return text


def scrub_json(value: Any, identifiers: Identifiers, *, every_text: bool = False) -> Any:
    """A JSON value with the identifying values redacted from its strings (every string
    erased with ``every_text``); numbers, booleans and keys are kept."""
    if isinstance(value, str):
        return ERASED_TEXT if every_text and value else redact_text(value, identifiers)
    if isinstance(value, list):
        return [scrub_json(v, identifiers, every_text=every_text) for v in value]
    if isinstance(value, dict):
        return {k: scrub_json(v, identifiers, every_text=every_text) for k, v in value.items()}
    return value


def scrub_changes(
    changes: dict[str, Any], identifiers: Identifiers, *, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """An audit entry's {field: [before, after]} with the personal values removed: every text
    of the named ``fields`` (every field when ``fields`` is None), identifiers elsewhere."""
    personal = None if fields is None else set(fields)
    return {
        field: scrub_json(pair, identifiers, every_text=personal is None or field in personal)
        for field, pair in changes.items()
    }
