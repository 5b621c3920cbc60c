"""The synthetic firms of the benchmarks: valid, distinct, deterministic, readable by the import."""

from __future__ import annotations

import random

from stdnum.fr import siren, siret

from bench import firm_names
from hosting_app.leads import imports


def test_sirets_are_valid_distinct_and_never_la_postes():
    firms = list(firm_names.firms(3000, seed=7, without_siret=0.05))
    sirets = [f.siret for f in firms if f.siret]
    assert len(sirets) > 2700
    assert len(set(sirets)) == len(sirets)
    assert all(siret.is_valid(f.siret) and f.siret[:9] == f.siren for f in firms if f.siret)
    assert all(siren.is_valid(f.siren) for f in firms)
    assert not any(s.startswith(firm_names.LA_POSTE_SIREN) for s in sirets)
    assert firm_names.synthetic_siren(0) != firm_names.synthetic_siren(1)


def test_the_generator_is_deterministic_and_varied():
    first = list(firm_names.firms(500, seed=3))
    assert first == list(firm_names.firms(500, seed=3))
    assert first != list(firm_names.firms(500, seed=4))
    names = {f.name for f in first}
    assert len(names) > 300
    assert any(c in "éèêàâç" for name in names for c in name)
    assert any("&" in name or "'" in name for name in names)
    assert {f.postcode for f in first} <= {postcode for _, _, postcode in firm_names.COMMUNES}


def test_name_variants_stay_close():
    rng = random.Random(1)
    for firm in firm_names.firms(200, seed=5):
        variant = firm_names.name_variant(firm.name, rng)
        assert variant and abs(len(variant) - len(firm.name)) < 12


def test_written_files_pass_the_import_checks(tmp_path):
    for kind in ("project", "sirene"):
        path = tmp_path / f"{kind}.csv"
        rows = firm_names.firms(300, seed=9, closed=0.1 if kind == "sirene" else 0.0,
                                without_siret=0.05 if kind == "project" else 0.0)  # fmt: skip
        assert firm_names.write_csv(path, rows, kind=kind) == 300
        with imports.FirmFile(path) as firms:
            assert firms.format == kind
            parsed = list(firms.rows())
        assert len(parsed) == 300
        assert not [e for row in parsed for e in row.errors]
        if kind == "sirene":
            assert any(row.skipped == "closed" for row in parsed)
