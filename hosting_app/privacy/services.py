"""A person's data found by e-mail, exported (right of access) and erased; consent records.

Services flush, the caller commits. Audit entries written here name records by their ids and
never copy a personal value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, selectinload

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.audit.service import jsonable, record, rewriting
from hosting_app.auth.models import User
from hosting_app.db import Base
from hosting_app.inquiries.models import Inquiry
from hosting_app.journeys.models import LeadStageChange, Occupancy
from hosting_app.leads.models import ContactPerson, FirmMerge, Interaction, Lead
from hosting_app.privacy.notice import (
    ERASED_EMAIL,
    ERASED_TEXT,
    INQUIRY_PERSONAL_FIELDS,
    NOTICE_VERSION,
    RETENTION_YEARS,
)
from hosting_app.privacy.scrub import Identifiers, redact_text, scrub_changes, scrub_json

# Free texts of the CRM where developers may have written a person's name, e-mail or phone:
# (model, column, audit entity type).
FREE_TEXTS = (
    (Lead, "notes", "lead"),
    (Interaction, "summary", "interaction"),
    (Interaction, "next_step", "interaction"),
    (Inquiry, "message", "inquiry"),
    (Occupancy, "destination_note", "occupancy"),
    (LeadStageChange, "reason", "lead_stage_change"),
)
CONTACT_FIELDS = ("id", "name", "role", "email", "phone", "created_at", "updated_at")
INQUIRY_FIELDS = (
    "id", "created_at", "contact_name", "firm_name", "siret", "email", "phone", "premises_kind",
    "surface_min_m2", "surface_max_m2", "wanted_from", "message", "consent_at", "status",
    "handled_at",
)  # fmt: skip
# The audit log's entity type of a table, where they differ.
AUDIT_ENTITY = {"app_user": "user"}
# Reasons written in the audit entries of this module (details["privacy"]).
RETENTION = "retention"
ERASURE_REQUEST = "erasure_request"
ACCESS_REQUEST = "access_request"


def normalise_email(email: str) -> str:
    """An e-mail address as searched: trimmed, lowercased."""
    return (email or "").strip().lower()


@dataclass
class Subject:
    """Everything the database holds under one e-mail address."""

    email: str
    contacts: list[ContactPerson] = field(default_factory=list)
    inquiries: list[Inquiry] = field(default_factory=list)
    account: User | None = None

    @property
    def found(self) -> bool:
        """Whether anything was found."""
        return bool(self.contacts or self.inquiries or self.account)

    def identifiers(self) -> Identifiers:
        """The person's e-mail, phones and full names, as found in their records."""
        return Identifiers.of(
            emails=[self.email],
            phones=[c.phone for c in self.contacts] + [i.phone for i in self.inquiries],
            names=[c.name for c in self.contacts] + [i.contact_name for i in self.inquiries],
        )

    def record_ids(self) -> dict[str, list[int]]:
        """The ids of the person's records, by table (what audit entries may name)."""
        ids = {
            "contact_person": [c.id for c in self.contacts],
            "inquiry": [i.id for i in self.inquiries],
        }
        if self.account is not None:
            ids["app_user"] = [self.account.id]
        return {table: values for table, values in ids.items() if values}


def find_subject(session: Session, *, email: str) -> Subject:
    """The contact persons, inquiries (not yet erased) and account of an e-mail address."""
    email = normalise_email(email)
    if "@" not in email or email == ERASED_EMAIL:
        return Subject(email=email)
    contacts = session.scalars(
        sa.select(ContactPerson)
        .where(sa.func.lower(ContactPerson.email) == email)
        .options(selectinload(ContactPerson.firm))
        .order_by(ContactPerson.id)
    ).all()
    inquiries = session.scalars(
        sa.select(Inquiry)
        .where(sa.func.lower(Inquiry.email) == email)
        .options(selectinload(Inquiry.site), selectinload(Inquiry.premises))
        .order_by(Inquiry.id)
    ).all()
    account = session.scalar(sa.select(User).where(User.email == email))
    return Subject(email=email, contacts=list(contacts), inquiries=list(inquiries), account=account)


# --- Right of access ----------------------------------------------------------------------


