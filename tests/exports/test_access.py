"""Who may export, what the exports leave out (personal data), and the audit of each export."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.auth.models import User
from hosting_app.leads import services
from tests.exports.support import pdf_pages
from tests.helpers import login

EXPORTS = {
    "/marketing/brochure.pdf": "brochure",
    "/marketing/sites/carre-senart/fiche.pdf": "site_sheet",
    "/marketing/donnees/sites.csv": "sites",
    "/marketing/donnees/sites.xlsx": "sites",
    "/marketing/donnees/sites.geojson": "sites",
    "/marketing/donnees/locaux.csv": "premises",
    "/marketing/donnees/locaux.xlsx": "premises",
    "/marketing/donnees/locaux.geojson": "premises",
    "/marketing/cnig.zip": "cnig",
}


@pytest.mark.parametrize("url", ["/marketing/", *EXPORTS])
def test_anonymous_users_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_marketing_sees_the_page_with_one_button_per_export(client, marketing):
    page = client.get("/marketing/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Supports de promotion</h1>" in html
    assert 'aria-current="page">Supports de promotion</a>' in html  # the navigation link
    for url in EXPORTS:
        assert f'href="{url}"' in html
    assert "Importer des fichiers CNIG" not in html  # admins only


def test_developers_may_export_too(client, make_user):
    login(client, make_user("developer", "camvs"))
    assert client.get("/marketing/donnees/sites.csv").status_code == 200


def test_each_export_writes_one_audit_entry(client, marketing, session):
    for url, kind in EXPORTS.items():
        before = session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
        response = client.get(url)
        assert response.status_code == 200, url
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.id > before)).all()
        assert len(entries) == 1, url
        (entry,) = entries
        assert entry.action is AuditAction.EXPORT and entry.entity_type == "export"
        assert entry.user_id == marketing.id
        assert entry.organisation_id == marketing.organisation_id
        assert entry.details["kind"] == kind and entry.details["rows"] > 0
        assert "filters" in entry.details


def _texts(url: str, data: bytes) -> str:
    """Everything a file says, as text (PDF text, XLSX cells, ZIP members)."""
    if url.endswith(".pdf"):
        return " ".join(pdf_pages(data))
    if url.endswith(".xlsx"):
        workbook = load_workbook(io.BytesIO(data))
        return " ".join(str(c.value) for s in workbook for row in s.iter_rows() for c in row)
    if url.endswith(".zip"):
        archive = zipfile.ZipFile(io.BytesIO(data))
        return " ".join(archive.read(name).decode() for name in archive.namelist())
    return data.decode("utf-8-sig")


def test_exports_hold_no_contact_persons_data(client, marketing, session, make_user):
    developer = session.scalar(
        sa.select(User).where(User.email == make_user("developer", "san_senart_77"))
    )
    firm = services.create_firm(
        session, user=developer, data={"name": "Société Témoin SAS", "postcode": "77127"}
    )
    services.add_contact(
        session, user=developer, firm=firm, name="Jeanne Secrète", role="Gérante",
        email="jeanne.secrete@temoin.example", phone="06 12 34 56 78",
    )  # fmt: skip
    session.commit()
    secrets = ("jeanne.secrete", "temoin.example", "Jeanne Secrète", "612345678", "12 34 56 78",
               "Société Témoin")  # fmt: skip
    for url in EXPORTS:
        text = _texts(url, client.get(url).data)
        for secret in secrets:
            assert secret not in text, (url, secret)
    # Nor may marketing open the CRM or the inquiries, where personal data lives.
    assert client.get("/entreprises").status_code == 403
    assert client.get(f"/entreprises/{firm.id}").status_code == 403
    assert client.get("/espace/demandes").status_code == 403
