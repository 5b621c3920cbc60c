"""SIREN, SIRET and phone checks (pure)."""

from __future__ import annotations

import pytest

from hosting_app.leads.identifiers import (
    InvalidIdentifier,
    clean_phone,
    clean_siren,
    clean_siret,
    email_domain,
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
