"""Communes of the Pacte's territory, with their 2011 intercommunality and contour."""

from __future__ import annotations

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hosting_app.auth.models import Organisation
from hosting_app.db import Base


class Commune(Base):
    """A commune, identified by its INSEE code."""

    __tablename__ = "commune"
    __table_args__ = (
        sa.CheckConstraint(r"insee ~ '^[0-9][0-9AB][0-9]{3}$'", name="insee_format"),
        sa.CheckConstraint("population IS NULL OR population >= 0", name="population_positive"),
    )

    insee: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    departement: Mapped[str] = mapped_column(sa.String(3))
    postal_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(5)), default=list)
    population: Mapped[int | None]
    intercommunality_2011_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    in_pacte_territory: Mapped[bool] = mapped_column(default=True)
    contour = mapped_column(Geometry("MULTIPOLYGON", srid=4326), nullable=True)
    centroid = mapped_column(Geometry("POINT", srid=4326), nullable=True)

    intercommunality_2011: Mapped[Organisation | None] = relationship()

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"
