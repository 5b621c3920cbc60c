"""Account operations; they flush, the caller commits."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import record
from hosting_app.auth.models import Organisation, Role, User
from hosting_app.auth.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)


class AccountError(ValueError):
    """A refused account operation, with a message for the user."""


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    organisation_key: str,
    role: Role,
    full_name: str = "",
) -> User:
    """Create an active user in an organisation."""
    normalised = email.strip().lower()
    try:  # what the login form's check (WTForms' Email, without deliverability) accepts
        validate_email(normalised, check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError(f"Adresse électronique invalide : {email.strip()}.") from error
    problem = password_problem(password, email=normalised, context=[full_name])
    if problem:
        raise AccountError(problem)
    organisation = session.scalar(
        sa.select(Organisation).where(Organisation.key == organisation_key)
    )
    if organisation is None:
        raise AccountError(f"Organisation inconnue : {organisation_key}.")
    if session.scalar(sa.select(User.id).where(User.email == normalised)) is not None:
        raise AccountError(f"Un compte existe déjà pour {normalised}.")
    user = User(
        email=normalised,
        full_name=full_name,
        password_hash=hash_password(password),
        organisation=organisation,
        role=role,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (the login is not complete
    until the second factor, if any, is checked)."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


def record_login(session: Session, *, user: User) -> None:
    """Note the time of a completed login."""
    user.last_login_at = datetime.now(UTC)
    session.flush()


def change_password(session: Session, *, user: User, new_password: str) -> None:
    """Set a new password (the caller has checked the current one) and end every session."""
    problem = password_problem(new_password, email=user.email, context=[user.full_name])
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new_password)
    user.end_sessions()
    session.flush()
    record(session, user=user, action=AuditAction.UPDATE, entity_type="user", entity_id=user.id,
           details={"password": "changed"})  # fmt: skip


def set_active(session: Session, *, user: User, active: bool, by: User) -> bool:
    """Deactivate (ending every session at once) or reactivate an account; audited.
    Return whether anything changed."""
    if user.id == by.id:
        raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
    if user.active == active:
        return False
    user.active = active
    user.end_sessions()
    session.flush()
    record(session, user=by, action=AuditAction.UPDATE, entity_type="user", entity_id=user.id,
           changes={"active": (not active, active)})  # fmt: skip
    return True
