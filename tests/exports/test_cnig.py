"""The CNIG « Sites économiques » package: the standard's own check, and a stable round trip."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from shapely.geometry import Point

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.exports import cnig
from hosting_app.sites.models import Availability, Premises, Site, SiteStatus
from tests.helpers import csrf_token, login

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data" / "cnig"
FRICTIONLESS = Path(sys.executable).parent / "frictionless"
CSV_FILES = ("site-eco.csv", "terrain-eco.csv", "pole-eco.csv")


@pytest.fixture
def published(session, funded_lab):
    """The test site with its two land plots published (not demo), one with cadastral refs."""
    for label in ("plot", "wide_plot"):
        funded_lab.premises[label].is_demo = False
    funded_lab.premises["plot"].cadastral_refs = ["77251000AB0012", "77251000AB0013", "bad ref"]
    session.commit()
    return funded_lab


def frictionless(directory: Path, *args: str) -> subprocess.CompletedProcess:
    """``frictionless validate …`` run in ``directory`` (it wants relative paths)."""
    return subprocess.run(
        [str(FRICTIONLESS), "validate", *args], cwd=directory, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def export(runner, directory: Path) -> dict[str, bytes]:
    """Export the package with the CLI; return its CSV files."""
    result = runner.invoke(args=["export", "cnig", str(directory)])
    assert result.exit_code == 0, result.output
    return {name: (directory / name).read_bytes() for name in CSV_FILES}


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8")), delimiter=";"))


def write_rows(path: Path, table: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(table[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(table)


@pytest.mark.skipif(not SHARED.exists(), reason="no shared copy of the standard")
def test_the_repository_carries_the_shared_schemas_unchanged():
    for name in ("site-eco", "terrain-eco", "pole-eco", "etablissement"):
        ours = REPO / "seed" / "data" / "cnig" / name / "schema.json"
        assert ours.read_bytes() == (SHARED / name / "schema.json").read_bytes()


def test_the_package_passes_the_standards_own_check(runner, published, session, tmp_path):
    package = tmp_path / "cnig"
    files = export(runner, package)
    for name in ("site-eco", "terrain-eco", "pole-eco"):
        result = frictionless(package, "--schema", f"schema/{name}/schema.json", f"{name}.csv")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VALID" in result.stdout and "INVALID" not in result.stdout
        if SHARED.exists():  # the same check against the shared copy of the schema
            shutil.copy(SHARED / name / "schema.json", package / f"shared-{name}.json")
            result = frictionless(package, "--schema", f"shared-{name}.json", f"{name}.csv")
            assert result.returncode == 0, result.stdout
    result = frictionless(package, "datapackage.json")
    assert result.returncode == 0, result.stdout + result.stderr

    # Exactly the schemas' columns, and only values of their lists.
    for name in ("site-eco", "terrain-eco", "pole-eco"):
        table = rows(files[f"{name}.csv"])
        header = files[f"{name}.csv"].decode().splitlines()[0].split(";")
        assert header == cnig.field_names(name)
        for spec in cnig.schema(name)["fields"]:
            values = cnig.enum_values(spec)
            if values:
                assert {r[spec["name"]] for r in table} - {""} <= set(values), spec["name"]

    sites = rows(files["site-eco.csv"])
    located = session.scalar(
        sa.select(sa.func.count())
        .select_from(Site)
        .where(sa.or_(Site.point.is_not(None), Site.perimeter.is_not(None)))
    )
    assert len(sites) == located == len(rows(files["pole-eco.csv"]))
    (mine,) = [r for r in sites if r["site_nom"] == "Site d'essai"]
    assert mine["site_id"] == f"00000_SITE-ECO_{published.site.id:05d}"  # no commune
    geometry = json.loads(mine["site_geomsurf"])
    assert geometry["type"] == "MultiPolygon"
    assert geometry["crs"]["properties"]["name"] == "EPSG:2154"
    x, y = geometry["coordinates"][0][0][0]
    assert 500_000 < x < 800_000 and 6_500_000 < y < 6_800_000  # Lambert-93 metres
    assert mine["site_geompoint"] == "2, 47"  # WGS84, as the geopoint type wants
    assert mine["site_quali_territoire"] == "Action financée par la Région Ile-de-France"
    carre = next(r for r in sites if r["site_nom"] == "Carré Sénart")
    assert carre["site_surf_brute"] == "196" and carre["site_comm_insee"] == "77251"
    assert carre["site_epci_siren"] == "247700370"  # SAN de Sénart, in 2011
    assert "Village artisanal (CAMVS)" not in {r["site_nom"] for r in sites}  # not located

    terrains = rows(files["terrain-eco.csv"])
    assert {r["terr_id"] for r in terrains} == {
        f"00000_TERRAIN-ECO_{published.premises[label].id:05d}" for label in ("plot", "wide_plot")
    }  # demo premises and non-land premises are never published
    plot = next(r for r in terrains if r["terr_refcad"])
    assert plot["terr_refcad"] == "77251000AB0012|77251000AB0013"
    assert plot["terr_surf_brute"] == "0.5" and plot["terr_m2_prix"] == "80"
    assert plot["terr_stade_comm"] == "en vente" and plot["site_id"] == mine["site_id"]


def test_export_import_export_gives_the_same_files(runner, published, session, tmp_path):
    first = export(runner, tmp_path / "first")
    result = runner.invoke(args=["import", "cnig", str(tmp_path / "first")])
    assert result.exit_code == 0, result.output
    assert "0 site et 0 terrain mis à jour" in result.output
    second = export(runner, tmp_path / "second")
    assert second == first
    # The ZIP package of the page reads back the same way.
    archive = zipfile.ZipFile(io.BytesIO(cnig.zip_bytes(cnig.package_files(cnig.collect(session)))))
    assert {name: archive.read(name) for name in CSV_FILES} == first


def test_an_edited_file_updates_the_catalogue_then_round_trips(runner, published, session,
                                                               tmp_path):  # fmt: skip
    package = tmp_path / "edited"
    files = export(runner, package)
    site_id, plot_id = published.site.id, published.premises["plot"].id
    sites = rows(files["site-eco.csv"])
    mine = next(r for r in sites if cnig.parse_id(r["site_id"], "SITE-ECO") == site_id)
    x, y = json.loads(mine["site_geomsurf"])["coordinates"][0][0][0]
    mine.update(
        site_nom="Site d'essai rénové", site_etat="création", site_surf_brute="12.5",
        site_surf_comm_dispo="4", site_description="Nouvelle description.",
        site_geomsurf=json.dumps({"type": "Polygon", "coordinates": [[
            [x, y], [x + 500, y], [x + 500, y + 400], [x, y + 400], [x, y]]]}),
    )  # fmt: skip
    write_rows(package / "site-eco.csv", sites)
    terrains = rows(files["terrain-eco.csv"])
    plot = next(r for r in terrains if cnig.parse_id(r["terr_id"], "TERRAIN-ECO") == plot_id)
    plot.update(terr_m2_prix="95.5", terr_stade_comm="vendu, commercialisation achevée",
                terr_surf_brute="0.6", terr_refcad="77251000AB0099")  # fmt: skip
    write_rows(package / "terrain-eco.csv", terrains)

    result = runner.invoke(args=["import", "cnig", str(package)])
    assert result.exit_code == 0, result.output
    assert "1 site et 1 terrain mis à jour" in result.output
    session.expire_all()
    site, premises = session.get(Site, site_id), session.get(Premises, plot_id)
    assert site.name == "Site d'essai rénové" and site.status is SiteStatus.WORKS
    assert (site.total_area_ha, site.saleable_area_ha) == (Decimal("12.50"), Decimal("4.00"))
    assert site.description == "Nouvelle description."
    assert to_shape(site.perimeter).geom_type == "MultiPolygon"
    assert to_shape(site.perimeter).distance(Point(2.0, 47.0)) < 0.01
    assert premises.sale_price_eur_m2 == Decimal("95.50")
    assert premises.availability is Availability.OCCUPIED
    assert premises.surface_m2 == Decimal("6000.00")
    assert premises.cadastral_refs == ["77251000AB0099", "bad ref"]  # the unpublished ref kept
    updates = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.UPDATE,
                                    AuditEntry.details["source"].astext == "import CNIG")
    ).all()  # fmt: skip
    assert {(e.entity_type, e.entity_id) for e in updates} == {("site", site_id),
                                                               ("premises", plot_id)}  # fmt: skip
    site_update = next(e for e in updates if e.entity_type == "site")
    assert site_update.changes["name"] == ["Site d'essai", "Site d'essai rénové"]
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == AuditAction.IMPORT)
        )
        == 1
    )

    again = export(runner, tmp_path / "again")
    again_mine = next(r for r in rows(again["site-eco.csv"]) if r["site_nom"].endswith("rénové"))
    assert again_mine["site_etat"] == "création" and again_mine["site_surf_brute"] == "12.5"
    assert again_mine["site_description"] == "Nouvelle description."
    result = runner.invoke(args=["import", "cnig", str(tmp_path / "again")])
    assert "0 site et 0 terrain mis à jour" in result.output
    assert export(runner, tmp_path / "last") == again


def test_a_bad_file_changes_nothing_and_reports_each_row(runner, published, session, tmp_path):
    package = tmp_path / "bad"
    files = export(runner, package)
    sites = rows(files["site-eco.csv"])
    mine = next(r for r in sites if r["site_nom"] == "Site d'essai")
    mine["site_nom"] = "Nom qui ne doit pas passer"
    carre = next(r for r in sites if r["site_nom"] == "Carré Sénart")
    carre["site_type"] = "zone industrielle"
    carre["site_surf_brute"] = "beaucoup"
    sites.append(dict(mine, site_id="77251_SITE-ECO_99999", site_nom="Inconnu"))
    sites[0]["site_geomsurf"] = json.dumps({"type": "Point", "coordinates": [2.5, 48.6]})
    write_rows(package / "site-eco.csv", sites)

    result = runner.invoke(args=["import", "cnig", str(package / "site-eco.csv")])
    assert result.exit_code != 0
    assert "rien n'a été écrit" in result.output
    assert "colonne site_type : « zone industrielle » n'est pas une valeur de la liste" in (
        result.output
    )
    assert "colonne site_surf_brute : nombre attendu" in result.output
    assert "aucun site localisé du catalogue n'a l'identifiant « 77251_SITE-ECO_99999 »" in (
        result.output
    )
    assert "ligne 2, colonne site_geomsurf : coordonnées hors de la France" in result.output
    session.expire_all()
    assert session.get(Site, published.site.id).name == "Site d'essai"

    missing = package / "missing.csv"
    missing.write_text("site_id;site_nom\n1;x\n", encoding="utf-8")
    result = runner.invoke(args=["import", "cnig", str(missing)])
    assert result.exit_code != 0 and "colonnes manquantes" in result.output


def test_admins_import_in_the_page_and_marketing_cannot(
    client, app, make_user, published, session, tmp_path
):
    files = cnig.package_files(cnig.collect(session))
    sites = rows(files["site-eco.csv"])
    next(r for r in sites if r["site_nom"] == "Site d'essai")["site_nom"] = "Renommé en ligne"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(sites[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(sites)
    files["site-eco.csv"] = buffer.getvalue().encode()
    upload = cnig.zip_bytes(files)

    login(client, make_user("marketing", "epa_senart"))
    page = client.get("/marketing/").get_data(as_text=True)
    assert "Importer des fichiers CNIG" not in page
    token = csrf_token(page) if 'name="csrf_token"' in page else ""
    refused = client.post("/marketing/cnig/import", data={
        "csrf_token": token, "files": (io.BytesIO(upload), "cnig.zip")})  # fmt: skip
    assert refused.status_code == 403

    admin = app.test_client()
    login(admin, make_user("admin", "epa_senart"))
    page = admin.get("/marketing/").get_data(as_text=True)
    assert "Importer des fichiers CNIG" in page
    response = admin.post(
        "/marketing/cnig/import",
        data={"csrf_token": csrf_token(page), "files": (io.BytesIO(upload), "cnig.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 site et 0 terrain mis à jour" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Site, published.site.id).name == "Renommé en ligne"


def test_the_import_page_refuses_an_empty_form_and_a_foreign_file(client, make_user):
    login(client, make_user("admin", "epa_senart"))
    token = csrf_token(client.get("/marketing/").get_data(as_text=True))
    empty = client.post("/marketing/cnig/import", data={"csrf_token": token},
                        content_type="multipart/form-data")  # fmt: skip
    assert empty.status_code == 400
    assert "Choisissez au moins un fichier." in empty.get_data(as_text=True)
    foreign = client.post(
        "/marketing/cnig/import",
        data={"csrf_token": token, "files": (io.BytesIO(b"nom;surface\nx;1\n"), "autre.csv")},
        content_type="multipart/form-data",
    )
    assert foreign.status_code == 400
    assert "ni site-eco, ni terrain-eco" in foreign.get_data(as_text=True)
