"""Importing firms from CSV: parsing and checks without a database, then the merge on PostGIS."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from stdnum import luhn

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.auth.models import User
from hosting_app.leads import imports
from hosting_app.leads.models import Firm, WorkforceBand

PROJECT_HEADER = list(imports.PROJECT_COLUMNS)
SIRENE_HEADER = [
    "siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
    "trancheEffectifsEtablissement", "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement", "dateDernierTraitementEtablissement",
    "etablissementSiege", "nombrePeriodesEtablissement", "complementAdresseEtablissement",
    "numeroVoieEtablissement", "indiceRepetitionEtablissement", "typeVoieEtablissement",
    "libelleVoieEtablissement", "codePostalEtablissement", "libelleCommuneEtablissement",
    "codeCommuneEtablissement", "dateDebut", "etatAdministratifEtablissement",
    "enseigne1Etablissement", "enseigne2Etablissement", "enseigne3Etablissement",
    "denominationUsuelleEtablissement", "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement", "caractereEmployeurEtablissement",
]  # fmt: skip


def siret(n: int) -> str:
    """A valid SIRET (Luhn) made for the tests: SIREN 9xxxxxxxK, NIC 0001K."""
    siren = f"9{n:07d}" + luhn.calc_check_digit(f"9{n:07d}")
    return siren + "0001" + luhn.calc_check_digit(siren + "0001")


def write(path: Path, header: list[str], rows: list[dict[str, str]], delimiter=",") -> Path:
    """A CSV file with ``header``; missing cells are empty."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
    return path


def project_rows() -> list[dict[str, str]]:
    return [
        {"siret": siret(1), "name": "Aéro-Méca Villaroche SAS", "legal_form": "SAS",
         "naf_code": "25.62b", "workforce_band": "11", "address": "12 rue des Frères Montgolfier",
         "postcode": "77550", "city": "Réau", "email": "contact@aero-villaroche.fr",
         "phone": "01 64 13 17 00", "sector": "aeronautics"},
        {"siret": siret(2), "name": "Boulangerie Lefèvre", "workforce_band": "1",
         "postcode": "77127", "city": "Lieusaint", "website": "https://www.lefevre.fr",
         "sector": "Artisanat"},
        {"name": "Jardins de Seine (création)", "postcode": "77000", "city": "Melun",
         "email": "jardins.seine@gmail.com"},
    ]  # fmt: skip


def sirene_rows() -> list[dict[str, str]]:
    base = {"statutDiffusionEtablissement": "O",
            "nomenclatureActivitePrincipaleEtablissement": "NAFRev2"}  # fmt: skip
    return [
        base | {"siren": siret(11)[:9], "nic": siret(11)[9:], "siret": siret(11),
                "trancheEffectifsEtablissement": "12", "numeroVoieEtablissement": "4",
                "indiceRepetitionEtablissement": "B", "typeVoieEtablissement": "AV",
                "libelleVoieEtablissement": "DE L EUROPE", "codePostalEtablissement": "77176",
                "libelleCommuneEtablissement": "SAVIGNY-LE-TEMPLE",
                "codeCommuneEtablissement": "77445", "etatAdministratifEtablissement": "A",
                "denominationUsuelleEtablissement": "LOGISUD TRANSPORTS",
                "enseigne1Etablissement": "LOGISUD", "activitePrincipaleEtablissement": "49.41A"},
        base | {"siren": siret(12)[:9], "nic": siret(12)[9:], "siret": siret(12),
                "codePostalEtablissement": "77000", "libelleCommuneEtablissement": "MELUN",
                "codeCommuneEtablissement": "77288", "etatAdministratifEtablissement": "F",
                "enseigne1Etablissement": "ANCIEN GARAGE",
                "activitePrincipaleEtablissement": "45.20A"},
        base | {"siren": siret(13)[:9], "nic": siret(13)[9:], "siret": siret(13),
                "trancheEffectifsEtablissement": "NN", "codePostalEtablissement": "75011",
                "libelleCommuneEtablissement": "PARIS 11", "codeCommuneEtablissement": "75111",
                "complementAdresseEtablissement": "BATIMENT C", "numeroVoieEtablissement": "8",
                "typeVoieEtablissement": "RUE", "libelleVoieEtablissement": "OBERKAMPF",
                "etatAdministratifEtablissement": "A", "enseigne1Etablissement": "STUDIO NUMERIQUE",
                "activitePrincipaleEtablissement": "62.01Z"},
        base | {"siren": siret(14)[:9], "nic": siret(14)[9:], "siret": siret(14),
                "codePostalEtablissement": "77127", "etatAdministratifEtablissement": "A",
                "activitePrincipaleEtablissement": "70.22Z"},  # no name in this file
    ]  # fmt: skip