def audit_about(targets: dict[str, list[int]], identifiers: Identifiers) -> sa.Select:
    """Audit entries about these records or whose snapshots hold one of the identifiers."""
    conditions = [
        sa.and_(
            AuditEntry.entity_type == AUDIT_ENTITY.get(table, table),
            AuditEntry.entity_id.in_(ids),
        )
        for table, ids in targets.items()
        if ids
    ]
    patterns = identifiers.like_patterns()
    if patterns:
        any_pattern = sa.any_(sa.bindparam("patterns", patterns, type_=ARRAY(sa.Text)))
        conditions += [
            sa.func.lower(sa.cast(AuditEntry.changes, sa.Text)).like(any_pattern),
            sa.func.lower(sa.cast(AuditEntry.details, sa.Text)).like(any_pattern),
        ]
    if not conditions:
        return sa.select(AuditEntry).where(sa.false())
    return sa.select(AuditEntry).where(sa.or_(*conditions)).order_by(AuditEntry.id)


def free_text_mentions(session: Session, identifiers: Identifiers) -> list[tuple[Any, str, str]]:
    """(row, column, entity type) of the CRM's free texts holding one of the identifiers."""
    patterns = identifiers.like_patterns()
    if not patterns:
        return []
    found = []
    for model, column, entity_type in FREE_TEXTS:
        attribute = getattr(model, column)
        any_pattern = sa.any_(sa.bindparam("patterns", patterns, type_=ARRAY(sa.Text)))
        rows = session.scalars(
            sa.select(model).where(sa.func.lower(attribute).like(any_pattern)).order_by(model.id)
        ).all()
        found += [(row, column, entity_type) for row in rows]
    return found


def _values(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: jsonable(getattr(obj, name)) for name in fields}


def consent_records(session: Session, inquiry_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The consent recorded with each inquiry (notice version and wording), by inquiry id."""
    if not inquiry_ids:
        return {}
    entries = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "inquiry",
            AuditEntry.entity_id.in_(inquiry_ids),
            AuditEntry.action == AuditAction.CREATE,
            AuditEntry.details.has_key("notice_version"),
        )
    )
    return {entry.entity_id: dict(entry.details) for entry in entries}


def export_subject(session: Session, subject: Subject) -> dict[str, Any]:
    """Every record about the person, as JSON-able values (right of access, art. 15)."""
    consents = consent_records(session, [i.id for i in subject.inquiries])
    identifiers = subject.identifiers()
    contacts = [
        _values(contact, CONTACT_FIELDS)
        | {"firm": {"id": contact.firm.id, "name": contact.firm.name, "siret": contact.firm.siret}}
        for contact in subject.contacts
    ]
    inquiries = [
        _values(inquiry, INQUIRY_FIELDS)
        | {
            "site": inquiry.site.name if inquiry.site else None,
            "premises": inquiry.premises.label if inquiry.premises else None,
            "consent": consents.get(inquiry.id)
            or {"notice_version": None, "note": "consentement antérieur à l'enregistrement "
                "de la version de la notice"},
        }
        for inquiry in subject.inquiries
    ]  # fmt: skip
    account = None
    if subject.account is not None:
        user = subject.account
        fields = ("id", "email", "full_name", "role", "active", "created_at", "last_login_at")
        account = _values(user, fields) | {"organisation": user.organisation.name}
        actions = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.user_id == user.id).order_by(AuditEntry.id)
        )
        account["actions"] = [
            _values(e, ("id", "at", "action", "entity_type", "entity_id")) for e in actions
        ]
    audit = [
        _values(e, ("id", "at", "action", "entity_type", "entity_id", "changes", "details"))
        for e in session.scalars(audit_about(subject.record_ids(), identifiers))
    ]
    mentions = [
        {"table": row.__tablename__, "id": row.id, "column": column,
         "text": getattr(row, column)}
        for row, column, _entity in free_text_mentions(session, identifiers)
    ]  # fmt: skip
    return {
        "email": subject.email,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "notice_version": NOTICE_VERSION,
        "retention_years": RETENTION_YEARS,
        "contact_persons": contacts,
        "inquiries": inquiries,
        "account": account,
        "audit_entries": audit,
        "free_text_mentions": mentions,
    }


# --- Erasure ------------------------------------------------------------------------------


@dataclass
class ErasureResult:
    """What an erasure or a purge changed, by ids."""

    contacts: list[int] = field(default_factory=list)
    inquiries: list[int] = field(default_factory=list)
    audit_entries: int = 0
    free_texts: int = 0


def erase(
    session: Session,
    *,
    contacts: list[ContactPerson],
    inquiries: list[Inquiry],
    reason: str,
    user: User | None = None,
    details: dict[tuple[str, int], dict[str, Any]] | None = None,
) -> ErasureResult:
    """Delete the contact persons, blank the inquiries' personal fields, then remove their
    names, e-mails and phones from the audit snapshots and the CRM's free texts (values still
    used by a person who is kept are left). One audit entry per record, without any value;
    ``details`` adds facts per (table, id), e.g. the last activity."""
    details = details or {}
    identifiers = Identifiers.of(
        emails=[c.email for c in contacts] + [i.email for i in inquiries],
        phones=[c.phone for c in contacts] + [i.phone for i in inquiries],
        names=[c.name for c in contacts] + [i.contact_name for i in inquiries],
    )
    targets = {
        "contact_person": [c.id for c in contacts],
        "inquiry": [i.id for i in inquiries],
    }
    result = ErasureResult(contacts=targets["contact_person"], inquiries=targets["inquiry"])
    for contact in contacts:
        record(
            session, user=user, action=AuditAction.DELETE, entity_type="contact_person",
            entity_id=contact.id,
            details={"privacy": reason, "firm_id": contact.firm_id}
            | details.get(("contact_person", contact.id), {}),
        )  # fmt: skip
        session.delete(contact)
    for inquiry in inquiries:
        blank_inquiry(inquiry)
        record(
            session, user=user, action=AuditAction.UPDATE, entity_type="inquiry",
            entity_id=inquiry.id,
            details={"privacy": reason, "erased_fields": list(INQUIRY_PERSONAL_FIELDS)}
            | details.get(("inquiry", inquiry.id), {}),
        )  # fmt: skip
    session.flush()
    identifiers = identifiers.without(_kept_identifiers(session, identifiers))
    result.audit_entries = scrub_audit(session, targets=targets, identifiers=identifiers)
    result.free_texts = redact_free_texts(session, identifiers, user=user, reason=reason)
    session.flush()
    return result


def erase_subject(session: Session, subject: Subject, *, user: User | None) -> ErasureResult:
    """Erase everything found under an e-mail address, on the person's request (art. 17).
    An account is not deleted here: it is deactivated in the administration, and its own
    actions stay in the audit log."""
    result = erase(
        session, contacts=subject.contacts, inquiries=subject.inquiries,
        reason=ERASURE_REQUEST, user=user,
    )  # fmt: skip
    subject.contacts, subject.inquiries = [], []
    return result


def blank_inquiry(inquiry: Inquiry) -> None:
    """Replace an inquiry's personal fields; the firm, the need and the dates are kept."""
    inquiry.contact_name = ERASED_TEXT
    inquiry.email = ERASED_EMAIL
    inquiry.phone = None
    inquiry.message = ERASED_TEXT


