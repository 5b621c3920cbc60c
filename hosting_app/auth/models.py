"""Organisations of the Pacte and the users who belong to them."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from geoalchemy2 import Geometry
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from stdnum.fr import siren as siren_number

from hosting_app.db import Base, TimestampMixin, enum_column
from hosting_app.labels import LabelledEnum


class OrganisationKind(LabelledEnum):
    """What an organisation is."""

    INTERCOMMUNALITY = "intercommunality", "Intercommunalité"
    DEVELOPMENT_AGENCY = "development_agency", "Établissement public d'aménagement"
    EMPLOYMENT_HOUSE = "employment_house", "Maison de l'emploi et de la formation"
    SYNDICATE = "syndicate", "Syndicat mixte"
    REGION = "region", "Région"
    DEPARTEMENT = "departement", "Département"
    STATE = "state", "État"


class Role(LabelledEnum):
    """What a user may do."""

    ADMIN = "admin", "Administrateur"
    DEVELOPER = "developer", "Développeur économique"
    MARKETING = "marketing", "Marketing territorial"


class Organisation(TimestampMixin, Base):
    """A signatory or operator of the Pacte: intercommunality, agency, MDEF, syndicate…"""

    __tablename__ = "organisation"
    __table_args__ = (
        sa.CheckConstraint(r"siren ~ '^[0-9]{9}$'", name="siren_format"),
        sa.CheckConstraint(r"key ~ '^[a-z0-9_]+$'", name="key_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    short_name: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind, "organisation_kind")
    )
    siren: Mapped[str | None] = mapped_column(sa.String(9), unique=True)
    address: Mapped[str | None] = mapped_column(sa.Text)
    territory = mapped_column(Geometry("MULTIPOLYGON", srid=4326), nullable=True)

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    @validates("siren")
    def _check_siren(self, _key: str, value: str | None) -> str | None:
        if value is not None and not siren_number.is_valid(value):
            raise ValueError(f"SIREN invalide : {value!r} (9 chiffres, clé de Luhn).")
        return value

    def __repr__(self) -> str:
        return f"<Organisation {self.key}>"


SESSION_TOKEN_SQL = sa.text("replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')")


def new_session_token() -> str:
    """A random session token (256 bits)."""
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, Base):
    """A person who logs in; belongs to exactly one organisation."""

    __tablename__ = "app_user"
    __table_args__ = (
        sa.CheckConstraint("position('@' in email) > 1", name="email_format"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint(
            "(totp_secret IS NULL) = (totp_enabled_at IS NULL)", name="totp_secret_when_enabled"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Part of the identifier kept in sessions (see get_id): a new one ends every session.
    # Rows written in SQL get theirs from the database (two random UUIDs, 244 random bits).
    session_token: Mapped[str] = mapped_column(
        sa.String(64), default=new_session_token, server_default=SESSION_TOKEN_SQL
    )
    # Two-factor authentication (TOTP, RFC 6238): the base32 secret once enrolment is
    # confirmed, and the last time step accepted, so that no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return value.strip().lower()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def has_totp(self) -> bool:
        """Whether logging in takes a second-factor code."""
        return self.totp_enabled_at is not None

    @property
    def needs_totp(self) -> bool:
        """Whether the account must have two-factor authentication (admins do)."""
        return self.role is Role.ADMIN

    def get_id(self) -> str:
        """Flask-Login's "alternative token": the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def matches_session(self, token: str) -> bool:
        """Whether a session's token is this user's current one."""
        return hmac.compare_digest(token.encode(), self.session_token.encode())

    def end_sessions(self) -> None:
        """End every session of the user (a new session token; the caller flushes)."""
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class RecoveryCode(Base):
    """A single-use code that stands in for the TOTP code; only its argon2id hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="recovery_codes")

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} of user {self.user_id}>"