def firm_by_siret(session, value: str) -> Firm | None:
    return session.scalar(sa.select(Firm).where(Firm.siret == value))


def firm_rows(session) -> list[tuple]:
    columns = [getattr(Firm, c) for c in ("id", *imports.STAGED, "version")]
    return session.execute(sa.select(*columns).order_by(Firm.id)).all()


def audit_count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


@pytest.fixture
def importer(session, make_user) -> User:
    email = make_user("admin", "epa_senart", email="import@epa.example")
    return session.scalar(sa.select(User).where(User.email == email))


# --- Without a database -----------------------------------------------------------------


def test_header_detection():
    assert imports.detect_format(PROJECT_HEADER) == imports.PROJECT
    assert imports.detect_format(["Name", " postcode "]) == imports.PROJECT
    assert imports.detect_format(SIRENE_HEADER) == imports.SIRENE
    with pytest.raises(imports.ImportFormatError, match="Format de fichier non reconnu"):
        imports.detect_format(["raison_sociale", "cp", "ville"])
    with pytest.raises(imports.ImportFormatError, match="Colonnes inconnues : code_postal"):
        imports.detect_format(["name", "code_postal"])
    with pytest.raises(imports.ImportFormatError, match="StockUniteLegale"):
        imports.detect_format(["siren", "denominationUniteLegale", "categorieJuridiqueUniteLegale"])


def test_delimiter_is_sniffed():
    assert imports.sniff_delimiter("siret;name;postcode\n") == ";"
    assert imports.sniff_delimiter("siret,name,postcode\n") == ","
    assert imports.sniff_delimiter("name\n") == ","


def test_sirene_values_name_address_and_closed():
    values, skipped = imports.sirene_values(sirene_rows()[0])
    assert skipped is None
    assert values["name"] == "LOGISUD TRANSPORTS"
    assert values["trade_name"] == "LOGISUD"
    assert values["address"] == "4 B AVENUE DE L EUROPE"
    assert values["naf_code"] == "49.41A"
    assert imports.sirene_values(sirene_rows()[1]) == (None, "closed")
    values, _ = imports.sirene_values(sirene_rows()[2] | {"codePostalEtablissement": "[ND]"})
    assert (values["name"], values["trade_name"]) == ("STUDIO NUMERIQUE", None)
    assert values["address"] == "BATIMENT C, 8 RUE OBERKAMPF"
    assert values["postcode"] == ""  # not diffused
    old_naf = sirene_rows()[0] | {"nomenclatureActivitePrincipaleEtablissement": "NAFRev1"}
    assert imports.sirene_values(old_naf)[0]["naf_code"] is None


