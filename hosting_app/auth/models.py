"""Organisations of the Pacte and the users who belong to them."""

from __future__ import annotations

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


class User(UserMixin, TimestampMixin, Base):
    """A person who logs in; belongs to exactly one organisation."""

    __tablename__ = "app_user"
    __table_args__ = (
        sa.CheckConstraint("position('@' in email) > 1", name="email_format"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
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

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return value.strip().lower()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
