"""A website inquiry becomes a lead, on a firm already known or on a new one."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from hosting_app.inquiries.models import Inquiry, InquiryStatus
from hosting_app.leads.models import ContactPerson, Firm, Interaction, Lead, LeadSource
from tests.helpers import csrf_token, login


def _inquiry(session, **values) -> Inquiry:
    defaults = {
        "contact_name": "Paul Durand", "firm_name": "Aéro Méca Sénart",
        "email": "paul@aero-meca.fr", "phone": "+33164102030",
        "message": "Nous cherchons un atelier de 300 m².", "consent_at": datetime.now(UTC),
        "surface_min_m2": 250, "surface_max_m2": 400,
    }  # fmt: skip
    inquiry = Inquiry(**(defaults | values))
    session.add(inquiry)
    session.commit()
    return inquiry


def test_inquiry_about_a_known_firm_joins_it(client, session, aero, camvs_dev):
    inquiry = _inquiry(session)
    login(client, camvs_dev.email)
    page = client.get(f"/espace/demandes/{inquiry.id}/projet").get_data(as_text=True)
    assert "AERO MECA SENART SAS" in page
    assert "Déjà suivie par SAN Sénart 77" in page
    for firm_id in ("99999999999999999999", "²", "0"):  # no firm's: refused, nothing made
        refused = client.post(
            f"/espace/demandes/{inquiry.id}/projet",
            data={"firm_id": firm_id, "csrf_token": csrf_token(page)},
        )
        assert refused.status_code == 400, firm_id
    assert session.scalar(sa.select(Lead).where(Lead.inquiry_id == inquiry.id)) is None
    response = client.post(
        f"/espace/demandes/{inquiry.id}/projet",
        data={"firm_id": str(aero.id), "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    session.expire_all()
    lead = session.scalar(sa.select(Lead).where(Lead.inquiry_id == inquiry.id))
    assert lead.firm_id == aero.id and lead.source is LeadSource.WEBSITE_INQUIRY
    assert lead.owner_organisation.key == "camvs"
    assert lead.surface_min_m2 == 250 and lead.notes == inquiry.message
    contact = session.scalar(sa.select(ContactPerson).where(ContactPerson.firm_id == aero.id))
    assert contact.email == "paul@aero-meca.fr"
    assert (
        session.scalar(
            sa.select(sa.func.count()).where(
                Interaction.firm_id == aero.id, Interaction.lead_id == lead.id
            )
        )
        == 1
    )
    assert session.get(Inquiry, inquiry.id).status is InquiryStatus.HANDLED
    # Once made, the inquiry leads to its project.
    assert client.get(f"/espace/demandes/{inquiry.id}/projet").headers["Location"] == (
        f"/projets/{lead.id}"
    )


def test_inquiry_from_an_unknown_firm_creates_it(client, session, camvs_dev):
    inquiry = _inquiry(session, firm_name="Zéphyr Robotique", siret="55210055400013")
    login(client, camvs_dev.email)
    page = client.get(f"/espace/demandes/{inquiry.id}/projet").get_data(as_text=True)
    assert 'value="new" checked' in page
    client.post(
        f"/espace/demandes/{inquiry.id}/projet",
        data={"firm_id": "new", "csrf_token": csrf_token(page)},
    )
    session.expire_all()
    firm = session.scalar(sa.select(Firm).where(Firm.siret == "55210055400013"))
    assert firm.name == "Zéphyr Robotique" and firm.email_domain == "aero-meca.fr"
    assert firm.leads[0].inquiry_id == inquiry.id


def test_marketing_cannot_turn_inquiries_into_leads(client, session, make_user):
    inquiry = _inquiry(session)
    login(client, make_user("marketing", "epa_senart"))
    assert client.get(f"/espace/demandes/{inquiry.id}/projet").status_code == 403
