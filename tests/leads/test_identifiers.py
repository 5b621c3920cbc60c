"""SIREN, SIRET and phone checks (pure)."""

from __future__ import annotations

import email_validator
import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

from hosting_app.leads.identifiers import (
    InvalidIdentifier,
    clean_phone,
    clean_siren,
    clean_siret,
    email_domain,
    plain_email,
    website_domain,
)


@pytest.mark.parametrize("value", ["732 829 320", "732829320", "552100554"])
def test_valid_sirens(value):
    assert clean_siren(value) == value.replace(" ", "")


@pytest.mark.parametrize(
    ("value", "message"),
    [("732829321", "clé de contrôle"), ("73282932", "9 chiffres"), ("73282932A", "chiffres")],
)
def test_invalid_sirens_are_explained(value, message):
    with pytest.raises(InvalidIdentifier, match=message):
        clean_siren(value)


def test_siret_luhn_and_la_poste_rule():
    assert clean_siret("732 829 320 00074") == "73282932000074"
    with pytest.raises(InvalidIdentifier, match="clé de contrôle"):
        clean_siret("73282932000075")
    # La Poste's establishments fail Luhn but pass the digit-sum-mod-5 rule.
    assert clean_siret("35600000000048") == "35600000000048"
    with pytest.raises(InvalidIdentifier):
        clean_siret("35600000000049")


def test_empty_identifiers_mean_none():
    assert clean_siret("") is None and clean_siren("  ") is None and clean_phone(None) is None


def test_phone_numbers_in_e164():
    assert clean_phone("01 64 10 20 30") == "+33164102030"
    assert clean_phone("+33 6 12 34 56 78") == "+33612345678"
    with pytest.raises(InvalidIdentifier, match="téléphone"):
        clean_phone("12")


def test_domains():
    assert email_domain("Jean.Dupont@Aero-Meca.FR") == "aero-meca.fr"
    assert email_domain("someone@gmail.com") is None  # personal webmail says nothing
    assert website_domain("https://www.aero-meca.fr/contact") == "aero-meca.fr"


# --- The quick paths give python-stdnum's and phonenumbers' answers ----------------------

separators = st.sampled_from(["", " ", ".", "-", "  ", "\t", "/", "\u00a0"])


def _reference_phone(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _ours(clean, value: str) -> str | None:
    try:
        return clean(value)
    except InvalidIdentifier:
        return None


def test_french_numbers_are_valid_as_phonenumbers_says():
    for prefix in range(1000, 10000):  # the number types are told apart by their first digits
        for suffix in ("00000", "12345", "99999"):
            national = f"0{prefix}{suffix}"
            assert _ours(clean_phone, national) == _reference_phone(national), national


@given(
    st.sampled_from(["0", "+33", "0033", "+33 ", "0033 ", "+33 (0)", "+330", "33", "+3", "00", ""]),
    st.text("0123456789", min_size=8, max_size=11),
    st.lists(st.tuples(st.integers(0, 11), separators), max_size=4),
    st.sampled_from(["", " ", ".", "-", " x12", "\n", "#"]),
)
def test_phone_numbers_read_as_phonenumbers_reads_them(head, digits, cuts, tail):
    for at, separator in sorted(cuts, reverse=True):
        digits = digits[:at] + separator + digits[at:]
    value = head + digits + tail
    assert _ours(clean_phone, value) == _reference_phone(value), value


@given(st.text("0123456789", min_size=8, max_size=15), separators, st.integers(0, 14))
def test_sirets_and_sirens_read_as_python_stdnum_reads_them(digits, separator, at):
    value = digits[:at] + separator + digits[at:]
    for clean, module in ((clean_siret, siret_number), (clean_siren, siren_number)):
        expected = module.validate(value) if module.is_valid(value) else None
        assert _ours(clean, value) == expected, value


@given(st.integers(0, 10**8 - 1), st.integers(1, 9999))
def test_luhn_valid_sirets_are_kept(body, establishment):
    payload = f"{body:08d}"
    siren = payload + luhn.calc_check_digit(payload)
    siret = siren + f"{establishment:04d}"
    siret += luhn.calc_check_digit(siret)
    assert _ours(clean_siret, siret) == (siret if siret_number.is_valid(siret) else None)
    assert _ours(clean_siren, siren) == siren


label = st.text("abcxyzABC019-", min_size=1, max_size=70)
emails = st.builds(
    "{}@{}.{}".format,
    st.text("abz09_%+-.!#'&", min_size=0, max_size=70),
    st.lists(label, min_size=1, max_size=4).map(".".join),
    st.sampled_from(["fr", "com", "FR", "test", "local", "onion", "x", "b2", "coop", "arpa"]),
)


@given(st.one_of(emails, st.text(max_size=30)))
def test_plain_emails_are_accepted_by_email_validator(email):
    if plain_email(email):
        email_validator.validate_email(email, check_deliverability=False)


@pytest.mark.parametrize(
    ("email", "plain"),
    [
        ("contact@aero-villaroche.fr", True), ("Jean.Dupont+crm@Aero-Meca.FR", True),
        ("a..b@x.fr", False), ("a@x-.fr", False), ("a@xn--bcher-kva.fr", False),
        ("a@x.test", False), ("a@x.onion", False), ("a@x.f1", False), ("a@localhost", False),
        ("élise@x.fr", False), (f"{'a' * 65}@x.fr", False),
    ],
)  # fmt: skip
def test_plain_emails(email, plain):
    assert plain_email(email) is plain
