"""hosting-app privacy export / erase: a person's data found by e-mail, exported, erased."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.inquiries.models import Inquiry
from hosting_app.leads import services as crm
from hosting_app.leads.models import Channel, ContactPerson, Interaction, Lead
from hosting_app.privacy.notice import ERASED_EMAIL, ERASED_TEXT, NOTICE_VERSION
from hosting_app.privacy.services import record_consent
from tests.privacy.conftest import contact, firm, inquiry, mentions_everywhere, snapshot

EMAIL = "jeanne.martin@example.fr"


@pytest.fixture
def jeanne(session, senart_dev, camvs_dev, aero):
    """Jeanne Martin: an inquiry turned into a lead (so a contact person, a lead's notes and an
    interaction quoting her message), another firm's contact, and audit snapshots; Paul Durand
    beside her at the same firm."""
    sent = inquiry(
        session, email="Jeanne.Martin@example.fr", name="Jeanne Martin", firm_name="ATELIER JM",
        phone="+33164102031",
        message="Atelier de 200 m². Rappelez Jeanne Martin au 01 64 10 20 31 ou "
        "jeanne.martin@example.fr.",
    )  # fmt: skip
    record_consent(session, inquiry=sent, wording="J'accepte que ces informations…")
    lead = crm.lead_from_inquiry(session, user=camvs_dev, inquiry=sent, firm=None)
    other = firm(session, senart_dev, "SECONDE SOCIETE", met_days_ago=10)
    second = contact(session, senart_dev, other, "Jeanne Martin", EMAIL, "+33164102031")
    paul = contact(session, senart_dev, lead.firm, "Paul Durand", "paul@atelier-jm.example")
    crm.log_interaction(
        session, user=senart_dev, firm=other, channel=Channel.MEETING,
        occurred_on=lead.created_at.date(), summary="Rencontre avec Jeanne Martin et Paul Durand.",
    )  # fmt: skip
    snapshot(session, senart_dev, "contact_person", second.id,
             email=("j.martin@old.example", EMAIL), role=(None, "Gérante"))  # fmt: skip
    snapshot(session, senart_dev, "contact_person", paul.id, role=(None, "Directeur"))
    session.commit()
    return {"inquiry": sent.id, "lead": lead.id, "second": second.id, "paul": paul.id,
            "firm": lead.firm_id, "other": other.id}  # fmt: skip


def _export(runner, email=EMAIL) -> dict:
    result = runner.invoke(args=["privacy", "export", "--email", email])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_export_holds_every_record_about_the_person(runner, jeanne):
    data = _export(runner, "  JEANNE.martin@example.fr ")
    assert data["email"] == EMAIL
    assert len(data["contact_persons"]) == 2
    assert jeanne["second"] in {c["id"] for c in data["contact_persons"]}
    assert {c["firm"]["name"] for c in data["contact_persons"]} == {"ATELIER JM", "SECONDE SOCIETE"}
    assert all(c["name"] == "Jeanne Martin" for c in data["contact_persons"])
    [sent] = data["inquiries"]
    assert sent["id"] == jeanne["inquiry"] and sent["phone"] == "+33164102031"
    assert sent["consent"]["notice_version"] == NOTICE_VERSION
    assert sent["consent"]["consent_wording"].startswith("J'accepte")
    assert data["account"] is None
    audited = {(e["entity_type"], e["entity_id"]) for e in data["audit_entries"]}
    assert ("contact_person", jeanne["second"]) in audited
    assert ("contact_person", jeanne["paul"]) not in audited
    tables = {(m["table"], m["column"]) for m in data["free_text_mentions"]}
    assert {("lead", "notes"), ("interaction", "summary")} <= tables


def test_export_is_audited_without_the_data(runner, session, jeanne):
    _export(runner)
    session.expire_all()
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "privacy_subject"))
    assert entry.action == AuditAction.EXPORT
    assert entry.details["records"]["inquiry"] == [jeanne["inquiry"]]
    assert jeanne["second"] in entry.details["records"]["contact_person"]
    assert "jeanne" not in json.dumps(entry.details).lower()


def test_export_of_an_unknown_address_fails(runner, jeanne):
    result = runner.invoke(args=["privacy", "export", "--email", "personne@example.fr"])
    assert result.exit_code == 1
    assert "Aucune donnée pour cette adresse." in result.output


def test_erase_asks_for_confirmation(runner, session, jeanne):
    result = runner.invoke(args=["privacy", "erase", "--email", EMAIL], input="n\n")
    assert result.exit_code == 1
    session.expire_all()
    assert session.get(ContactPerson, jeanne["second"]) is not None


def test_erasure_removes_the_person_everywhere(runner, session, jeanne):
    assert mentions_everywhere(session, EMAIL)  # the scan finds her before
    result = runner.invoke(args=["privacy", "erase", "--email", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Effacement fait : 2 contact(s) supprimé(s), 1 demande(s) effacée(s)" in result.output
    assert "Attention" not in result.output
    session.expire_all()
    for value in (EMAIL, "Jeanne Martin", "+33164102031", "01 64 10 20 31"):
        assert mentions_everywhere(session, value) == [], value
    assert session.get(ContactPerson, jeanne["second"]) is None
    sent = session.get(Inquiry, jeanne["inquiry"])
    assert (sent.contact_name, sent.email, sent.phone, sent.message) == (
        ERASED_TEXT, ERASED_EMAIL, None, ERASED_TEXT)  # fmt: skip
    # The firm's project and timeline stay, without her.
    lead = session.get(Lead, jeanne["lead"])
    gone = ERASED_TEXT
    assert lead.notes == f"Atelier de 200 m². Rappelez {gone} au {gone} ou {gone}."
    meeting = session.scalar(
        sa.select(Interaction).where(
            Interaction.firm_id == jeanne["other"], Interaction.summary.like("Rencontre%")
        )
    )
    assert meeting.summary == f"Rencontre avec {ERASED_TEXT} et Paul Durand."
    # Her colleague is untouched.
    paul = session.get(ContactPerson, jeanne["paul"])
    assert paul.name == "Paul Durand" and paul.email == "paul@atelier-jm.example"
    assert session.scalar(sa.select(AuditEntry.changes).where(
        AuditEntry.entity_type == "contact_person", AuditEntry.entity_id == jeanne["paul"],
        AuditEntry.action == AuditAction.UPDATE)) == {"role": [None, "Directeur"]}  # fmt: skip


def test_erasure_is_audited_per_record_without_the_data(runner, session, jeanne):
    runner.invoke(args=["privacy", "erase", "--email", EMAIL, "--yes"])
    session.expire_all()
    deleted = session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == AuditAction.DELETE, AuditEntry.entity_type == "contact_person",
    )).all()  # fmt: skip
    assert jeanne["second"] in {e.entity_id for e in deleted}
    assert all(e.details["privacy"] == "erasure_request" for e in deleted)
    request = session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "privacy_subject", AuditEntry.action == AuditAction.DELETE
        )
    )
    assert request.details["records"]["inquiry"] == [jeanne["inquiry"]]
    # The consent record stays: the version and the wording, no personal value.
    consent = session.scalar(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "inquiry", AuditEntry.entity_id == jeanne["inquiry"],
        AuditEntry.action == AuditAction.CREATE))  # fmt: skip
    assert consent.details["notice_version"] == NOTICE_VERSION


def test_erase_names_the_operator(runner, session, jeanne, make_user):
    admin = make_user("admin")
    result = runner.invoke(args=["privacy", "erase", "--email", EMAIL, "--yes", "--user", admin])
    assert result.exit_code == 0, result.output
    session.expire_all()
    request = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "privacy_subject")
    )
    assert request.user.email == admin


def test_an_account_is_reported_not_erased(runner, session, make_user):
    email = make_user("developer")
    result = runner.invoke(args=["privacy", "erase", "--email", email, "--yes"])
    assert result.exit_code == 1
    assert "Un compte utilisateur" in result.output and "désactivez-le" in result.output
    data = _export(runner, email)
    assert data["account"]["email"] == email and data["account"]["role"] == "developer"


def test_a_lead_from_an_erased_inquiry_recreates_no_contact(runner, session, camvs_dev):
    sent = inquiry(session, email="efface.moi@example.fr", name="Eva Efface", firm_name="EVA SAS")
    session.commit()
    result = runner.invoke(args=["privacy", "erase", "--email", "efface.moi@example.fr", "--yes"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    lead = crm.lead_from_inquiry(
        session, user=camvs_dev, inquiry=session.get(Inquiry, sent.id), firm=None
    )
    assert lead.firm.name == "EVA SAS" and lead.firm.email_domain is None
    assert lead.firm.contacts == []