def _kept_identifiers(session: Session, identifiers: Identifiers) -> Identifiers:
    """The identifiers still carried by contact persons or inquiries that remain."""
    if not identifiers:
        return Identifiers()
    needles = identifiers.needles()
    contacts = session.execute(
        sa.select(ContactPerson.email, ContactPerson.phone, ContactPerson.name).where(
            sa.or_(
                sa.func.lower(ContactPerson.email).in_(needles),
                ContactPerson.phone.in_(identifiers.phones or [""]),
                sa.func.lower(ContactPerson.name).in_(needles),
            )
        )
    ).all()
    inquiries = session.execute(
        sa.select(Inquiry.email, Inquiry.phone, Inquiry.contact_name).where(
            sa.or_(
                sa.func.lower(Inquiry.email).in_(needles),
                Inquiry.phone.in_(identifiers.phones or [""]),
                sa.func.lower(Inquiry.contact_name).in_(needles),
            )
        )
    ).all()
    rows = list(contacts) + list(inquiries)
    return Identifiers.of(
        emails=[r[0] for r in rows], phones=[r[1] for r in rows], names=[r[2] for r in rows]
    )


def scrub_audit(
    session: Session, *, targets: dict[str, list[int]], identifiers: Identifiers
) -> int:
    """Remove the persons' values from the audit snapshots and the merge records; return the
    number of rows changed. Entries about an erased contact person lose every text of their
    changes, those about an inquiry its personal fields; any other entry its identifiers."""
    changed = 0
    with rewriting(session, "erasure"):  # the audit log is append-only but for this
        for entry in session.scalars(audit_about(targets, identifiers)):
            own = entry.entity_id in targets.get(entry.entity_type, [])
            fields = None if entry.entity_type == "contact_person" else INQUIRY_PERSONAL_FIELDS
            changes = (
                scrub_changes(entry.changes, identifiers, fields=fields)
                if own
                else scrub_json(entry.changes, identifiers)
            )
            details = scrub_json(entry.details, identifiers)
            if changes != entry.changes or details != entry.details:
                entry.changes, entry.details = changes, details
                changed += 1
    patterns = identifiers.like_patterns()
    if patterns:
        any_pattern = sa.any_(sa.bindparam("patterns", patterns, type_=ARRAY(sa.Text)))
        columns = ("moved", "survivor_before", "conflicts")
        merges = session.scalars(
            sa.select(FirmMerge).where(
                sa.or_(*[
                    sa.func.lower(sa.cast(getattr(FirmMerge, c), sa.Text)).like(any_pattern)
                    for c in columns
                ])
            )
        )  # fmt: skip
        for merge in merges:
            for column in columns:
                setattr(merge, column, scrub_json(getattr(merge, column), identifiers))
            changed += 1
    return changed


