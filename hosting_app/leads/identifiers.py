"""French company identifiers (SIREN, SIRET) and contact details, checked and normalised."""

from __future__ import annotations

import phonenumbers
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

WEBMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.fr", "yahoo.com", "hotmail.fr", "hotmail.com",
        "outlook.fr", "outlook.com", "live.fr", "live.com", "msn.com", "icloud.com", "me.com",
        "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "neuf.fr", "laposte.net", "bbox.fr",
        "aol.com", "aol.fr", "gmx.fr", "gmx.com", "protonmail.com", "proton.me", "club-internet.fr",
    }
)  # fmt: skip


class InvalidIdentifier(ValueError):
    """A refused identifier, with a French message."""


def _explain(kind: str, value: str, error: ValidationError) -> str:
    if isinstance(error, InvalidLength):
        return f"{kind} invalide : {value} ({9 if kind == 'SIREN' else 14} chiffres attendus)."
    if isinstance(error, InvalidFormat):
        return f"{kind} invalide : {value} (seuls des chiffres sont attendus)."
    if isinstance(error, InvalidChecksum):
        return f"{kind} invalide : {value} (clé de contrôle incorrecte, numéro mal recopié ?)."
    return f"{kind} invalide : {value}."


def clean_siren(value: str | None) -> str | None:
    """A SIREN's 9 digits (Luhn key checked), or None when empty."""
    if not value or not value.strip():
        return None
    try:
        return siren_number.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(_explain("SIREN", value.strip(), error)) from error


def clean_siret(value: str | None) -> str | None:
    """A SIRET's 14 digits (Luhn key, or La Poste's digit-sum rule), or None when empty."""
    if not value or not value.strip():
        return None
    try:
        return siret_number.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(_explain("SIRET", value.strip(), error)) from error


def clean_phone(value: str | None) -> str | None:
    """A phone number in E.164 (French numbering by default), or None when empty."""
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException as error:
        raise InvalidIdentifier(f"Numéro de téléphone invalide : {value}.") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(f"Numéro de téléphone invalide : {value}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_domain(email: str | None) -> str | None:
    """The domain of a company address; None for personal webmail and empty values."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return None if not domain or domain in WEBMAIL_DOMAINS else domain


def website_domain(url: str | None) -> str | None:
    """The domain of a website (without www.), or None."""
    if not url or not url.strip():
        return None
    host = url.strip().lower().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.removeprefix("www.") or None
