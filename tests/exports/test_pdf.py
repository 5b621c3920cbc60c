"""Site sheets and the territory brochure, read back from the PDF as a PDF library sees it."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.auth.models import Organisation
from hosting_app.exports import pdf, svgmap
from hosting_app.sites.models import AccessKind, Availability, Site, SiteAccess, SiteKind
from hosting_app.templating import number_fr
from hosting_app.territory.models import Commune
from tests.exports.support import flat, pdf_pages, sheets_of

MENTION = "action financée par la Région Ile-de-France"


def compact(text: str) -> str:
    """Text without spaces: lines may break anywhere a PDF reader sees a space."""
    return "".join(text.split())


def in_brochure_order(session) -> list[Site]:
    """The sites in the brochure's order: the kinds of a firm's journey, then by name."""
    return sorted(session.scalars(sa.select(Site)).all(), key=pdf.journey_order)


SECTIONS = ("Chiffres clés", "Localisation", "Locaux disponibles", "Filières ciblées",
            "Services", "Accès et distances", "Contact")  # fmt: skip


def test_brochure_holds_the_territory_figures_the_map_and_every_sheet(client, marketing, session):
    response = client.get("/marketing/brochure.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pages = pdf_pages(response.data)
    text = " ".join(pages)

    population, communes = session.execute(
        sa.select(sa.func.sum(Commune.population), sa.func.count()).where(
            Commune.in_pacte_territory.is_(True)
        )
    ).one()
    for section in ("Le territoire en chiffres", "Filières", "Accès", "Carte des sites",
                    "Les sites"):  # fmt: skip
        assert section in text
    assert f"{flat(number_fr(population))} habitants dans les {communes} communes" in text
    assert "Environ 213 000 habitants et 87 000 emplois selon le Pacte de 2011" in text
    assert "locaux de démonstration" in text
    assert "Non localisés, donc absents de la carte : Village artisanal (CAMVS)" in text

    sites = in_brochure_order(session)
    sheets = sheets_of(pages)
    assert sorted(sheets) == list(range(1, len(sites) + 1))
    for number, site in enumerate(sites, start=1):
        sheet = sheets[number]
        assert compact(site.name) in compact(sheet)
        for section in SECTIONS:
            assert section in sheet, (site.name, section)
        if site.position_confidence == "low":
            assert "Position approximative" in sheet
        if site.position_confidence == "unknown":
            assert "Position inconnue" in sheet
    # No seeded site is known to be funded by the Region: the mention appears nowhere.
    assert MENTION.lower() not in text.lower()


def test_region_mention_is_on_exactly_the_funded_sites_sheets(
    client, marketing, funded_lab, session
):
    pages = pdf_pages(client.get("/marketing/brochure.pdf").data)
    first_sheet = next(i for i, text in enumerate(pages) if "FICHE SITE N°" in text)
    assert all(MENTION.lower() not in text.lower() for text in pages[:first_sheet])
    sheets = sheets_of(pages)
    funded = [n for n, site in enumerate(in_brochure_order(session), start=1) if site.region_funded]
    assert len(funded) == 1 and "Site d'essai" in sheets[funded[0]]
    for number, text in sheets.items():
        if number in funded:
            assert text.count(MENTION) == 1
        else:
            assert MENTION.lower() not in text.lower(), number

    own = " ".join(pdf_pages(client.get("/marketing/sites/site-d-essai/fiche.pdf").data))
    assert MENTION in own
    other = " ".join(pdf_pages(client.get("/marketing/sites/carre-senart/fiche.pdf").data))
    assert MENTION.lower() not in other.lower()


def test_site_sheet_holds_figures_premises_services_access_and_operator(
    client, marketing, lab, session
):
    site = lab.site
    sympav = sa.select(Organisation.id).where(Organisation.key == "sympav")
    site.operator_id = session.scalar(sympav)
    site.services = ["Restaurant inter-entreprises"]
    site.total_area_ha = Decimal("12.5")
    session.add(SiteAccess(site=site, kind=AccessKind.STATION, name="Gare d'essai",
                           distance_km=Decimal("2.5")))  # fmt: skip
    session.commit()

    response = client.get("/marketing/sites/site-d-essai/fiche.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("fiche-site-d-essai.pdf")
    text = " ".join(pdf_pages(response.data))
    for section in SECTIONS:
        assert section in text
    assert "Site d'essai" in text and "Hôtel d'entreprises" in text
    assert "12,5 ha surface totale" in text
    assert "5 locaux disponibles, 1 en construction" in text
    assert "40–90 000 m² surfaces proposées" in text
    assert "90–150 € loyer HT par m² et par an" in text
    for label in ("near", "edge_out", "office", "plot", "wide_plot", "later"):
        assert label in text
    assert "Tous ces locaux sont des locaux de démonstration, fictifs." in text
    assert "occupied" not in text  # occupied premises are not offered
    assert "5 000 m²" in text and "80 € HT/m²" in text and "150 € HT/m²/an" in text
    assert "En construction, 01/06/2031" in text
    assert "Santé" in text and "Restaurant inter-entreprises" in text
    assert "Gare : Gare d'essai à 2,5 km" in text
    assert "Syndicat Mixte du Pôle de Villaroche" in text
    assert "Paris (Notre-Dame) à" in text
    assert "locaux de démonstration" in text
    assert "Demanded'information:http://localhost/demande?site=site-d-essai" in compact(text)
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORT)
        .order_by(AuditEntry.id.desc())
    ).first()  # fmt: skip
    assert entry.details == {"kind": "site_sheet", "filters": {"site": "site-d-essai"},
                             "rows": 1, "via": "web"}  # fmt: skip
    assert entry.user_id == marketing.id


def test_the_cli_writes_the_brochure_and_a_sheet(runner, tmp_path, session):
    brochure = tmp_path / "brochure.pdf"
    result = runner.invoke(args=["export", "brochure", str(brochure)])
    assert result.exit_code == 0, result.output
    assert "Le territoire en chiffres" in " ".join(pdf_pages(brochure.read_bytes()))
    sheet = tmp_path / "fiche.pdf"
    result = runner.invoke(args=["export", "sheet", "carre-senart", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "Carré Sénart" in " ".join(pdf_pages(sheet.read_bytes()))
    assert runner.invoke(args=["export", "sheet", "nowhere", str(sheet)]).exit_code != 0
    kinds = session.scalars(
        sa.select(AuditEntry.details["kind"].astext).where(
            AuditEntry.action == AuditAction.EXPORT, AuditEntry.details["via"].astext == "cli"
        )
    ).all()
    assert sorted(kinds) == ["brochure", "site_sheet"]


# --- The map image, drawn without tiles -------------------------------------------------------


def _square(x: float, y: float, half: float) -> dict:
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half],
            [x - half, y + half], [x - half, y - half]]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


def test_site_map_draws_the_perimeter_premises_and_an_approximate_ring():
    communes = [svgmap.CommuneShape("Ville <test>", _square(650_000, 6_850_000, 5_000),
                                    (650_000, 6_850_000), True)]  # fmt: skip
    site = svgmap.SiteMark(1, "Parc & Cie", SiteKind.ACTIVITY_ZONE, (650_000, 6_850_000),
                           _square(650_000, 6_850_000, 300), approximate=True)  # fmt: skip
    premises = [svgmap.PremisesMark((650_100, 6_850_050), Availability.AVAILABLE),
                svgmap.PremisesMark((649_900, 6_849_950), Availability.OCCUPIED)]  # fmt: skip
    svg = str(svgmap.site_map(communes, site, premises))
    assert svg.startswith("<svg") and "Parc &amp; Cie" in svg and "Ville &lt;test&gt;" in svg
    assert svg.count('r="4.5"') == 2  # the premises
    assert 'stroke-dasharray="3 2"' in svg  # the approximate ring
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no tile, no link


def test_territory_map_numbers_sites_and_tells_which_fall_outside():
    communes = [svgmap.CommuneShape("A", _square(650_000, 6_850_000, 10_000),
                                    (650_000, 6_850_000), True)]  # fmt: skip
    inside = svgmap.SiteMark(1, "Dedans", SiteKind.INCUBATOR, (651_000, 6_851_000), None, False)
    same_spot = svgmap.SiteMark(2, "Au même endroit", SiteKind.BUSINESS_HOTEL,
                                (651_000, 6_851_000), None, True)  # fmt: skip
    far = svgmap.SiteMark(3, "Loin", SiteKind.AERO_PARK, (400_000, 6_500_000), None, False)
    svg, outside = svgmap.territory_map(communes, [inside, same_spot, far])
    assert outside == {3}
    assert ">1, 2</text>" in str(svg)


def test_real_premises_beside_demo_ones_lose_the_demo_badge(client, marketing, lab, session):
    lab.premises["plot"].is_demo = False
    session.commit()
    text = " ".join(pdf_pages(client.get("/marketing/sites/site-d-essai/fiche.pdf").data))
    assert "near démonstration" in text and "wide_plot démonstration" in text
    assert "plot démonstration" not in text.replace("wide_plot démonstration", "")
    assert "Tous ces locaux sont des locaux de démonstration" not in text
    assert client.get("/marketing/sites/nowhere/fiche.pdf").status_code == 404


def test_a_sheet_printed_alone_keeps_its_number_in_the_brochure(client, marketing, session):
    sites = in_brochure_order(session)
    number = next(n for n, site in enumerate(sites, start=1) if site.slug == "carre-senart")
    text = " ".join(pdf_pages(client.get("/marketing/sites/carre-senart/fiche.pdf").data))
    assert f"FICHE SITE N° {number} · ZONE D'ACTIVITÉS" in text


@pytest.mark.parametrize("slug", ["nulle-part", "%00"])
def test_the_sheet_of_no_site_is_a_404(client, marketing, slug):
    assert client.get(f"/marketing/sites/{slug}/fiche.pdf").status_code == 404
