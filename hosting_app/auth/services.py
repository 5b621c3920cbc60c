"""Account operations; they flush, the caller commits."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.auth.models import Organisation, Role, User
from hosting_app.auth.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password


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
    if len(password) < MIN_LENGTH:
        raise AccountError(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    organisation = session.scalar(
        sa.select(Organisation).where(Organisation.key == organisation_key)
    )
    if organisation is None:
        raise AccountError(f"Organisation inconnue : {organisation_key}.")
    normalised = email.strip().lower()
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
    """Return the active user with these credentials, or None."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    session.flush()
    return user