def redact_free_texts(
    session: Session, identifiers: Identifiers, *, user: User | None, reason: str
) -> int:
    """Replace the identifiers in the CRM's free texts; one audit entry per row changed
    (the column's name, never its text). Return the number of rows changed."""
    changed: dict[tuple[str, int], list[str]] = {}
    for row, column, entity_type in free_text_mentions(session, identifiers):
        text = getattr(row, column)
        redacted = redact_text(text, identifiers)
        if redacted != text:
            setattr(row, column, redacted)
            changed.setdefault((entity_type, row.id), []).append(column)
    for (entity_type, entity_id), columns in changed.items():
        record(
            session, user=user, action=AuditAction.UPDATE, entity_type=entity_type,
            entity_id=entity_id, details={"privacy": reason, "redacted_fields": columns},
        )  # fmt: skip
    return len(changed)


def remaining_mentions(session: Session, email: str) -> list[tuple[str, str, Any]]:
    """(table, column, primary key) of every text or JSON value of the database that still
    contains the e-mail address: the check after an erasure (a full scan of those columns)."""
    needle = normalise_email(email)
    if not needle:
        return []
    found = []
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1:
            continue
        for column in table.columns:
            if not isinstance(column.type, sa.String | sa.JSON | sa.ARRAY):
                continue
            query = sa.select(key[0]).where(
                sa.func.strpos(sa.func.lower(sa.cast(column, sa.Text)), needle) > 0
            )
            found += [(table.name, column.name, pk) for pk in session.scalars(query)]
    return found


# --- Consent and traceability ------------------------------------------------------------


def record_consent(session: Session, *, inquiry: Inquiry, wording: str) -> AuditEntry:
    """Keep, with a new inquiry, the version of the privacy notice and the exact consent
    wording its sender accepted (the inquiry table has no column for them)."""
    return record(
        session, user=None, action=AuditAction.CREATE, entity_type="inquiry",
        entity_id=inquiry.id,
        details={"notice_version": NOTICE_VERSION, "consent_wording": wording,
                 "consent_at": inquiry.consent_at},
    )  # fmt: skip


def record_access(
    session: Session, *, user: User | None, subject: Subject, action: AuditAction, via: str
) -> AuditEntry:
    """Log that someone viewed or exported a person's data: the records' ids, no value."""
    return record(
        session, user=user, action=action, entity_type="privacy_subject", entity_id=None,
        details={"privacy": ACCESS_REQUEST, "via": via, "records": subject.record_ids()},
    )  # fmt: skip


def record_erasure(
    session: Session, *, user: User | None, subject_ids: dict[str, list[int]],
    result: ErasureResult, via: str,
) -> AuditEntry:  # fmt: skip
    """Log an erasure request as a whole (each record also has its own entry)."""
    return record(
        session, user=user, action=AuditAction.DELETE, entity_type="privacy_subject",
        entity_id=None,
        details={"privacy": ERASURE_REQUEST, "via": via, "records": subject_ids,
                 "audit_entries_scrubbed": result.audit_entries,
                 "free_texts_redacted": result.free_texts},
    )  # fmt: skip


def record_view(
    session: Session, *, user: User, entity_type: str, entity_ids: list[int]
) -> AuditEntry | None:
    """Log that ``user`` was shown the personal data of these records (none: no entry)."""
    if not entity_ids:
        return None
    return record(
        session, user=user, action=AuditAction.VIEW_PERSONAL_DATA, entity_type=entity_type,
        entity_id=entity_ids[0] if len(entity_ids) == 1 else None,
        details={"ids": entity_ids},
    )  # fmt: skip