def test_clean_firm_applies_the_form_rules():
    values = imports.clean_firm(project_rows()[0])
    assert values["naf_code"] == "25.62B"
    assert values["siren"] == siret(1)[:9]
    assert values["phone"] == "+33164131700"
    assert values["email_domain"] == "aero-villaroche.fr"
    assert values["name_normalised"] == "aero meca villaroche"
    values = imports.clean_firm(project_rows()[1])
    assert values["workforce_band"] == WorkforceBand.B01.value  # « 1 »: Excel ate the zero
    assert values["sector"] == "crafts"  # the French label is understood
    assert values["email_domain"] == "lefevre.fr"  # from the website, as the form does
    assert imports.clean_firm(project_rows()[2])["email_domain"] is None  # webmail

    with pytest.raises(imports.RowInvalid) as refused:
        imports.clean_firm({"name": "", "siret": "73282932000075", "naf_code": "2562B",
                            "postcode": "7700", "phone": "12", "sector": "bakery"})  # fmt: skip
    problems = dict(refused.value.problems)
    assert "clé de contrôle" in problems["siret"]
    assert problems["phone"].startswith("Numéro de téléphone invalide")
    assert problems["naf_code"] == "Format attendu : 25.62B."
    assert problems["postcode"] == "5 chiffres attendus."
    assert problems["sector"].startswith("Valeur inconnue : « bakery »")
    assert problems["name"] == "Indiquez le nom de l'entreprise."


def test_rows_report_the_bad_line_and_column(tmp_path):
    rows = project_rows()
    rows[1]["siret"] = "73282932000075"  # file line 3
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, rows)
    with imports.FirmFile(path) as firms:
        parsed = list(firms.rows())
    assert [p.line for p in parsed] == [2, 3, 4]
    assert parsed[0].values["name"] == "Aéro-Méca Villaroche SAS"
    assert parsed[1].staged is None
    (error,) = parsed[1].errors
    assert (error.line, error.column) == (3, "siret")
    assert error.message.startswith("SIRET invalide : 73282932000075")


def test_worker_processes_give_the_same_rows(tmp_path):
    rows = [row for _ in range(3) for row in project_rows()]
    rows[4]["phone"] = "00"
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, rows, delimiter=";")
    with imports.FirmFile(path) as firms:
        alone = list(firms.rows())
    with imports.FirmFile(path) as firms:
        assert list(firms.rows(workers=2, meanwhile=False)) == alone
    with imports.FirmFile(path) as firms:
        assert list(firms.rows(workers=2)) == alone  # the first batches checked here
    assert [e.line for p in alone for e in p.errors] == [6]


def test_a_file_in_another_encoding_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,city\nBoulangerie Lefèvre,Réau\n".encode("latin-1"))
    with pytest.raises(imports.ImportFormatError, match="pas en UTF-8"):  # noqa: SIM117
        with imports.FirmFile(path) as firms:
            list(firms.rows())


# --- On the database --------------------------------------------------------------------


def test_project_csv_creates_firms(session, importer, tmp_path):
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, project_rows())
    before = session.scalar(sa.select(sa.func.count()).select_from(Firm))
    report = imports.import_firms(session, path, user=importer)
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert session.scalar(sa.select(sa.func.count()).select_from(Firm)) == before + 3
    aero = firm_by_siret(session, siret(1))
    assert aero.name == "Aéro-Méca Villaroche SAS"
    assert aero.name_normalised == "aero meca villaroche"
    assert (aero.siren, aero.naf_code) == (siret(1)[:9], "25.62B")
    assert aero.workforce_band == WorkforceBand.B11
    assert (aero.postcode, aero.city, aero.phone) == ("77550", "Réau", "+33164131700")
    assert (aero.email_domain, aero.sector) == ("aero-villaroche.fr", "aeronautics")
    assert aero.created_by_organisation_id == importer.organisation_id
    creation = session.scalar(sa.select(Firm).where(Firm.name == "Jardins de Seine (création)"))
    assert creation.siret is None and creation.postcode == "77000"
    entry = session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert entry.action == AuditAction.IMPORT and entry.user_id == importer.id
    assert entry.details["created"] == 3 and entry.details["file"] == "firms.csv"


def test_imported_names_are_in_the_trigram_index_not_in_its_pending_list(
    session, importer, tmp_path
):
    # What the duplicate search would read row by row until the next vacuum.
    clean = sa.text(imports.CLEAN_PENDING_SQL)  # the index of each band of names
    session.execute(clean)
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, project_rows())
    assert imports.import_firms(session, path, user=importer).created == 3
    assert session.scalar(clean) == 0  # pending pages left by the import: none


