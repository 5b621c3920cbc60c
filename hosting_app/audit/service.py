"""Recording audit entries; callers flush, the request commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.auth.models import User

REWRITE_SETTING = "hosting_app.audit_rewrite"  # see migration 0013: the log is append-only


@contextmanager
def rewriting(db: Session | sa.Connection, reason: str) -> Iterator[None]:
    """Let the statements run (or, on a session, flushed) inside change or delete audit
    entries, which the database refuses otherwise (a trigger); ``reason`` names the rewrite
    (« erasure », « withdrawn »). An error inside leaves the transaction to be rolled back,
    the permission with it."""
    flush = db.flush if isinstance(db, Session) else lambda: None
    flush()
    db.execute(sa.select(sa.func.set_config(REWRITE_SETTING, reason, True)))
    yield
    flush()
    db.execute(sa.select(sa.func.set_config(REWRITE_SETTING, "", True)))


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it (dates as ISO text, enums as their value)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def record(
    session: Session,
    *,
    user: User | None,
    action: AuditAction,
    entity_type: str,
    entity_id: int | None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry."""
    entry = AuditEntry(
        user_id=user.id if user else None,
        organisation_id=user.organisation_id if user else None,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes={k: [jsonable(b), jsonable(a)] for k, (b, a) in (changes or {}).items()},
        details={k: jsonable(v) for k, v in (details or {}).items()},
    )
    session.add(entry)
    return entry


def apply_changes(obj: object, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set the attributes that differ; return {field: (before, after)} of those changed."""
    changed = {}
    for field, value in values.items():
        before = getattr(obj, field)
        if before != value:
            setattr(obj, field, value)
            changed[field] = (before, value)
    return changed


def history(entity_type: str, entity_id: int) -> sa.Select:
    """A record's audit entries, newest first."""
    return (
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
