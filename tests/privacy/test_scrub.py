"""The pure redaction rules: which values identify a person, and how they are removed."""

from __future__ import annotations

from hosting_app.privacy.notice import ERASED_TEXT
from hosting_app.privacy.scrub import (
    Identifiers,
    identifying_name,
    phone_forms,
    redact_text,
    scrub_changes,
    scrub_json,
)

JEANNE = Identifiers.of(
    emails=["Jeanne.Martin@Example.fr"], phones=["+33164102031"], names=["Jeanne  Martin"]
)


def test_a_phone_is_searched_as_people_write_it():
    assert {"+33164102031", "01 64 10 20 31", "0164102031", "+33 1 64 10 20 31"} <= phone_forms(
        "+33164102031"
    )
    assert phone_forms(None) == set()


def test_only_full_names_identify_someone_in_a_text():
    assert identifying_name(" Jeanne   Martin ") == "Jeanne Martin"
    assert identifying_name("Martin") is None
    assert identifying_name("A B") is None
    assert identifying_name(ERASED_TEXT) is None


def test_redaction_replaces_whole_values_whatever_their_case():
    text = "RDV avec jeanne martin (JEANNE.MARTIN@example.fr, 01 64 10 20 31) et Jean Martinez."
    assert redact_text(text, JEANNE) == (
        f"RDV avec {ERASED_TEXT} ({ERASED_TEXT}, {ERASED_TEXT}) et Jean Martinez."
    )
    assert redact_text("Jeanne Martinez", JEANNE) == "Jeanne Martinez"
    assert redact_text(None, JEANNE) is None
    assert redact_text("Jeanne Martin", Identifiers()) == "Jeanne Martin"


def test_a_snapshot_of_the_persons_own_record_loses_every_text():
    changes = {"name": ["Jeanne Martin", "Jeanne Dupont"], "role": [None, "Gérante"],
               "firm_id": [3, 4]}  # fmt: skip
    gone = ERASED_TEXT
    assert scrub_changes(changes, JEANNE) == {
        "name": [gone, gone], "role": [None, gone], "firm_id": [3, 4]}  # fmt: skip


def test_other_snapshots_lose_the_identifiers_only():
    changes = {"contact_name": ["X Y", "Jeanne Martin"], "firm_name": ["A", "B"]}
    assert scrub_changes(changes, JEANNE, fields=["contact_name"]) == {
        "contact_name": [ERASED_TEXT, ERASED_TEXT], "firm_name": ["A", "B"]}  # fmt: skip
    details = {
        "note": "vu jeanne.martin@example.fr",
        "ids": [1, 2],
        "nested": {"n": "Jeanne Martin"},
    }
    assert scrub_json(details, JEANNE) == {
        "note": f"vu {ERASED_TEXT}", "ids": [1, 2], "nested": {"n": ERASED_TEXT}}  # fmt: skip


def test_values_still_used_by_someone_kept_are_left():
    kept = Identifiers.of(phones=["+33164102031"])
    remaining = JEANNE.without(kept)
    assert remaining.phones == frozenset()
    assert remaining.emails == {"jeanne.martin@example.fr"}


def test_like_patterns_escape_the_wildcards():
    patterns = Identifiers.of(emails=["a_b%c@example.fr"]).like_patterns()
    assert patterns == ["%a\\_b\\%c@example.fr%"]
    assert not Identifiers()