def test_sirene_csv_creates_firms_and_skips_closed_ones(session, tmp_path):
    path = write(tmp_path / "StockEtablissement_utf8.csv", SIRENE_HEADER, sirene_rows())
    report = imports.import_firms(session, path)
    assert report.ok, report.errors
    assert report.file_format == imports.SIRENE
    assert (report.rows, report.created) == (4, 2)
    assert (report.skipped_closed, report.skipped_unnamed) == (1, 1)
    logisud = firm_by_siret(session, siret(11))
    assert (logisud.name, logisud.trade_name) == ("LOGISUD TRANSPORTS", "LOGISUD")
    assert (logisud.naf_code, logisud.workforce_band) == ("49.41A", WorkforceBand.B12)
    assert (logisud.address, logisud.postcode) == ("4 B AVENUE DE L EUROPE", "77176")
    assert logisud.commune_insee == "77445"  # a commune of the territory
    studio = firm_by_siret(session, siret(13))
    assert studio.commune_insee is None and studio.city == "PARIS 11"  # not one of ours
    assert firm_by_siret(session, siret(12)) is None  # closed
    assert firm_by_siret(session, siret(14)) is None  # no name, not in the CRM


def test_a_sirene_row_without_name_updates_a_known_firm(session, tmp_path):
    session.add(Firm(name="Cabinet Conseil Réau", name_normalised="cabinet conseil reau",
                     siret=siret(14), siren=siret(14)[:9]))  # fmt: skip
    session.flush()
    report = imports.import_firms(session, write(tmp_path / "s.csv", SIRENE_HEADER, sirene_rows()))
    assert (report.created, report.updated, report.skipped_unnamed) == (2, 1, 0)
    firm = firm_by_siret(session, siret(14))
    assert (firm.name, firm.naf_code, firm.postcode) == ("Cabinet Conseil Réau", "70.22Z", "77127")


def test_one_bad_row_writes_nothing_and_is_reported(session, runner, tmp_path):
    rows = project_rows()
    rows[1]["siret"] = "73282932000075"  # file line 3
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, rows)
    report_path = tmp_path / "report.csv"
    before = firm_rows(session)
    result = runner.invoke(args=["firms", "import", str(path), "--report", str(report_path)])
    assert result.exit_code != 0
    assert "Ligne 3, colonne siret : SIRET invalide : 73282932000075" in result.output
    assert "rien n'a été écrit" in result.output
    assert firm_rows(session) == before
    with open(report_path, encoding="utf-8") as file:
        report = list(csv.reader(file))
    assert report[0] == ["ligne", "colonne", "message"]
    assert report[1][:2] == ["3", "siret"] and "clé de contrôle" in report[1][2]


def test_the_command_imports_and_says_what_it_did(session, runner, importer, tmp_path):
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, project_rows(), delimiter=";")
    result = runner.invoke(args=["firms", "import", str(path), "--user", importer.email])
    assert result.exit_code == 0, result.output
    assert "3 lignes lues, 3 entreprises créées, 0 mises à jour, 0 inchangées" in result.output
    assert firm_by_siret(session, siret(2)).name == "Boulangerie Lefèvre"


def test_unknown_format_is_refused_with_a_clear_message(runner, tmp_path):
    path = write(tmp_path / "export.csv", ["Raison sociale", "CP"], [{"CP": "77000"}])
    result = runner.invoke(args=["firms", "import", str(path)])
    assert result.exit_code != 0
    assert "Format de fichier non reconnu" in result.output
    assert "siret, siren, name" in result.output


def test_importing_the_same_file_twice_changes_nothing(session, importer, tmp_path):
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, project_rows())
    sirene = write(tmp_path / "sirene.csv", SIRENE_HEADER, sirene_rows())
    imports.import_firms(session, path, user=importer)
    imports.import_firms(session, sirene, user=importer)
    firms, audits = firm_rows(session), audit_count(session)
    again = imports.import_firms(session, path, user=importer)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    again = imports.import_firms(session, sirene, user=importer)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert firm_rows(session) == firms
    assert audit_count(session) == audits


