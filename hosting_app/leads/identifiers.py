"""French company identifiers (SIREN, SIRET) and contact details, checked and normalised."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES as SPECIAL_USE_DOMAINS
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


# Luhn: each digit in a doubled position read as the sum of its double's digits.
_DOUBLED = str.maketrans("0123456789", "0246813579")
_PLAIN_DIGITS = re.compile(r"[0-9]+")
LA_POSTE_SIREN = "356000000"  # its establishments follow another check rule


def _luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn check."""
    return sum(map(int, digits[-1::-2] + digits[-2::-2].translate(_DOUBLED))) % 10 == 0


def _plain_number(value: str, length: int) -> str | None:
    """``value`` as ``length`` digits when it is only digits, spaces and dots (python-stdnum's
    separators) with a valid Luhn key, else None: the common case, checked without
    python-stdnum, which gives the same answer and explains the other cases."""
    digits = value.strip().replace(" ", "").replace(".", "")
    if len(digits) == length and _PLAIN_DIGITS.fullmatch(digits) and _luhn_valid(digits):
        return digits
    return None


def clean_siren(value: str | None) -> str | None:
    """A SIREN's 9 digits (Luhn key checked), or None when empty."""
    if not value or not value.strip():
        return None
    if (siren := _plain_number(value, 9)) is not None:
        return siren
    try:
        return siren_number.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(_explain("SIREN", value.strip(), error)) from error


def clean_siret(value: str | None) -> str | None:
    """A SIRET's 14 digits (Luhn key, or La Poste's digit-sum rule), or None when empty."""
    if not value or not value.strip():
        return None
    siret = _plain_number(value, 14)
    if siret is not None and not siret.startswith(LA_POSTE_SIREN) and _luhn_valid(siret[:9]):
        return siret
    try:
        return siret_number.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(_explain("SIRET", value.strip(), error)) from error


def _french_validity() -> tuple[re.Pattern, re.Pattern] | None:
    """phonenumbers' validity rule for a French national significant number of 9 digits, from
    its metadata: (the general description, one of the number types), both to be matched
    whole; None if +33 were shared by several regions."""
    if phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(33) != ("FR",):
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    kinds = [
        metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip,
        metadata.personal_number, metadata.pager, metadata.uan, metadata.voicemail,
        metadata.fixed_line,
        None if metadata.same_mobile_and_fixed_line_pattern else metadata.mobile,
    ]  # fmt: skip

    def usable(desc) -> bool:
        return bool(
            desc is not None
            and desc.national_number_pattern
            and (not desc.possible_length or 9 in desc.possible_length)
        )

    patterns = [f"(?:{d.national_number_pattern})" for d in kinds if usable(d)]
    if not usable(metadata.general_desc) or not patterns:
        return None
    return re.compile(metadata.general_desc.national_number_pattern), re.compile("|".join(patterns))


_FRENCH_VALID = _french_validity()
# A French number written the usual ways: 0X XX XX XX XX, +33 X XX XX XX XX, 0033…, with
# spaces, dots or hyphens; its 9 significant digits captured.
_FRENCH_WRITTEN = re.compile(r"(?:0|\+33|0033)([1-9][0-9]{8})")
_PHONE_SEPARATORS = str.maketrans("", "", " .-")


def _french_e164(value: str) -> str | None:
    """The E.164 form of a valid French number written the usual way, else None (then
    phonenumbers decides: it parses every way of writing a number, at a higher cost)."""
    if _FRENCH_VALID is None:
        return None
    written = _FRENCH_WRITTEN.fullmatch(value.strip().translate(_PHONE_SEPARATORS))
    if written is None:
        return None
    general, kinds = _FRENCH_VALID
    if general.fullmatch(written[1]) is None or kinds.fullmatch(written[1]) is None:
        return None
    return "+33" + written[1]


def clean_phone(value: str | None) -> str | None:
    """A phone number in E.164 (French numbering by default), or None when empty."""
    if not value or not value.strip():
        return None
    if (number := _french_e164(value)) is not None:
        return number
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException as error:
        raise InvalidIdentifier(f"Numéro de téléphone invalide : {value}.") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(f"Numéro de téléphone invalide : {value}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# An address in the plainest form: dot-atom local part of letters, digits and « _ % + - »,
# host names of letters, digits and inner hyphens (no « -- », so no Punycode), a top-level
# domain of letters. email_validator accepts every such address unless it is too long or
# under a special-use domain, which ``plain_email`` also checks.
_PLAIN_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)


def plain_email(email: str) -> bool:
    """Whether ``email`` is an address in the plainest form, which email_validator (the
    form's check) accepts without fail; False says nothing: ask email_validator."""
    found = _PLAIN_EMAIL.fullmatch(email)
    if found is None or len(email) > 254 or len(found["local"]) > 64 or "--" in email:
        return False
    domain = found["domain"].lower()
    return len(domain) <= 253 and not any(
        domain == special or domain.endswith("." + special) for special in SPECIAL_USE_DOMAINS
    )


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
