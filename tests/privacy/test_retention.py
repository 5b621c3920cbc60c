"""hosting-app privacy purge: who is past the retention, the dry run, the purge itself."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.inquiries.models import Inquiry
from hosting_app.leads.models import ContactPerson
from hosting_app.privacy import retention
from hosting_app.privacy.notice import ERASED_EMAIL, ERASED_TEXT
from tests.privacy.conftest import mentions_everywhere


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_cutoff_is_three_years_back_and_survives_29_february():
    assert retention.cutoff(3, datetime(2027, 5, 4, tzinfo=UTC)) == datetime(2024, 5, 4, tzinfo=UTC)
    assert retention.cutoff(3, datetime(2028, 2, 29, tzinfo=UTC)) == datetime(
        2025, 2, 28, tzinfo=UTC
    )


def test_plan_finds_the_contacts_and_inquiries_without_activity(session, retention_case):
    case = retention_case
    plan = retention.plan(session)
    contacts = {stale.id for stale in plan.contacts}
    assert {case.stale_contact, case.lonely_contact} <= contacts
    assert not {case.recent_firm_contact, case.new_contact} & contacts
    inquiries = {stale.id for stale in plan.inquiries}
    assert case.old_inquiry in inquiries
    assert not {case.followed_inquiry, case.new_inquiry} & inquiries
    [stale] = [s for s in plan.contacts if s.id == case.stale_contact]
    assert stale.firm == "ANCIENNE MECANIQUE" and stale.firm_id == case.stale_firm
    assert (datetime.now(UTC).date() - stale.last_activity).days > 4 * 365


def test_longer_retention_purges_nobody_of_the_case(session, retention_case):
    plan = retention.plan(session, years=10)
    assert retention_case.stale_contact not in {s.id for s in plan.contacts}


def test_dry_run_lists_without_personal_data_and_writes_nothing(runner, session, retention_case):
    case = retention_case
    before = (_count(session, AuditEntry), _count(session, ContactPerson))
    result = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"contact n° {case.stale_contact} — entreprise n° {case.stale_firm} " \
           "« ANCIENNE MECANIQUE » — dernière activité le " in result.output  # fmt: skip
    assert f"contact n° {case.lonely_contact} " in result.output
    assert f"contact n° {case.recent_firm_contact} " not in result.output
    assert f"demande n° {case.old_inquiry} — entreprise « DEMANDE ANCIENNE »" in result.output
    assert "Simulation : rien n'a été modifié." in result.output
    for personal in ("Lucie", "lucie@ancienne.example", "Iris", "+33164100001"):
        assert personal not in result.output
    session.expire_all()
    assert (_count(session, AuditEntry), _count(session, ContactPerson)) == before
    assert session.get(Inquiry, case.old_inquiry).email == "iris@demande.example"


def test_purge_deletes_exactly_the_stale_persons(runner, session, retention_case):
    case = retention_case
    planned = retention.plan(session)
    contacts_before = _count(session, ContactPerson)
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "Purge faite" in result.output
    session.expire_all()
    assert _count(session, ContactPerson) == contacts_before - len(planned.contacts)
    assert session.get(ContactPerson, case.stale_contact) is None
    assert session.get(ContactPerson, case.lonely_contact) is None
    assert session.get(ContactPerson, case.recent_firm_contact) is not None  # firm met recently
    assert session.get(ContactPerson, case.new_contact) is not None
    # Nothing is left to purge.
    assert retention.plan(session).contacts == []


def test_purge_audits_each_person_without_copying_their_data(runner, session, retention_case):
    case = retention_case
    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0
    session.expire_all()
    entry = session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == AuditAction.DELETE,
            AuditEntry.entity_type == "contact_person",
            AuditEntry.entity_id == case.stale_contact,
        )
    )
    assert entry.details["privacy"] == "retention"
    assert entry.details["firm_id"] == case.stale_firm
    assert entry.details["retention_years"] == 3
    assert entry.details["last_activity"] < datetime.now(UTC).date().isoformat()
    assert entry.changes == {}
    assert "Lucie" not in str(entry.details)


def test_purge_scrubs_the_persons_values_from_older_snapshots(runner, session, retention_case):
    case = retention_case
    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0
    session.expire_all()
    own = session.get(AuditEntry, case.contact_snapshot)
    assert own.changes == {"phone": [None, ERASED_TEXT], "name": [ERASED_TEXT, ERASED_TEXT]}
    about_firm = session.get(AuditEntry, case.firm_snapshot)
    assert about_firm.details == {"note": f"Adresse donnée par {ERASED_TEXT} au salon"}
    assert about_firm.changes == {"website": [None, "https://ancienne.example"]}
    kept = session.get(AuditEntry, case.kept_snapshot)
    assert kept.changes == {"phone": [None, "+33164100002"]}
    for value in ("lucie@ancienne.example", "+33164100001", "Lucie Ancienne", "iris@demande"):
        assert mentions_everywhere(session, value) == [], value


def test_purge_erases_the_stale_inquiries_personal_fields_only(runner, session, retention_case):
    case = retention_case
    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0
    session.expire_all()
    old = session.get(Inquiry, case.old_inquiry)
    assert (old.contact_name, old.email, old.phone, old.message) == (
        ERASED_TEXT, ERASED_EMAIL, None, ERASED_TEXT)  # fmt: skip
    assert old.firm_name == "DEMANDE ANCIENNE"  # the firm and the need stay for the figures
    assert session.get(Inquiry, case.followed_inquiry).email == "hugo@suivi.example"
    assert session.get(Inquiry, case.new_inquiry).email == "zoe@recente.example"
    entry = session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "inquiry", AuditEntry.entity_id == case.old_inquiry,
            AuditEntry.action == AuditAction.UPDATE,
        )
    )  # fmt: skip
    assert entry.details["privacy"] == "retention"
    assert entry.details["erased_fields"] == ["contact_name", "email", "phone", "message"]
    # An erased inquiry is not purged again.
    assert case.old_inquiry not in {s.id for s in retention.plan(session).inquiries}
