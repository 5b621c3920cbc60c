"""Occupancies (a firm in a premises, from a date to a date) and the leads' stage history."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hosting_app.auth.models import User
from hosting_app.db import Base, TimestampMixin, enum_column
from hosting_app.labels import LabelledEnum
from hosting_app.leads.models import Firm, Lead, LeadStage
from hosting_app.sites.models import Premises


class ExitReason(LabelledEnum):
    """Why a firm left a premises."""

    MOVED_HERE = "moved_here", "Installée dans un autre local du territoire"
    LEFT_TERRITORY = "left_territory", "Partie hors du territoire"
    CLOSED = "closed", "Cessation d'activité"
    OTHER = "other", "Autre"


class Occupancy(TimestampMixin, Base):
    """A firm in a premises from ``start_date`` to ``end_date`` (exclusive; open when null).

    The database refuses two overlapping occupancies of one premises (btree_gist exclusion).
    """

    __tablename__ = "occupancy"
    __table_args__ = (
        ExcludeConstraint(
            (sa.column("premises_id"), "="),
            (sa.func.daterange(sa.column("start_date"), sa.column("end_date"), "[)"), "&&"),
            name="ex_occupancy_no_overlap",
            using="gist",
        ),
        sa.CheckConstraint("end_date IS NULL OR end_date > start_date", name="dates_ordered"),
        sa.CheckConstraint("term_date IS NULL OR term_date > start_date", name="term_after_start"),
        sa.CheckConstraint(
            "(exit_reason IS NULL) OR (end_date IS NOT NULL)", name="exit_has_end_date"
        ),
        sa.CheckConstraint(
            "next_occupancy_id IS NULL OR exit_reason = 'moved_here'", name="next_when_moved"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firm.id", ondelete="RESTRICT"), index=True)
    premises_id: Mapped[int] = mapped_column(
        sa.ForeignKey("premises.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[date]
    term_date: Mapped[date | None] = mapped_column(index=True)  # planned end (incubator term)
    end_date: Mapped[date | None]  # actual end
    exit_reason: Mapped[ExitReason | None] = mapped_column(enum_column(ExitReason, "exit_reason"))
    next_occupancy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("occupancy.id", ondelete="SET NULL")
    )
    destination_note: Mapped[str | None] = mapped_column(sa.Text)
    jobs: Mapped[int | None]
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    firm: Mapped[Firm] = relationship()
    premises: Mapped[Premises] = relationship()
    next_occupancy: Mapped[Occupancy | None] = relationship(remote_side=[id])


class LeadStageChange(Base):
    """One move of a lead along the pipeline."""

    __tablename__ = "lead_stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[LeadStage | None] = mapped_column(enum_column(LeadStage, "from_stage"))
    to_stage: Mapped[LeadStage] = mapped_column(enum_column(LeadStage, "to_stage"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))

    lead: Mapped[Lead] = relationship()
    user: Mapped[User | None] = relationship()
