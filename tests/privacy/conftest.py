"""Fixtures of the privacy tests: people in the CRM and inquiries, some past the retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.audit.service import record
from hosting_app.inquiries.limits import limiter
from hosting_app.inquiries.models import Inquiry
from hosting_app.leads import services
from hosting_app.leads.models import Channel, ContactPerson, Firm, Lead, LeadSource

FOUR_YEARS_AGO = datetime.now(UTC) - timedelta(days=4 * 365 + 1)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """No earlier test's inquiries count against this one's."""
    limiter.reset()
    yield
    limiter.reset()


def backdate(session, model, row_id: int, when: datetime = FOUR_YEARS_AGO) -> None:
    """Set a row's creation and update times (the database sets them to now)."""
    session.execute(
        sa.update(model).where(model.id == row_id).values(created_at=when, updated_at=when)
    )


def firm(session, user, name: str, *, met_days_ago: int | None = None) -> Firm:
    """A firm, with an interaction ``met_days_ago`` days ago when given."""
    created = services.create_firm(session, user=user, data={"name": name, "postcode": "77127"})
    if met_days_ago is not None:
        services.log_interaction(
            session, user=user, firm=created, channel=Channel.CALL, summary="Appel de suivi.",
            occurred_on=date.today() - timedelta(days=met_days_ago),
        )  # fmt: skip
    return created


def contact(session, user, at: Firm, name: str, email: str, phone: str | None = None):
    """A contact person at a firm."""
    return services.add_contact(session, user=user, firm=at, name=name, email=email, phone=phone)


def inquiry(
    session, *, email: str, name: str, firm_name: str, created: datetime | None = None,
    phone: str | None = None, message: str = "Nous cherchons un atelier.",
) -> Inquiry:  # fmt: skip
    """A stored inquiry, created at ``created`` (now by default)."""
    row = Inquiry(
        contact_name=name, firm_name=firm_name, email=email, phone=phone, message=message,
        consent_at=created or datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.flush()
    if created is not None:
        backdate(session, Inquiry, row.id, created)
    return row


def snapshot(session, user, entity_type: str, entity_id: int | None, **changes) -> AuditEntry:
    """An audit entry holding values before and after, as a contact edit would write."""
    return record(
        session, user=user, action=AuditAction.UPDATE, entity_type=entity_type,
        entity_id=entity_id, changes=changes,
    )  # fmt: skip


@dataclass
class Retention:
    """Ids of the records of the retention scenario."""

    stale_contact: int  # firm met 4 years ago, contact untouched since
    lonely_contact: int  # firm never met, contact untouched for 4 years
    recent_firm_contact: int  # contact untouched for 4 years, but its firm met last month
    new_contact: int  # firm never met, contact created today
    old_inquiry: int  # 4 years old, no lead
    followed_inquiry: int  # 4 years old, its lead's firm met last month
    new_inquiry: int
    stale_firm: int
    contact_snapshot: int  # an audit entry about the stale contact, with its values
    firm_snapshot: int  # an audit entry about its firm quoting its e-mail address
    kept_snapshot: int  # an audit entry about the kept contact


@pytest.fixture
def retention_case(session, senart_dev, aero) -> Retention:
    """Contact persons and inquiries on both sides of the 3-year retention."""
    stale_firm = firm(session, senart_dev, "ANCIENNE MECANIQUE", met_days_ago=4 * 365 + 10)
    stale = contact(session, senart_dev, stale_firm, "Lucie Ancienne", "lucie@ancienne.example",
                    "+33164100001")  # fmt: skip
    lonely_firm = firm(session, senart_dev, "JAMAIS RENCONTREE")
    lonely = contact(session, senart_dev, lonely_firm, "Marc Oublie", "marc@oublie.example")
    kept = contact(session, senart_dev, aero, "Paul Durand", "paul@aero.example", "+33164100002")
    new = contact(session, senart_dev, lonely_firm, "Nina Nouvelle", "nina@nouvelle.example")
    for row in (stale, lonely, kept):
        backdate(session, ContactPerson, row.id)
    old_inquiry = inquiry(session, email="iris@demande.example", name="Iris Demande",
                          firm_name="DEMANDE ANCIENNE", created=FOUR_YEARS_AGO,
                          phone="+33164100003")  # fmt: skip
    followed = inquiry(session, email="hugo@suivi.example", name="Hugo Suivi",
                       firm_name="AERO MECA SENART SAS", created=FOUR_YEARS_AGO)  # fmt: skip
    session.add(Lead(
        firm_id=aero.id, title="Atelier", source=LeadSource.WEBSITE_INQUIRY,
        owner_organisation_id=senart_dev.organisation_id, inquiry_id=followed.id,
    ))  # fmt: skip
    recent = inquiry(session, email="zoe@recente.example", name="Zoé Récente",
                     firm_name="RECENTE SARL")  # fmt: skip
    contact_entry = snapshot(
        session, senart_dev, "contact_person", stale.id,
        phone=(None, "+33164100001"), name=("Lucie Ancien", "Lucie Ancienne"),
    )  # fmt: skip
    firm_entry = record(
        session, user=senart_dev, action=AuditAction.UPDATE, entity_type="firm",
        entity_id=stale_firm.id, changes={"website": (None, "https://ancienne.example")},
        details={"note": "Adresse donnée par lucie@ancienne.example au salon"},
    )  # fmt: skip
    kept_entry = snapshot(session, senart_dev, "contact_person", kept.id,
                          phone=(None, "+33164100002"))  # fmt: skip
    session.commit()
    return Retention(
        stale_contact=stale.id, lonely_contact=lonely.id, recent_firm_contact=kept.id,
        new_contact=new.id, old_inquiry=old_inquiry.id, followed_inquiry=followed.id,
        new_inquiry=recent.id, stale_firm=stale_firm.id, contact_snapshot=contact_entry.id,
        firm_snapshot=firm_entry.id, kept_snapshot=kept_entry.id,
    )  # fmt: skip


def mentions_everywhere(session, needle: str) -> list[tuple[str, str, int]]:
    """(table, column, rows) of every text, varchar, array or JSON column of the database that
    holds ``needle`` (case-insensitive): a scan independent of the app's own models."""
    columns = session.execute(
        sa.text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "AND c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')"
        )
    ).all()
    found = []
    for table, column in columns:
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(sa.table(table))
            .where(
                sa.func.strpos(sa.func.lower(sa.cast(sa.column(column), sa.Text)), needle.lower())
                > 0
            )
        )
        if count:
            found.append((table, column, count))
    return found
