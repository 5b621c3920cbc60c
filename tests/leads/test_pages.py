"""The CRM pages: firm creation past the duplicate warning, timeline, contacts, edits."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.extensions import db
from hosting_app.leads import services
from hosting_app.leads.models import ContactPerson, Firm, Interaction, Lead, LeadSource
from tests.helpers import csrf_token, login


def _post(client, url, data, page=None):
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_new_firm_without_candidates_is_created_at_once(client, camvs_dev, session):
    login(client, camvs_dev.email)
    response = _post(
        client,
        "/entreprises/nouvelle",
        {"name": "Zéphyr Robotique", "siret": "55210055400013", "postcode": "77000"},
    )
    assert response.status_code == 302
    firm = session.scalar(sa.select(Firm).where(Firm.siret == "55210055400013"))
    assert firm.name == "Zéphyr Robotique" and firm.siren == "552100554"
    assert firm.created_by_organisation.key == "camvs"


def test_candidates_are_shown_then_the_user_confirms(client, aero, camvs_dev, session):
    login(client, camvs_dev.email)
    first = _post(client, "/entreprises/nouvelle", {"name": "Aero Meca Senart"})
    assert first.status_code == 409
    page = first.get_data(as_text=True)
    assert "Aucune ne correspond : créer quand même" in page
    confirm = re.search(r'name="confirm_new" type="hidden" value="([^"]*)"', page).group(1)
    assert confirm == "1"
    second = client.post(
        "/entreprises/nouvelle",
        data={"name": "Aero Meca Senart", "confirm_new": "1", "csrf_token": csrf_token(page)},
    )
    assert second.status_code == 302
    count = session.scalar(sa.select(sa.func.count()).where(Firm.name == "Aero Meca Senart"))
    assert count == 1


def test_same_siret_can_never_be_created_twice(client, aero, camvs_dev, session):
    login(client, camvs_dev.email)
    page = _post(
        client, "/entreprises/nouvelle", {"name": "Autre nom", "siret": aero.siret}
    ).get_data(as_text=True)
    again = client.post(
        "/entreprises/nouvelle",
        data={
            "name": "Autre nom",
            "siret": aero.siret,
            "confirm_new": "1",
            "csrf_token": csrf_token(page),
        },
    )
    assert again.status_code == 409
    assert session.scalar(sa.select(sa.func.count()).where(Firm.siret == aero.siret)) == 1


def test_invalid_siret_is_refused_and_input_kept(client, camvs_dev):
    login(client, camvs_dev.email)
    response = _post(client, "/entreprises/nouvelle", {"name": "Test", "siret": "73282932000075"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "SIRET invalide" in page and 'value="73282932000075"' in page


def test_logged_interaction_appears_on_the_shared_timeline(client, aero, camvs_dev, session):
    login(client, camvs_dev.email)
    response = _post(
        client,
        f"/entreprises/{aero.id}/demarches",
        {
            "occurred_on": date.today().isoformat(),
            "channel": "call",
            "summary": "Appel : besoin confirmé, visite à prévoir.",
            "lead_id": "",
        },
        page=f"/entreprises/{aero.id}",
    )
    assert response.status_code == 302
    page = client.get(f"/entreprises/{aero.id}").get_data(as_text=True)
    assert "Appel : besoin confirmé, visite à prévoir." in page
    assert "Recherche d&#39;un atelier de 300 m²." in page  # SAN Sénart's, on the same timeline
    orgs = set(
        session.scalars(
            sa.select(Interaction.organisation_id).where(Interaction.firm_id == aero.id)
        )
    )
    assert len(orgs) == 2


def test_contacts_are_personal_data_viewing_them_is_audited(
    client, aero, camvs_dev, session, make_user
):
    login(client, camvs_dev.email)
    _post(
        client,
        f"/entreprises/{aero.id}/contacts",
        {
            "name": "Claire Martin",
            "role": "Directrice",
            "email": "claire@aero-meca.fr",
            "phone": "01 64 10 20 30",
        },
        page=f"/entreprises/{aero.id}",
    )
    session.expire_all()
    contact = session.scalar(sa.select(ContactPerson).where(ContactPerson.firm_id == aero.id))
    assert contact.phone == "+33164102030"
    assert session.get(Firm, aero.id).email_domain == "aero-meca.fr"
    page = client.get(f"/entreprises/{aero.id}").get_data(as_text=True)
    assert "Claire Martin" in page
    views = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == AuditAction.VIEW_PERSONAL_DATA, AuditEntry.entity_id == aero.id
        )
    ).all()
    assert views and views[-1].user_id == camvs_dev.id

    marketing = client.application.test_client()
    login(marketing, make_user("marketing", "epa_senart"))
    assert marketing.get(f"/entreprises/{aero.id}").status_code == 403
    assert marketing.get("/entreprises").status_code == 403


def test_stale_edit_is_refused_with_the_other_changes_shown(
    client, aero, camvs_dev, senart_dev, session
):
    login(client, camvs_dev.email)
    form = client.get(f"/entreprises/{aero.id}/modifier").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    # Meanwhile SAN Sénart's developer renames the firm.
    services.update_firm(
        session,
        user=senart_dev,
        firm=session.get(Firm, aero.id),
        data={"name": "AERO MECA SENART"},
        expected_version=int(version),
    )
    session.commit()
    response = client.post(
        f"/entreprises/{aero.id}/modifier",
        data={
            "name": "Aéro Méca Sénart (CAMVS)",
            "version": version,
            "postcode": "77127",
            "csrf_token": csrf_token(form),
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "dev@senart.example a enregistré cette fiche pendant que vous la modifiiez" in page
    assert "AERO MECA SENART" in page and "Aéro Méca Sénart (CAMVS)" in page  # theirs and yours
    session.expire_all()
    assert session.get(Firm, aero.id).name == "AERO MECA SENART"


def test_history_shows_field_changes(client, aero, senart_dev, camvs_dev, session):
    services.update_firm(
        session,
        user=senart_dev,
        firm=session.get(Firm, aero.id),
        data={"city": "Lieusaint (Carré Sénart)"},
        expected_version=aero.version,
    )
    session.commit()
    login(client, camvs_dev.email)
    page = client.get(f"/entreprises/{aero.id}/historique").get_data(as_text=True)
    assert "city : Lieusaint → Lieusaint (Carré Sénart)" in page
    assert "Création" in page


def test_lead_edit_and_claim_through_the_pages(client, aero, senart_dev, session, make_user):
    lead = services.create_lead(
        session, user=senart_dev, firm=aero, title="Atelier", source=LeadSource.PROSPECTION
    )
    session.commit()
    login(client, senart_dev.email)
    response = _post(client, f"/projets/{lead.id}/prendre", {}, page=f"/projets/{lead.id}")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Lead, lead.id).assigned_user_id == senart_dev.id
    colleague = client.application.test_client()
    login(colleague, make_user("developer", "san_senart_77", email="other@senart.example"))
    again = _post(colleague, f"/projets/{lead.id}/prendre", {}, page=f"/projets/{lead.id}")
    assert again.status_code == 303
    assert "Ce projet est déjà suivi par dev@senart.example" in colleague.get(
        f"/projets/{lead.id}"
    ).get_data(as_text=True)


def test_the_firm_list_pages_past_the_end_are_empty(client, aero, camvs_dev):
    login(client, camvs_dev.email)
    first = client.get("/entreprises")
    assert first.status_code == 200 and "AERO MECA SENART SAS" in first.get_data(as_text=True)
    for page in ("2", "-3", "99999999999999999999"):  # the last one past bigint's offsets
        listed = client.get("/entreprises", query_string={"page": page})
        assert listed.status_code == 200, page
        text = listed.get_data(as_text=True)
        assert ("AERO MECA SENART SAS" in text) is (page == "-3"), page  # -3 reads as 1


def test_a_query_that_fails_still_gets_the_french_error_page(app, client, camvs_dev, monkeypatch):
    # The page's header names the user's organisation, read after the failed statement.
    def failing():
        db.session.execute(sa.text("SELECT 1 / 0"))

    login(client, camvs_dev.email)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "crm.firms", failing)
    response = client.get("/entreprises")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Erreur du serveur" in page and "(CAMVS)" in page
