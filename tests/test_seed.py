"""The seed: real reference data, demo premises marked as such, idempotent."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2.shape import to_shape

from hosting_app.auth.models import Organisation
from hosting_app.models import Base
from hosting_app.sites.models import PositionConfidence, Premises, Site, SiteStatus
from hosting_app.territory.models import Commune
from seed import load


def _snapshot(session) -> dict[str, list[tuple]]:
    return {
        table.name: [
            tuple(row)
            for row in session.execute(sa.select(table).order_by(*table.primary_key.columns))
        ]
        for table in Base.metadata.sorted_tables
    }


def test_seed_on_an_empty_database_then_again_gives_identical_rows(session, _isolated):
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(table.delete())
    load.run(session)
    session.commit()
    first = _snapshot(session)
    assert len(first["site"]) == 17
    assert len(first["premises"]) > 0

    writes: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split()[0].upper()
        if verb in {"INSERT", "UPDATE", "DELETE"} and cursor.rowcount > 0:
            writes.append(statement)

    sa.event.listen(_isolated, "after_cursor_execute", record)
    try:
        load.run(session)
        session.commit()
    finally:
        sa.event.remove(_isolated, "after_cursor_execute", record)
    assert writes == []
    assert _snapshot(session) == first


def test_reference_data_is_the_territory(session):
    assert session.scalar(sa.select(sa.func.count()).select_from(Commune)) == 32
    in_pacte = sa.select(sa.func.count()).where(Commune.in_pacte_territory)
    assert session.scalar(in_pacte) == 26
    melun = session.get(Commune, "77288")
    assert melun.name == "Melun"
    assert melun.intercommunality_2011.key == "camvs"
    assert session.scalar(
        sa.select(sa.func.ST_IsValid(Commune.contour)).where(Commune.insee == "77288")
    )
    keys = set(session.scalars(sa.select(Organisation.key)))
    assert {
        "epa_senart",
        "sympav",
        "camvs",
        "san_senart_77",
        "san_senart_91",
        "mdef_senart",
        "mdef_mvs",
        "region_idf",
    } <= keys


def test_intercommunality_territory_is_the_union_of_its_2011_communes(session):
    contains_melun = (
        sa.select(Organisation.key)
        .join(
            Commune,
            sa.func.ST_Contains(Organisation.territory, sa.func.ST_PointOnSurface(Commune.contour)),
        )
        .where(Commune.insee == "77288")
    )
    assert set(session.scalars(contains_melun)) == {"camvs"}


def test_sites_keep_their_sources_and_position_confidence(session):
    slug = "pole-aeronautique-paris-villaroche"
    villaroche = session.scalar(sa.select(Site).where(Site.slug == slug))
    assert villaroche.position_confidence is PositionConfidence.HIGH
    assert villaroche.operator.key == "sympav"
    assert villaroche.total_area_ha == Decimal("541.00")
    assert {c.insee for c in villaroche.communes} == {"77306", "77384", "77252", "77253"}
    point = to_shape(villaroche.point)
    assert (round(point.y, 4), round(point.x, 4)) == (48.6067, 2.6703)
    assert villaroche.target_sectors == ["aeronautics"]

    ecopole = session.scalar(sa.select(Site).where(Site.slug == "ecopole-de-senart"))
    assert ecopole.position_confidence is PositionConfidence.LOW
    assert ecopole.pacte_action == "Axe 3 B-5"

    village = session.scalar(sa.select(Site).where(Site.slug == "village-artisanal"))
    assert village.point is None
    assert village.position_confidence is PositionConfidence.UNKNOWN
    assert village.status is SiteStatus.PLANNED


def test_demo_premises_are_marked_and_only_on_sites_in_service(session):
    premises = session.scalars(sa.select(Premises).join(Site)).all()
    assert premises
    assert all(p.is_demo for p in premises)
    assert all(p.site.status is SiteStatus.EXISTING for p in premises)
    assert all(p.surface_m2 > 0 for p in premises)
    # Villaroche offers plots for sale, no rents.
    plots = [p for p in premises if p.site.slug == "pole-aeronautique-paris-villaroche"]
    assert plots and all(p.kind == "land_plot" and p.sale_price_eur_m2 for p in plots)
