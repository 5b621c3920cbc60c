"""Each search filter narrows the premises correctly, on real PostGIS."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from hosting_app.sites import filters as search_filters
from hosting_app.sites import queries
from tests.lab import CENTRE

NEAR_LAB = [("lat", str(CENTRE[1])), ("lon", str(CENTRE[0])), ("radius_km", "50")]


def search(session, *pairs) -> list[str]:
    """Labels of the lab premises found (seeded premises are 100+ km away)."""
    filters, _ = search_filters.parse(
        MultiDict([*NEAR_LAB, *pairs])
        if not any(k in ("lat", "lon", "near", "radius_km") for k, _ in pairs)
        else MultiDict(pairs),
        max_per_page=100,
    )
    centre_lat = (
        filters.point[1]
        if filters.point
        else session.scalar(queries.centre_latitude(filters))
        if filters.near
        else None
    )
    rows = session.execute(queries.premises_search(filters, centre_lat)).all()
    count = session.scalar(queries.premises_count(filters, centre_lat))
    assert count == len(rows)
    return [row[0].label for row in rows if row[0].site.slug == "site-d-essai"]


def test_default_search_shows_free_and_soon_free_premises(session, lab):
    found = set(search(session))
    assert found == {"near", "edge_out", "office", "plot", "later", "wide_plot"}
    assert "occupied" not in found


def test_kind_filter(session, lab):
    assert set(search(session, ("kind", "workshop"))) == {"near", "edge_out", "later"}
    assert set(search(session, ("kind", "office"), ("kind", "land_plot"))) == {
        "office",
        "plot",
        "wide_plot",
    }


def test_surface_bounds_are_inclusive(session, lab):
    assert set(search(session, ("surface_min", "250"), ("surface_max", "350"))) == {
        "near",
        "edge_out",
        "later",
    }
    assert set(search(session, ("surface_min", "250.01"), ("surface_max", "349.99"))) == {
        "edge_out"
    }


def test_price_filters(session, lab):
    assert set(search(session, ("max_rent", "100"))) == {"near", "later"}
    assert set(search(session, ("max_sale_price", "50"))) == {"wide_plot"}


def test_available_by_date(session, lab):
    assert "later" not in search(session, ("available_by", "2030-12-31"))
    assert "later" in search(session, ("available_by", "2031-06-01"))


def test_availability_can_be_asked_for(session, lab):
    assert search(session, ("availability", "occupied")) == ["occupied"]


def test_site_kind_and_sector(session, lab):
    assert search(session, ("site_kind", "incubator")) == []
    assert len(search(session, ("site_kind", "business_hotel"))) == 6
    assert len(search(session, ("sector", "health"))) == 6
    assert search(session, ("sector", "aeronautics")) == []


def test_radius_edge_uses_geodesic_distance(session, lab):
    around = [("lat", str(CENTRE[1])), ("lon", str(CENTRE[0])), ("radius_km", "1")]
    found = search(session, *around)
    assert "near" in found  # 999 m
    assert "edge_out" not in found  # 1001 m
    assert set(found) == {"near", "office", "later"}


def test_sort_by_distance_and_reported_distance(session, lab):
    filters, _ = search_filters.parse(
        MultiDict(
            [
                ("lat", str(CENTRE[1])),
                ("lon", str(CENTRE[0])),
                ("radius_km", "2"),
                ("sort", "distance"),
            ]
        )
    )
    rows = session.execute(queries.premises_search(filters, CENTRE[1])).all()
    labels = [row[0].label for row in rows]
    assert labels == ["office", "later", "near", "edge_out"]
    distances = {row[0].label: row[1] for row in rows}
    assert distances["near"] == pytest.approx(999, abs=0.5)


def test_sort_by_surface_descending(session, lab):
    labels = search(session, ("sort", "-surface"))
    assert labels[:3] == ["wide_plot", "plot", "later"]


def test_bbox_catches_a_polygon_crossing_its_edge(session, lab):
    # The wide plot spans 2.03–2.06 E; a box starting at 2.05 E holds only part of it.
    assert search(session, ("bbox", "2.05,46.99,2.2,47.01")) == ["wide_plot"]


def test_commune_and_intercommunality_filters_use_site_communes(session):
    filters, _ = search_filters.parse(MultiDict([("intercommunality", "camvs")]))
    rows = session.execute(queries.premises_search(filters, None)).all()
    assert rows
    communes = {c.insee for row in rows for c in row[0].site.communes}
    from hosting_app.territory.models import Commune

    camvs = set(
        session.scalars(
            sa.select(Commune.insee).where(Commune.intercommunality_2011.has(key="camvs"))
        )
    )
    assert all(any(c.insee in camvs for c in row[0].site.communes) for row in rows)
    assert communes & camvs


def test_near_a_commune_uses_its_centroid(session):
    filters, _ = search_filters.parse(MultiDict([("near", "77251"), ("radius_km", "3")]))
    lat = session.scalar(queries.centre_latitude(filters))
    rows = session.execute(queries.premises_search(filters, lat)).all()
    assert rows
    assert all(row[1] <= 3000 for row in rows)


@pytest.mark.parametrize(
    ("pairs", "field", "message"),
    [
        ([("surface_min", "abc")], "surface_min", "nombre attendu"),
        ([("surface_min", "-5")], "surface_min", "hors limites"),
        ([("surface_min", "300"), ("surface_max", "200")], "surface_max", "dépasser"),
        ([("kind", "castle")], "kind", "valeur inconnue"),
        ([("available_by", "demain")], "available_by", "date attendue"),
        ([("lat", "48.6")], "lon", "vont ensemble"),
        ([("radius_km", "5")], "radius_km", "point ou une commune"),
        ([("sort", "distance")], "sort", "point ou une commune"),
        ([("radius_km", "500"), ("near", "77251")], "radius_km", "hors limites"),
        ([("bbox", "3,48,2,49")], "bbox", "emprise invalide"),
        ([("page", "0")], "page", "entier positif"),
    ],
)
def test_bad_parameters_get_french_messages(pairs, field, message):
    with pytest.raises(ValidationError) as caught:
        search_filters.parse(MultiDict(pairs))
    assert message in " ".join(search_filters.messages(caught.value)[field])


def test_dates_are_real_dates():
    filters, _ = search_filters.parse(MultiDict([("available_by", "2027-03-01")]))
    assert filters.available_by == date(2027, 3, 1)
