"""Name normalisation and candidate scoring: pure rules, property-based."""

from __future__ import annotations

import struct
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hosting_app.leads.dedup import (
    LIKELY_FROM,
    SHOW_FROM,
    Candidate,
    Match,
    Probe,
    name_floor,
    normalise_name,
    rank,
    score,
    settled,
    strip_accents,
)

names = st.text(
    alphabet=st.sampled_from("abcdeéèêfghijklmnoôpqrstuùvwxyzABCÉDE &'.-0123456789"), max_size=40
)
words = st.lists(
    st.text(alphabet="bcdfghjkmnpqrstvwxz", min_size=4, max_size=9), min_size=1, max_size=4
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sté Aéro Méca de Sénart", "aero meca senart"),
        ("AERO MECA SENART SAS", "aero meca senart"),
        ("S.A.R.L. Dupont & Fils", "dupont fils"),
        ("Dupont et Fils", "dupont fils"),
        ("Établissements Martin", "martin"),
        ("L'Atelier du Bois", "atelier bois"),
        ("Boulangerie Lefèvre EURL", "boulangerie lefevre"),
        ("SAS", "sas"),
    ],
)
def test_normalise_name_examples(name, expected):
    assert normalise_name(name) == expected


@given(names)
def test_normalising_twice_changes_nothing(name):
    assert normalise_name(normalise_name(name)) == normalise_name(name)


@given(names)
def test_case_and_accents_do_not_matter(name):
    assert normalise_name(name.upper()) == normalise_name(strip_accents(name).lower())


@given(words, st.sampled_from(["SAS", "SARL", "EURL", "S.A.R.L.", "SA", "Sté", "Ets"]))
def test_legal_forms_do_not_matter(core, form):
    base = " ".join(core)
    assert normalise_name(f"{base} {form}") == normalise_name(base)
    assert normalise_name(f"{form} {base}") == normalise_name(base)


@given(words)
def test_ampersand_reads_as_et(core):
    assert normalise_name(" & ".join(core)) == normalise_name(" et ".join(core))


def test_same_siret_is_certain():
    match = score(Probe(siret="73282932000074"), Candidate(1, 0.1, siret="73282932000074"))
    assert match.score == 1.0 and match.reasons == ("SIRET identique",)


def test_same_siren_other_establishment_is_likely():
    match = score(
        Probe(siret="73282932000074"), Candidate(1, 0.2, siret="73282932000082", siren="732829320")
    )
    assert match.score >= LIKELY_FROM
    assert "même SIREN" in match.reasons[0]


def test_same_name_is_likely_and_postcode_supports_it():
    alone = score(Probe(name="x"), Candidate(1, 1.0))
    with_postcode = score(Probe(name="x", postcode="77127"), Candidate(1, 1.0, postcode="77127"))
    assert alone.score >= LIKELY_FROM
    assert with_postcode.score > alone.score
    assert "même code postal (77127)" in with_postcode.reasons


def test_postcode_alone_is_no_reason():
    assert score(Probe(postcode="77127"), Candidate(1, 0.0, postcode="77127")).score == 0


def test_distinct_sirets_lower_a_name_match():
    probe = Probe(name="x", siret="73282932000074")
    other = Candidate(1, 1.0, siret="55210055400013", siren="552100554")
    assert score(probe, other).score < score(probe, Candidate(1, 1.0)).score


@given(st.floats(0, 1), st.booleans(), st.booleans(), st.booleans())
def test_score_is_between_zero_and_one(similarity, same_phone, same_domain, same_postcode):
    probe = Probe(name="x", email_domain="a.fr", phone="+33164102030", postcode="77127")
    candidate = Candidate(
        1, similarity,
        phone="+33164102030" if same_phone else None,
        email_domain="a.fr" if same_domain else None,
        postcode="77127" if same_postcode else None,
    )  # fmt: skip
    assert 0 <= score(probe, candidate).score <= 1


@given(st.lists(st.floats(0, 1), max_size=12))
def test_rank_keeps_shown_candidates_best_first(similarities):
    ranked = rank(Probe(name="x"), [Candidate(i, s) for i, s in enumerate(similarities)], limit=50)
    assert all(m.score >= SHOW_FROM for m in ranked)
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)


@given(st.text())
def test_accents_are_stripped_as_unicode_decomposes_the_whole_text(text):
    decomposed = unicodedata.normalize("NFKD", text)
    expected = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe")
    assert strip_accents(text) == expected


float4 = st.floats(0, 1).map(lambda x: struct.unpack("f", struct.pack("f", x))[0])


@given(float4, st.booleans(), st.sampled_from([SHOW_FROM, LIKELY_FROM, 0.8, 0.9]))
def test_no_firm_under_the_name_floor_reaches_the_level(similarity, same_postcode, level):
    # the database's similarity is a float4: the floor must hold for those exact values
    probe = Probe(name="x", postcode="77127")
    candidate = Candidate(1, similarity, postcode="77127" if same_postcode else "91250")
    floor = name_floor(level, same_postcode=same_postcode)
    if score(probe, candidate).score >= level:
        assert floor is not None and similarity >= floor


def test_name_floors():
    assert name_floor(SHOW_FROM) == pytest.approx(0.561875)
    assert name_floor(SHOW_FROM, same_postcode=True) == pytest.approx(0.436875)
    assert name_floor(0.8) == 0.999  # the same name, nothing less
    assert name_floor(0.95) is None  # no name alone scores that much


def test_settled_when_enough_firms_reach_the_level():
    matches = [Match(i, s) for i, s in enumerate([0.9, 0.8, 0.8, 0.79])]
    assert settled(matches, level=0.8, limit=3)
    assert not settled(matches, level=0.8, limit=4)
