"""One row per audited action."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hosting_app.auth.models import Organisation, User
from hosting_app.db import Base, enum_column
from hosting_app.labels import LabelledEnum


class AuditAction(LabelledEnum):
    """What was done."""

    CREATE = "create", "Création"
    UPDATE = "update", "Modification"
    DELETE = "delete", "Suppression"
    MERGE = "merge", "Fusion"
    UNMERGE = "unmerge", "Annulation de fusion"
    CLAIM = "claim", "Prise en charge"
    EXPORT = "export", "Export"
    VIEW_PERSONAL_DATA = "view_personal_data", "Consultation de données personnelles"
    IMPORT = "import", "Import"
    DUPLICATE_WARNED = "duplicate_warned", "Avertissement de doublon"


class AuditEntry(Base):
    """Who did what to which record, with the fields' values before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity_type", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL")
    )
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    # {field: [before, after]} for changes; free details otherwise (export filters, merge map…)
    changes: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    details: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")

    user: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
