"""An inquiry sent by a prospective firm about a site, a premises unit or its need."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hosting_app.auth.models import User
from hosting_app.db import Base, TimestampMixin, enum_column
from hosting_app.labels import LabelledEnum
from hosting_app.sites.models import Premises, PremisesKind, Site


class InquiryStatus(LabelledEnum):
    """Whether an economic developer has answered the inquiry."""

    NEW = "new", "Nouvelle"
    HANDLED = "handled", "Traitée"


class Inquiry(TimestampMixin, Base):
    """A request from the public form; holds a contact person's personal data."""

    __tablename__ = "inquiry"
    __table_args__ = (
        sa.CheckConstraint(r"siret ~ '^[0-9]{14}$'", name="siret_format"),
        sa.CheckConstraint("position('@' in email) > 1", name="email_format"),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_min_m2 > 0", name="surface_min_positive"
        ),
        sa.CheckConstraint(
            "surface_max_m2 IS NULL OR surface_max_m2 > 0", name="surface_max_positive"
        ),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_max_m2 IS NULL OR surface_min_m2 <= surface_max_m2",
            name="surface_range",
        ),
        sa.CheckConstraint(
            "(status = 'handled') = (handled_at IS NOT NULL)", name="handled_at_when_handled"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("site.id", ondelete="SET NULL"), index=True
    )
    premises_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("premises.id", ondelete="SET NULL"), index=True
    )
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    firm_name: Mapped[str] = mapped_column(sa.String(200))
    siret: Mapped[str | None] = mapped_column(sa.String(14))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(16))  # E.164: + and 15 digits at most
    premises_kind: Mapped[PremisesKind | None] = mapped_column(
        enum_column(PremisesKind, "premises_kind")
    )
    surface_min_m2: Mapped[int | None]
    surface_max_m2: Mapped[int | None]
    wanted_from: Mapped[date | None]
    message: Mapped[str] = mapped_column(sa.Text)
    consent_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[InquiryStatus] = mapped_column(
        enum_column(InquiryStatus, "inquiry_status"),
        default=InquiryStatus.NEW,
        server_default=InquiryStatus.NEW.value,
        index=True,
    )
    handled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )

    site: Mapped[Site | None] = relationship()
    premises: Mapped[Premises | None] = relationship()
    handled_by: Mapped[User | None] = relationship()
    # The lead made from this inquiry, if any (Lead.inquiry_id is unique).
    lead = relationship("Lead", uselist=False, viewonly=True)

    def __repr__(self) -> str:
        return f"<Inquiry {self.id} {self.firm_name!r} {self.status}>"