def test_a_changed_value_is_updated_and_audited(session, importer, tmp_path):
    rows = project_rows()
    imports.import_firms(session, write(tmp_path / "v1.csv", PROJECT_HEADER, rows), user=importer)
    aero = firm_by_siret(session, siret(1))
    version = aero.version
    rows[0] |= {"workforce_band": "12", "city": "Réau (Villaroche)", "phone": ""}
    report = imports.import_firms(
        session, write(tmp_path / "v2.csv", PROJECT_HEADER, rows), user=importer
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    aero = firm_by_siret(session, siret(1))
    assert (aero.workforce_band, aero.city) == (WorkforceBand.B12, "Réau (Villaroche)")
    assert aero.phone == "+33164131700"  # an empty cell never erases
    assert aero.version == version + 1
    entry = session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "firm", AuditEntry.entity_id == aero.id
        )
    )
    assert entry.action == AuditAction.IMPORT
    assert entry.user_id == importer.id and entry.organisation_id == importer.organisation_id
    assert entry.changes == {"workforce_band": ["11", "12"], "city": ["Réau", "Réau (Villaroche)"]}
    assert entry.details == {"file": "v2.csv", "format": "project", "line": 2}


def test_rows_without_siret_match_by_name_and_postcode(session, tmp_path):
    rows = [{"name": "Jardins de Seine", "postcode": "77000"},
            {"name": "JARDINS DE SEINE SARL", "postcode": "77190", "city": "Dammarie"}]  # fmt: skip
    imports.import_firms(session, write(tmp_path / "a.csv", PROJECT_HEADER, rows))
    rows[0]["city"] = "Melun"
    report = imports.import_firms(session, write(tmp_path / "b.csv", PROJECT_HEADER, rows))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)


def test_the_same_establishment_twice_in_a_file_is_refused(session, tmp_path):
    rows = project_rows() + [
        {"siret": siret(1), "name": "Autre nom"},
        {"name": "jardins de seine création", "postcode": "77000"},
    ]
    report = imports.import_firms(session, write(tmp_path / "d.csv", PROJECT_HEADER, rows))
    assert not report.ok
    assert [(e.line, e.column) for e in report.errors] == [(5, "siret"), (6, "name")]
    assert report.errors[0].message == "Même SIRET que la ligne 2."


def test_worker_processes_import_the_same(session, tmp_path):
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, project_rows())
    report = imports.import_firms(session, path, workers=2)
    assert (report.created, report.error_count) == (3, 0)


def test_checked_batches_are_the_rows_as_copy_input(tmp_path):
    rows = [row for _ in range(3) for row in project_rows()]
    rows[4]["phone"] = "00"
    path = write(tmp_path / "firms.csv", PROJECT_HEADER, rows)
    with imports.FirmFile(path) as firms:
        parsed = list(firms.rows())
    with imports.FirmFile(path) as firms:
        (batch,) = list(firms.checked_batches(workers=2, meanwhile=False))
    good = [p for p in parsed if p.staged is not None]
    assert batch.rows == 9 and batch.closed == 0
    assert [(line, [f for f, _ in problems]) for line, problems, _ in batch.refused] == [
        (6, ["phone"])
    ]
    copied = [line.split("\t") for line in batch.copy_text.splitlines()]
    assert [int(cells[0]) for cells in copied] == [p.line for p in good]
    assert copied[0][1:] == [v if v is not None else "\\N" for v in good[0].staged]


def test_tabs_backslashes_and_line_breaks_reach_the_database_as_typed(session, tmp_path):
    names = ["Atelier\tdu\tBois", "Ré\\Nov \\N", "Jardins\nde Seine", "Studio\r\nNumérique"]
    rows = [{"name": name, "postcode": "77000"} for name in names]
    report = imports.import_firms(session, write(tmp_path / "firms.csv", PROJECT_HEADER, rows))
    assert report.ok, report.errors
    stored = session.scalars(sa.select(Firm.name).where(Firm.name.in_(names))).all()
    assert sorted(stored) == sorted(names)
