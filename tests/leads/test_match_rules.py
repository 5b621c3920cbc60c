"""Which firms the duplicate search looks at, on real PostGIS: postcodes, namesakes, floors."""

from __future__ import annotations

import pytest

from hosting_app.leads import dedup, services


@pytest.fixture
def create(session, senart_dev):
    """Create a firm from its name and postcode (and any other value)."""

    def make(name: str, postcode: str | None = None, **values):
        data = {"name": name, "postcode": postcode, **values}
        return services.create_firm(session, user=senart_dev, data=data)

    return make


def shown(session, limit: int = 5, **probe) -> dict[int, dict]:
    """The candidates shown for the probe, by firm."""
    found = services.match(session, services.probe_from(**probe), limit=limit)
    return {c["firm_id"]: c for c in found}


def test_a_namesake_in_another_postcode_is_found(session, create):
    elsewhere = create("Menuiserie Garnier & Cie", "77000")
    found = shown(session, name="Menuiserie Garnier", postcode="77127")
    assert found[elsewhere.id]["score"] == 0.8
    assert found[elsewhere.id]["likely"] is True


def test_a_close_name_is_shown_in_the_probes_postcode_only(session, create):
    # similarity 0.538: 0.43 on the name alone, 0.53 with the same postcode
    here = create("Atelier Bois Meunier Frères", "77127")
    there = create("Atelier Bois Meunier Frères", "77000")
    found = shown(session, name="Atelier Meunier", postcode="77127")
    assert here.id in found and "même code postal (77127)" in found[here.id]["reasons"]
    assert there.id not in found
    assert not shown(session, name="Atelier Meunier")  # no postcode: too far either way


def test_a_firm_scoring_exactly_the_showing_level_is_shown(session, create):
    # similarity 7/16 = 0.4375: 0.8 × 0.4375 + 0.1 = 0.45, what it takes to be shown
    firm = create("Garcia Menuiserie Nouvelle", "77127")
    found = shown(session, name="Menuiserie Garnier", postcode="77127")
    assert found[firm.id]["score"] == dedup.SHOW_FROM


def test_the_same_siret_is_found_among_many_namesakes(session, create):
    for _ in range(35):
        create("Plomberie Martin")
    firm = create("PM Chauffage", siret="73282932000074")
    found = services.match(
        session, services.probe_from(name="Plomberie Martin", siret="73282932000074")
    )
    assert found[0]["firm_id"] == firm.id and found[0]["reasons"] == ["SIRET identique"]


def test_a_namesake_in_the_probes_postcode_comes_first_among_many(session, create):
    for _ in range(35):
        create("Atelier Meunier", "77000")
    here = create("Atelier Meunier", "77127")
    found = services.match(session, services.probe_from(name="Atelier Meunier", postcode="77127"))
    assert found[0]["firm_id"] == here.id and found[0]["score"] == 0.9
    assert len(found) == 5


def test_close_names_are_looked_for_when_few_firms_have_the_same_name(session, create):
    same = create("Transports Moreau")
    close = create("Transports Moreau Île-de-France")  # similarity 0.64
    found = shown(session, name="Transports Moreau")
    assert list(found) == [same.id, close.id]
    assert found[close.id]["score"] == round(0.8 * 0.64285713, 3)


def test_with_enough_namesakes_the_close_names_stay_behind(session, create):
    namesakes = [create("Transports Moreau").id for _ in range(5)]
    create("Transports Moreau Île-de-France")
    assert list(shown(session, name="Transports Moreau")) == namesakes
    assert len(shown(session, limit=6, name="Transports Moreau")) == 6
