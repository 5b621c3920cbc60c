"""The territory's economic events (Pacte, Axe 3 A-2); each operation flushes and is audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import apply_changes, record
from hosting_app.auth.models import Organisation, User
from hosting_app.backoffice.models import Event

EVENT_FIELDS = ("name", "starts_on", "ends_on", "place", "description")


def _organisations(session: Session, ids: list[int]) -> list[Organisation]:
    if not ids:
        return []
    return list(session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids))))


def create_event(
    session: Session, *, user: User, values: dict[str, Any], organisation_ids: list[int]
) -> Event:
    """A new event organised by the given organisations."""
    event = Event(created_by_id=user.id, **values)
    event.organisations = _organisations(session, organisation_ids)
    session.add(event)
    session.flush()
    changes = {k: (None, getattr(event, k)) for k in EVENT_FIELDS}
    changes["organisations"] = (None, sorted(o.key for o in event.organisations))
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="event", entity_id=event.id,
        changes=changes,
    )  # fmt: skip
    return event


def update_event(
    session: Session,
    *,
    user: User,
    event: Event,
    values: dict[str, Any],
    organisation_ids: list[int],
) -> dict[str, tuple[Any, Any]]:
    """Save an event's edited values and organisers."""
    changes = apply_changes(event, values)
    before = sorted(o.key for o in event.organisations)
    organisations = _organisations(session, organisation_ids)
    after = sorted(o.key for o in organisations)
    if before != after:
        event.organisations = organisations
        changes["organisations"] = (before, after)
    if changes:
        session.flush()
        record(
            session, user=user, action=AuditAction.UPDATE, entity_type="event",
            entity_id=event.id, changes=changes,
        )  # fmt: skip
    return changes
