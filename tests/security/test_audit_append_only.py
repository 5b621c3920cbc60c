"""The audit log is append-only in the database itself: no statement of the application can
change or delete an entry, but a declared rewrite (the GDPR erasure, a failed backup's own
entry) and the foreign keys' SET NULL when an author is deleted."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import ProgrammingError

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.audit.service import record, rewriting
from hosting_app.auth.models import User


@pytest.fixture
def entry(session, make_user) -> AuditEntry:
    user = session.scalar(sa.select(User).where(User.email == make_user("developer", "camvs")))
    written = record(session, user=user, action=AuditAction.EXPORT, entity_type="firm",
                     entity_id=None, details={"format": "csv", "rows": 12})  # fmt: skip
    session.commit()
    return written


def _refused(session, statement) -> str:
    savepoint = session.begin_nested()
    with pytest.raises(ProgrammingError) as raised:
        session.execute(statement)
    savepoint.rollback()
    return str(raised.value)


@pytest.mark.parametrize(
    "statement",
    [
        lambda id_: sa.update(AuditEntry).where(AuditEntry.id == id_).values(details={}),
        lambda id_: (
            sa.update(AuditEntry).where(AuditEntry.id == id_).values(user_id=None, entity_id=7)
        ),
        lambda id_: sa.delete(AuditEntry).where(AuditEntry.id == id_),
        lambda id_: sa.text("TRUNCATE audit_entry"),
    ],
    ids=["change", "change beside a null author", "delete", "truncate"],
)
def test_an_entry_cannot_be_changed_nor_deleted(session, entry, statement):
    message = _refused(session, statement(entry.id))
    assert "audit_entry is append-only" in message
    session.expire_all()
    kept = session.get(AuditEntry, entry.id)
    assert kept.details == {"format": "csv", "rows": 12} and kept.entity_id is None


def test_a_deleted_author_leaves_the_entry_without_its_reference(session, entry):
    author = entry.user_id
    session.execute(sa.delete(User).where(User.id == author))
    session.expire_all()
    kept = session.get(AuditEntry, entry.id)
    assert kept.user_id is None and kept.details == {"format": "csv", "rows": 12}


def test_a_declared_rewrite_may_change_it_and_ends_with_its_block(session, entry):
    with rewriting(session, "erasure"):
        session.execute(
            sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(details={"rows": 12})
        )
    session.expire_all()
    assert session.get(AuditEntry, entry.id).details == {"rows": 12}
    assert "append-only" in _refused(
        session, sa.delete(AuditEntry).where(AuditEntry.id == entry.id)
    )
