"""Duplicate detection on real PostGIS (pg_trgm): API, command, labelled set, confidentiality."""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta

import sqlalchemy as sa

from hosting_app.leads import dedup, imports, queries, services
from hosting_app.leads.models import Firm, FirmName, LeadSource
from tests.helpers import login

# (name typed by a developer, the existing firm it should be found as)
VARIANTS = [
    ("Sté Aéro Méca de Sénart", "AERO MECA SENART SAS"),
    ("aero-meca senart", "AERO MECA SENART SAS"),
    ("Dupont et Fils", "DUPONT & FILS SARL"),
    ("S.A.R.L. Dupont & Fils", "DUPONT & FILS SARL"),
    ("Boulangerie Lefevre", "Boulangerie Lefèvre EURL"),
    ("BOULANGERIE LEFEVRE SAS", "Boulangerie Lefèvre EURL"),
    ("Transports Moreau", "Ets Transports Moreau"),
    ("Établissements Moreau Transports", "Ets Transports Moreau"),
    ("Menuiserie Garnier", "MENUISERIE GARNIER & CIE"),
    ("Garnier Menuiserie", "MENUISERIE GARNIER & CIE"),
    ("Logisud Transport", "Logisud Transports"),
    ("Logi Sud Transports", "Logisud Transports"),
    ("Plomberie Chauffage Roussel", "Roussel Plomberie Chauffage SAS"),
    ("Informatique Conseil Melun", "Melun Informatique & Conseil"),
    ("Garage du Centre Savigny", "GARAGE DU CENTRE DE SAVIGNY"),
    ("Villaroche Composite", "Villaroche Composites SA"),
    ("L'Atelier du Bois", "Atelier du Bois (L')"),
    ("Eco Renov Services", "Éco-Rénov Services SARL"),
]
UNRELATED = [
    "Pharmacie des Trois Moulins", "Cabinet Vétérinaire Lambert", "Imprimerie Nouvelle Brie",
    "Auto-École Horizon", "Fleurs et Jardins Bernard", "Conseil Juridique Faure",
]  # fmt: skip
EXISTING = sorted({canonical for _, canonical in VARIANTS})


def test_labelled_variants_precision_and_recall(session, senart_dev, capsys):
    firms = {
        name: services.create_firm(session, user=senart_dev, data={"name": name})
        for name in EXISTING
    }
    labelled = {firm.id for firm in firms.values()}

    def found(typed: str) -> list[int]:
        # Only the labelled firms count (the demo seed has firms of its own).
        matches = services.match(session, services.probe_from(name=typed), limit=10)
        return [c["firm_id"] for c in matches if c["firm_id"] in labelled]

    true_pos = false_pos = false_neg = 0
    mistakes = []
    for typed, canonical in VARIANTS:
        ids = found(typed)
        if firms[canonical].id in ids:
            true_pos += 1
        else:
            false_neg += 1
            mistakes.append(f"missed {typed!r}")
        wrong = [i for i in ids if i != firms[canonical].id]
        false_pos += len(wrong)
        mistakes += [f"{typed!r} also matched firm {i}" for i in wrong]
    for typed in UNRELATED:
        wrong = found(typed)
        false_pos += len(wrong)
        mistakes += [f"{typed!r} matched firm {i}" for i in wrong]
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    with capsys.disabled():
        print(
            f"\nduplicate detection on {len(VARIANTS)} variants and {len(UNRELATED)} unrelated "
            f"names: precision {precision:.2f}, recall {recall:.2f}; {mistakes}"
        )
    assert recall >= 0.9
    assert precision >= 0.9


def test_done_when_camvs_developer_is_told_senart_met_the_firm(client, aero, camvs_dev):
    login(client, camvs_dev.email)
    token = client.get("/entreprises/nouvelle").get_data(as_text=True)
    from tests.helpers import csrf_token

    response = client.post(
        "/entreprises/nouvelle",
        data={"name": "Sté Aéro Méca de Sénart", "postcode": "77127",
              "csrf_token": csrf_token(token)},
    )  # fmt: skip
    assert response.status_code == 409  # not saved: candidates shown first
    page = response.get_data(as_text=True)
    last_month = date.today() - timedelta(days=30)
    from hosting_app.templating import date_fr

    assert "AERO MECA SENART SAS" in page
    assert f"Déjà suivie par SAN Sénart 77 depuis le {date_fr(last_month)}" in page
    assert f"dernier contact le {date_fr(last_month)}" in page
    assert f'href="/entreprises/{aero.id}"' in page


