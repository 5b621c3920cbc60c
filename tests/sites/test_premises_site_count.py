"""The premises counted per site, kind and availability: always what a GROUP BY would give."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import sqlalchemy as sa

from hosting_app.sites.filters import (
    DEFAULT_AVAILABILITY,
    SITE_COUNT_FIELDS,
    UNSELECTIVE_FIELDS,
    PremisesFilters,
)
from hosting_app.sites.models import Availability, Premises, PremisesKind, SiteKind

LIVE = """
SELECT site_id, kind, availability, count(*) FROM premises
WHERE archived_at IS NULL GROUP BY site_id, kind, availability
"""
COUNTED = "SELECT site_id, kind, availability, n FROM premises_site_count"


def counts(session, sql: str) -> dict[tuple, int]:
    return {(site, kind, state): n for site, kind, state, n in session.execute(sa.text(sql))}


def assert_exact(session) -> None:
    session.flush()
    live = counts(session, LIVE)
    assert live, "no premises at all: the comparison would prove nothing"
    assert counts(session, COUNTED) == live


def test_the_counts_match_the_seed(session):
    assert_exact(session)


def test_inserts_updates_and_deletes_keep_the_counts_exact(session, lab):
    assert_exact(session)  # rows inserted one by one (ORM)
    key = (lab.site.id, "workshop", "available")
    assert counts(session, COUNTED)[key] == 2  # near, edge_out

    lab.premises["near"].kind = PremisesKind.DESK
    assert_exact(session)
    lab.premises["office"].availability = Availability.RESERVED
    assert_exact(session)
    assert (lab.site.id, "office", "available") not in counts(session, COUNTED)  # reached 0

    other = session.scalar(sa.select(Premises.site_id).where(Premises.site_id != lab.site.id))
    lab.premises["plot"].site_id = other
    assert_exact(session)

    lab.premises["later"].archived_at = datetime.now(UTC)
    assert_exact(session)
    lab.premises["later"].archived_at = None
    assert_exact(session)

    session.delete(lab.premises["edge_out"])
    assert_exact(session)

    # One statement changing many rows, some of them back and forth.
    session.execute(
        sa.text(
            "UPDATE premises SET kind = CASE kind WHEN 'office' THEN 'workshop' "
            "WHEN 'workshop' THEN 'office' ELSE kind END, "
            "availability = CASE WHEN id % 3 = 0 THEN 'occupied' ELSE availability END"
        )
    )
    assert_exact(session)
    session.execute(sa.text("UPDATE premises SET label = label"))  # no key changes
    assert_exact(session)


def test_a_multi_row_insert_and_delete_keep_the_counts_exact(session, lab):
    session.execute(
        sa.text(
            "INSERT INTO premises (site_id, kind, label, surface_m2, availability, archived_at, "
            "description) "
            "SELECT :site, (ARRAY['office', 'workshop', 'desk'])[1 + i % 3], 'copy ' || i, 50, "
            "(ARRAY['available', 'occupied'])[1 + i % 2], "
            "CASE WHEN i % 5 = 0 THEN now() END, '' "
            "FROM generate_series(1, 200) AS i"
        ),
        {"site": lab.site.id},
    )
    assert_exact(session)
    session.execute(sa.text("DELETE FROM premises WHERE label LIKE 'copy 1%'"))
    assert_exact(session)
    session.execute(
        sa.text("UPDATE premises SET archived_at = now() WHERE site_id = :site"),
        {"site": lab.site.id},
    )
    assert_exact(session)
    assert not [key for key in counts(session, COUNTED) if key[0] == lab.site.id]


def test_truncate_empties_the_counts(session, lab):
    session.execute(sa.text("TRUNCATE premises CASCADE"))
    assert counts(session, COUNTED) == {}


# --- Which searches the counts answer -----------------------------------------------------


def test_every_filter_is_classified():
    """A filter added to PremisesFilters must be placed here: answered by the counts per site,
    kind and availability, selecting no premises, or needing the premises themselves."""
    needs_premises = {
        "surface_min", "surface_max", "max_rent", "max_sale_price", "available_by",
        "point", "near", "radius_km",
    }  # fmt: skip
    assert {
        "kinds", "availability", "site_kinds", "commune", "intercommunality", "sector"
    } == SITE_COUNT_FIELDS  # fmt: skip
    assert {"bbox", "sort", "page", "per_page"} == UNSELECTIVE_FIELDS
    names = {field.name for field in dataclasses.fields(PremisesFilters)}
    assert names == SITE_COUNT_FIELDS | UNSELECTIVE_FIELDS | needs_premises


def test_which_searches_the_counts_answer():
    from hosting_app.labels import Sector

    counted = [
        PremisesFilters(),
        PremisesFilters(kinds=(PremisesKind.OFFICE, PremisesKind.WORKSHOP)),
        PremisesFilters(availability=(Availability.OCCUPIED,)),
        PremisesFilters(site_kinds=(SiteKind.INCUBATOR,), commune="77251"),
        PremisesFilters(intercommunality="camvs", sector=next(iter(Sector))),
        PremisesFilters(bbox=(2.0, 48.0, 3.0, 49.0), sort="surface", page=3, per_page=50),
    ]
    assert all(filters.counted_per_site() for filters in counted)
    assert PremisesFilters().availability == DEFAULT_AVAILABILITY
    live = [
        PremisesFilters(surface_min=10),
        PremisesFilters(surface_max=100),
        PremisesFilters(max_rent=100),
        PremisesFilters(max_sale_price=100),
        PremisesFilters(available_by=datetime(2030, 1, 1).date()),
        PremisesFilters(point=(2.5, 48.6), radius_km=5),
        PremisesFilters(near="77251", radius_km=5),
        PremisesFilters(kinds=(PremisesKind.OFFICE,), surface_min=10),
    ]
    assert not any(filters.counted_per_site() for filters in live)
