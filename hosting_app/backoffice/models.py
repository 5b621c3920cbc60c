"""Photos of sites and premises, and the territory's economic events (Pacte, Axe 3 A-2)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hosting_app.auth.models import Organisation
from hosting_app.db import Base, TimestampMixin

event_organisation = sa.Table(
    "event_organisation",
    Base.metadata,
    sa.Column("event_id", sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id",
        sa.ForeignKey("organisation.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Event(TimestampMixin, Base):
    """An economic event of the territory, organised by one or more organisations."""

    __tablename__ = "event"
    __table_args__ = (
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date] = mapped_column(index=True)
    ends_on: Mapped[date | None]
    place: Mapped[str] = mapped_column(sa.String(250))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )

    organisations: Mapped[list[Organisation]] = relationship(
        secondary=event_organisation, order_by=Organisation.short_name
    )

    @property
    def last_day(self) -> date:
        """The event's last day."""
        return self.ends_on or self.starts_on

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.name}>"


def thumb_name(file_name: str) -> str:
    """The thumbnail's file name beside a photo's."""
    return file_name.removesuffix(".jpg") + "-vignette.jpg"


class Photo(TimestampMixin, Base):
    """A photo of a site or of a premises unit, resized, with its thumbnail and alt text."""

    __tablename__ = "photo"
    __table_args__ = (
        sa.CheckConstraint("(site_id IS NULL) <> (premises_id IS NULL)", name="one_owner"),
        sa.CheckConstraint(
            "width > 0 AND height > 0 AND thumb_width > 0 AND thumb_height > 0",
            name="size_positive",
        ),
        sa.CheckConstraint("alt_text <> ''", name="alt_text_given"),
        sa.CheckConstraint(r"file_name ~ '^[0-9a-f]{32}\.jpg$'", name="file_name_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("site.id", ondelete="CASCADE"), index=True
    )
    premises_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    # The resized image in the upload folder; its thumbnail is thumb_name() beside it.
    file_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    byte_size: Mapped[int]
    alt_text: Mapped[str] = mapped_column(sa.String(300))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )

    @property
    def thumb_name(self) -> str:
        """The thumbnail's file name."""
        return thumb_name(self.file_name)

    def __repr__(self) -> str:
        return f"<Photo {self.file_name}>"