def test_api_and_command_return_the_same_ranked_json(app, client, runner, aero, camvs_dev):
    login(client, camvs_dev.email)
    token = client.get("/entreprises/nouvelle").get_data(as_text=True)
    from tests.helpers import csrf_token

    body = {"name": "aero meca senart", "postcode": "77127", "siret": None, "email": None,
            "phone": None}  # fmt: skip
    api = client.post(
        "/api/firms/match", json=body, headers={"X-CSRFToken": csrf_token(token)}
    ).get_json()
    cli = runner.invoke(
        args=["firms", "match", "--name", "aero meca senart", "--postcode", "77127"]
    )
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == json.loads(json.dumps(api))
    ours = next(c for c in api["candidates"] if c["firm_id"] == aero.id)
    assert ours["likely"] is True
    assert "même nom" in ours["reasons"] and "même code postal (77127)" in ours["reasons"]
    assert ours["followed_by"][0]["organisation_key"] == "san_senart_77"


def test_api_and_command_refuse_the_same_requests_alike(client, runner, camvs_dev):
    login(client, camvs_dev.email)
    from tests.helpers import csrf_token

    token = csrf_token(client.get("/entreprises/nouvelle").get_data(as_text=True))
    for body, args, message in (
        ({}, [], "Indiquez au moins un nom, un SIRET, un courriel ou un téléphone."),
        ({"name": "Atelier", "postcode": "7"}, ["--name", "Atelier", "--postcode", "7"],
         "Code postal : cinq chiffres attendus."),
        ({"siret": "123"}, ["--siret", "123"], "SIRET invalide : 123"),
    ):  # fmt: skip
        api = client.post("/api/firms/match", json=body, headers={"X-CSRFToken": token})
        assert api.status_code == 400 and message in api.get_json()["error"], body
        cli = runner.invoke(args=["firms", "match", *args])
        assert cli.exit_code != 0, args
        assert f"Error: {message}" in cli.output, cli.output
        assert "candidates" not in cli.output


def test_match_by_siret_alone(client, aero, camvs_dev, runner):
    cli = runner.invoke(args=["firms", "match", "--siret", "732 829 320 00074"])
    candidates = json.loads(cli.output)["candidates"]
    assert candidates[0]["firm_id"] == aero.id
    assert candidates[0]["reasons"] == ["SIRET identique"]


