"""The search's orders: « disponible le plus tôt d'abord » by default, each served by an index."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from hosting_app.sites import filters as search_filters
from hosting_app.sites import queries
from hosting_app.sites.models import Availability, Premises, PremisesKind

# Around the lab site (a box: a centre would make the distance the default order).
LAB = "bbox=1.98,46.98,2.07,47.02&kind=desk"
# What a firm sees first: what it can move into now, then by the date premises become free;
# under construction with no date yet last.
EARLIEST_FIRST = ["undated", "since_march", "built_2030", "free_2031", "date_unknown"]


@pytest.fixture
def desks(session, lab) -> dict[str, Premises]:
    """Desks of the lab site with every kind of availability date."""
    specs = {
        "free_2031": (Availability.AVAILABLE, date(2031, 1, 1)),
        "date_unknown": (Availability.UNDER_CONSTRUCTION, None),
        "undated": (Availability.AVAILABLE, None),
        "built_2030": (Availability.UNDER_CONSTRUCTION, date(2030, 1, 1)),
        "since_march": (Availability.AVAILABLE, date(2026, 3, 1)),
    }
    desks = {}
    for number, (label, (availability, available_from)) in enumerate(specs.items()):
        desks[label] = Premises(
            site=lab.site, label=label, kind=PremisesKind.DESK, surface_m2=10 + number,
            rent_eur_m2_year=300 - number, availability=availability,
            available_from=available_from, is_demo=True,
        )  # fmt: skip
        session.add(desks[label])
    session.flush()
    return desks


def _labels(client, query: str) -> list[str]:
    body = client.get(f"/api/premises?{query}").get_json(force=True)
    return [feature["properties"]["label"] for feature in body["features"]]


def test_default_order_is_earliest_availability_first(client, desks):
    assert _labels(client, LAB) == EARLIEST_FIRST
    assert _labels(client, f"{LAB}&sort=available_from") == EARLIEST_FIRST
    assert _labels(client, f"{LAB}&sort=-available_from") == EARLIEST_FIRST[::-1]


def test_pages_follow_the_same_order(client, desks):
    pages = [_labels(client, f"{LAB}&per_page=2&page={page}") for page in (1, 2, 3)]
    assert sum(pages, []) == EARLIEST_FIRST


def test_the_search_page_lists_in_the_same_order(client, desks):
    page = client.get(f"/locaux?{LAB}&view=liste").get_data(as_text=True)
    positions = [page.index(f'/locaux/{desks[label].id}"') for label in EARLIEST_FIRST]
    assert positions == sorted(positions)


def test_other_orders_in_both_directions(client, desks):
    by_surface = ["free_2031", "date_unknown", "undated", "built_2030", "since_march"]
    assert _labels(client, f"{LAB}&sort=surface") == by_surface
    assert _labels(client, f"{LAB}&sort=-surface") == by_surface[::-1]
    assert _labels(client, f"{LAB}&sort=price") == by_surface[::-1]  # rents go down
    assert _labels(client, f"{LAB}&sort=-price") == by_surface


def test_premises_without_a_price_come_last_both_ways(client, session, desks):
    desks["undated"].rent_eur_m2_year = None
    session.flush()
    assert _labels(client, f"{LAB}&sort=price")[-1] == "undated"
    assert _labels(client, f"{LAB}&sort=-price")[-1] == "undated"


def _plan(session, query: str) -> str:
    filters, _ = search_filters.parse(
        MultiDict(parse_qsl(query)), schema=search_filters.ApiPremisesSchema()
    )
    statement = queries.premises_geojson(filters, None).compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    rows = session.connection().exec_driver_sql(f"EXPLAIN {statement}")
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("", "ix_premises_search_available"),
        ("sort=-available_from", "ix_premises_search_available"),
        ("sort=surface", "ix_premises_search_surface"),
        ("sort=-surface", "ix_premises_search_surface"),
        ("sort=price", "ix_premises_search_price"),
        ("sort=-price", "ix_premises_search_price_desc"),
    ],
)
def test_an_index_yields_each_order(session, sort, index):
    """With sorting made prohibitive, PostgreSQL reads the page from the order's index:
    the query's sort expression is the index's (a page then stops reading early)."""
    session.execute(sa.text("SET LOCAL enable_sort = off"))
    session.execute(sa.text("SET LOCAL enable_incremental_sort = off"))  # a sort all the same
    session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    plan = _plan(session, f"kind=office&{sort}")
    assert f" {index} on premises" in plan, plan
    assert "Sort Key" not in plan, plan