def test_api_refuses_bad_input_with_json_errors(client, camvs_dev):
    login(client, camvs_dev.email)
    from tests.helpers import csrf_token

    token = csrf_token(client.get("/entreprises/nouvelle").get_data(as_text=True))
    bad = client.post("/api/firms/match", json={"siret": "123"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 400
    assert "SIRET invalide" in bad.get_json()["error"]
    empty = client.post("/api/firms/match", json={}, headers={"X-CSRFToken": token})
    assert empty.status_code == 400
    not_json = client.post("/api/firms/match", data="x", headers={"X-CSRFToken": token})
    assert not_json.status_code == 400
    for body, message in (
        ({"name": "Atelier", "postcode": "\u0000"}, "Code postal : cinq chiffres"),
        ({"name": "Atelier", "postcode": "7755"}, "Code postal : cinq chiffres"),
        ({"name": "Atelier", "email": "contact@aero\u0000.fr"}, "Caractère nul"),
        ({"name": "Atelier\u0000"}, "Caractère nul"),
        ({"name": 5}, "Nom : texte attendu."),
        ({"name": None}, "Nom : texte attendu."),
        ({"name": "a" * 251}, "Nom : 250 caractères au plus."),
        ({"name": "Atelier", "phone": ["01 64 13 17 00"]}, "Téléphone : texte attendu."),
        ({"name": "Atelier", "email": "a@" + "b" * 254}, "Courriel : 254 caractères au plus."),
    ):
        refused = client.post("/api/firms/match", json=body, headers={"X-CSRFToken": token})
        assert refused.status_code == 400, body
        assert message in json.dumps(refused.get_json(), ensure_ascii=False), body
    spaced = client.post(
        "/api/firms/match", json={"name": "Atelier", "postcode": " 77127 "},
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert spaced.status_code == 200


def test_api_requires_a_developer(client, make_user):
    anonymous = client.post("/api/firms/match", json={"name": "x"})
    assert anonymous.status_code in (400, 401)  # no CSRF token or no session: refused
    login(client, make_user("marketing", "epa_senart"))
    from tests.helpers import csrf_token

    token = csrf_token(client.get("/").get_data(as_text=True))
    forbidden = client.post("/api/firms/match", json={"name": "x"}, headers={"X-CSRFToken": token})
    assert forbidden.status_code == 403
    assert "error" in forbidden.get_json()


def test_confidential_lead_hides_details_but_still_warns(
    session, client, aero, senart_dev, camvs_dev
):
    lead = services.create_lead(
        session, user=senart_dev, firm=aero, title="Extension secrète",
        source=LeadSource.PROSPECTION, confidential=True, codename="Projet Faucon",
    )  # fmt: skip
    other = services.create_firm(session, user=senart_dev, data={"name": "Discrète Industrie"})
    services.create_lead(
        session, user=senart_dev, firm=other, title="Relocalisation", source=LeadSource.OTHER,
        confidential=True, codename="Hibou",
    )  # fmt: skip
    session.commit()
    texts = services.followed_by_text(
        services.match(session, services.probe_from(name="Discrete Industrie"))[0]
    )
    assert texts and texts[0].startswith("projet confidentiel suivi par SAN Sénart 77")
    login(client, camvs_dev.email)
    firm_page = client.get(f"/entreprises/{aero.id}").get_data(as_text=True)
    assert "Projet confidentiel suivi par SAN Sénart 77" in firm_page
    assert "Extension secrète" not in firm_page and "Faucon" not in firm_page
    lead_page = client.get(f"/projets/{lead.id}").get_data(as_text=True)
    assert "Projet confidentiel" in lead_page and "Faucon" not in lead_page
    assert client.get(f"/projets/{lead.id}/historique").status_code == 403


def test_merged_firms_are_not_candidates(session, aero, senart_dev):
    twin = services.create_firm(session, user=senart_dev, data={"name": "Aero Meca Senart"})
    session.execute(sa.update(Firm).where(Firm.id == twin.id).values(merged_into_id=aero.id))
    found = [c["firm_id"] for c in services.match(session, services.probe_from(name="aero meca"))]
    assert twin.id not in found


def test_the_name_search_reads_the_trigram_index_even_in_a_small_crm(session):
    # 5,000 names: the planner, which takes pg_trgm's % for a cheap operator, would read them
    # all and compute each similarity (67 ms a match at 13,500 firms, measured).
    session.execute(
        sa.text(
            "INSERT INTO firm_name SELECT name, firm_name_trigrams(name) FROM ("
            "SELECT 'entreprise ' || g || ' ' || left('abcdefghijklmnopqrstuvwxyz', g % 27) AS"
            " name FROM generate_series(1, 5000) g) AS names"  # names of 13 to 42 trigrams
        )
    )
    session.execute(sa.text("ANALYZE firm_name"))
    # As an import leaves them (tests/leads/test_import.py): in the indexes, not in their
    # pending lists, whose pages the planner would count against the trigram indexes.
    session.execute(sa.text(imports.CLEAN_PENDING_SQL))
    session.execute(queries.name_search_settings())
    named = queries.named("transports martin", floor=0.5619, postcode="77127")
    compiled = named.compile(session.get_bind())
    explained = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    plan = "\n".join(explained.scalars())
    # Each band of names by its own trigram index.
    bands = re.findall(r"Bitmap Index Scan on (firm_name_\d+)_name_normalised_idx", plan)
    assert sorted(bands) == sorted(FirmName.partition_names()), plan
    assert "Seq Scan" not in plan and "_pkey" not in plan
    # The firms of the names alike by the (name, postcode) index, not by reading them all.
    assert "using ix_firm_name_normalised_postcode on firm" in plan
    session.execute(queries.NAME_SEARCH_DONE)
    assert session.scalar(sa.text("SHOW enable_seqscan")) == "on"  # for what follows


TRADES = ["transports", "transport", "boulangerie", "menuiserie", "plomberie"]
SURNAMES = ["martin", "martins", "marton", "bernard", "dupont", "dupond"]
POSTCODES = ["77127", "77176", "77000"]


WORDS = [
    "atelier", "menuiserie", "renovation", "meunier", "boulangerie", "transports", "martin",
    "senart", "aero", "meca", "expertise", "comptable", "brun", "services", "personne", "b2b",
    "ile", "de", "france", "garnier", "et", "fils", "kinesitherapie", "baron", "x",
]  # fmt: skip


def test_each_band_of_names_finds_what_comparing_every_name_would(session):
    # Names of 1 to 7 words (4 to 60 trigrams: every band of firm_name) and probes alike to
    # them or not: at each floor of the duplicate search, the names found band by band with
    # padded probes are exactly those whose similarity reaches the floor.
    rng = random.Random(7)
    names = {" ".join(rng.choices(WORDS, k=rng.randint(1, 7))) for _ in range(600)}
    firms = [Firm(name=name, name_normalised=name) for name in sorted(names)]
    session.add_all(firms)
    session.flush()
    bands = session.execute(sa.text("SELECT DISTINCT tableoid::regclass::text FROM firm_name"))
    assert set(bands.scalars()) == set(FirmName.partition_names())
    every_name = sa.text(
        "SELECT name_normalised FROM firm_name WHERE similarity(name_normalised, :probe) >= :floor"
    )
    probes = [" ".join(rng.choices(WORDS, k=rng.randint(1, 7))) for _ in range(25)]
    probes += [name[1:] + "e" for name in rng.sample(sorted(names), 25)]  # typos of names
    bearers = sa.text(
        "SELECT id, name_normalised FROM firm WHERE merged_into_id IS NULL"
        " AND name_normalised = ANY(:names)"
    )
    session.execute(queries.name_search_settings())
    for probe in probes:
        for floor in (dedup.SAME_NAME, 0.8689, 0.5619, 0.4369, queries.LOOSE):
            found = [row.id for row in session.execute(queries.named(probe, floor=floor))]
            expected = list(session.scalars(every_name, {"probe": probe, "floor": floor}))
            firms = dict(session.execute(bearers, {"names": expected}).all())
            # named() returns the CANDIDATES best firms of the names found
            assert set(found) <= set(firms), (probe, floor)
            assert len(found) == min(len(firms), queries.CANDIDATES), (probe, floor)


def test_the_firms_of_the_names_alike_are_the_best_over_every_firm(session):
    # Firms sharing names, a name borne by more firms than are fetched, in three postcodes,
    # some merged away: the search of the distinct names must rank exactly as a comparison of
    # every firm's name would.
    names = [f"{trade} {surname}" for trade in TRADES for surname in SURNAMES]
    firms = [
        Firm(name=name.title(), name_normalised=name, postcode=POSTCODES[i % 3])
        for i, name in enumerate(names * 2 + ["transports martin"] * (queries.CANDIDATES + 5))
    ]
    session.add_all(firms)
    session.flush()
    for firm in firms[::7]:  # firms[1] is not among them
        firm.merged_into_id = firms[1].id
    session.flush()
    every_firm = sa.text(
        "SELECT id FROM firm WHERE merged_into_id IS NULL"
        " AND similarity(name_normalised, :probe) >= :floor"
        " ORDER BY similarity(name_normalised, :probe)"
        " + CASE WHEN postcode = :postcode THEN :bonus ELSE 0 END DESC, id LIMIT :limit"
    )
    bonus = dedup.SAME_POSTCODE / dedup.NAME_WEIGHT
    for probe in ("transports martin", "transport martins", "boulangerie dupont", "plomberie"):
        for floor in (0.5619, 0.4369, 0.3):
            for postcode in (None, *POSTCODES):
                session.execute(queries.name_search_settings())
                found = session.execute(queries.named(probe, floor=floor, postcode=postcode)).all()
                expected = session.scalars(
                    every_firm,
                    {"probe": probe, "floor": floor, "postcode": postcode, "bonus": bonus,
                     "limit": queries.CANDIDATES},
                ).all()  # fmt: skip
                assert [row.id for row in found] == expected, (probe, floor, postcode)
    session.execute(queries.NAME_SEARCH_DONE)


def test_a_firm_is_searched_under_the_name_it_bears_however_written(session, senart_dev):
    created = services.create_firm(session, user=senart_dev, data={"name": "Zéphyr Logistique"})
    session.execute(
        sa.update(Firm).where(Firm.id == created.id).values(name_normalised="quetzal fret")
    )
    session.execute(
        sa.insert(Firm).values(
            name="Ornithorynque Conseil", name_normalised="ornithorynque conseil"
        )
    )
    known = set(session.scalars(sa.select(FirmName.name_normalised)))
    assert {"zephyr logistique", "quetzal fret", "ornithorynque conseil"} <= known
    found = services.match(session, services.probe_from(name="Quetzal Fret SAS"))
    assert [c["firm_id"] for c in found] == [created.id]


def test_the_firm_list_finds_the_firms_of_the_names_holding_a_word_alike(session):
    def firm(name: str) -> Firm:
        return Firm(name=name, name_normalised=dedup.normalise_name(name))

    namesakes = [firm("Boulangerie Dupont") for _ in range(3)]
    near, other, merged = firm("Boulangerie Duponts"), firm("Menuiserie Martin"), firm("Dupont")
    session.add_all([*namesakes, near, other, merged])
    session.flush()
    merged.merged_into_id = near.id
    session.flush()
    ours = {f.id for f in [*namesakes, near, other, merged]}

    def listed(**besides) -> list[int]:
        rows = session.scalars(queries.firms_list("dupont", **besides)).all()
        return [f.id for f in rows if f.id in ours]

    # The names holding the word itself first (« Dupont » merged away), then a word alike.
    assert listed() == [*sorted(f.id for f in namesakes), near.id]
    assert listed(besides=namesakes[0].id) == [namesakes[1].id, namesakes[2].id, near.id]


def test_the_candidates_shown_are_the_best_of_every_firm_searching_no_more_names_than_needed(
    session, monkeypatch
):
    # Seven firms of 77127 bear names alike enough to be shown on their own: with that
    # postcode, the names only the postcode's bonus can bring in (similarity 0.44 to 0.56:
    # twice the names to check) are never searched — and the firms shown are still the best
    # of every firm, scored one by one.
    names = ["transports martin"] * 3 + ["transport martin", "transports martins"]
    names += ["transports martinez", "transport marton", "boulangerie dupont", "boulangerie"]
    firms = [
        Firm(name=name.title(), name_normalised=name, postcode=POSTCODES[i % 2 * 2])
        for i, name in enumerate(names * 2)
    ]
    session.add_all(firms)
    session.flush()
    floors: list[float] = []
    searched = queries.named

    def recorded(name: str, *, floor: float, **kwargs) -> sa.Select:
        floors.append(floor)
        return searched(name, floor=floor, **kwargs)

    monkeypatch.setattr(queries, "named", recorded)
    every_firm = sa.text(
        "SELECT id, similarity(name_normalised, :probe) AS similarity, siret, siren,"
        " email_domain, phone, postcode FROM firm WHERE merged_into_id IS NULL"
    )
    band = dedup.name_floor(dedup.SHOW_FROM, same_postcode=True)
    for name, postcode in [
        ("Transports Marty", "77127"), ("Transports Martin", "77000"),
        ("Transports Martin", None), ("Boulangerie Dupond", "77127"),
        ("Boulangerie Dupond", None), ("Boulanger", "77000"),
    ]:  # fmt: skip
        probe = services.probe_from(name=name, postcode=postcode)
        floors.clear()
        shown = [(c["firm_id"], c["score"]) for c in services.match(session, probe)]
        rows = session.execute(every_firm, {"probe": dedup.normalise_name(name)})
        scored = dedup.rank(probe, [services._candidate(row) for row in rows])
        assert shown == [(m.firm_id, m.score) for m in scored], (name, postcode)
        assert shown, (name, postcode)
        if (name, postcode) == ("Transports Marty", "77127"):
            assert band not in floors  # no name scores 0.8, seven firms of 77127 score 0.55
            # No firm bears the very name: the same-name level is not searched at all.
            assert floors == [
                dedup.name_floor(dedup.SHOW_FROM + dedup.SAME_POSTCODE, same_postcode=True)
            ]
        if (name, postcode) == ("Transports Martin", None):
            assert floors == [dedup.SAME_NAME]  # six firms bear it: the same name settles
        if (name, postcode) == ("Boulanger", "77000"):
            assert band in floors  # only the postcode brings « boulangerie dupont » in
