"""Matches are counted exactly up to SEARCH_COUNT_LIMIT, then reported as « more than »."""

from __future__ import annotations

import pytest

from tests.lab import CENTRE

LAB = f"lat={CENTRE[1]}&lon={CENTRE[0]}&radius_km=20"  # 6 premises match by default


@pytest.fixture
def limit(app, monkeypatch):
    """Lower the count limit (and the map's embedding limit) to ``n``."""

    def set_limit(n: int) -> None:
        monkeypatch.setitem(app.config, "SEARCH_COUNT_LIMIT", n)
        monkeypatch.setitem(app.config, "MAP_EMBED_LIMIT", n)

    return set_limit


def _counts(body: dict) -> tuple[int, bool, int]:
    return body["numberMatched"], body["numberMatchedIsLowerBound"], body["numberReturned"]


@pytest.mark.parametrize("order", ["", "&sort=surface", "&sort=-price", "&sort=distance"])
def test_below_the_limit_the_count_is_exact(client, lab, limit, order):
    limit(6)
    for page in (1, 2, 3, 4):  # full pages, the last one, and past the end
        body = client.get(f"/api/premises?{LAB}&per_page=2&page={page}{order}").get_json(force=True)
        assert _counts(body) == (6, False, 2 if page <= 3 else 0)


@pytest.mark.parametrize("order", ["", "&sort=surface", "&sort=-price", "&sort=distance"])
def test_above_the_limit_the_count_is_a_lower_bound(client, lab, limit, order):
    limit(4)
    for page, returned in ((1, 2), (3, 2), (4, 0), (1, 6)):
        per_page = 6 if returned == 6 else 2
        body = client.get(f"/api/premises?{LAB}&per_page={per_page}&page={page}{order}")
        assert _counts(body.get_json(force=True)) == (4, True, returned)


def test_map_rows_say_more_than_the_limit(client, lab, limit):
    limit(4)
    rows = client.get(f"/api/premises?{LAB}&format=rows&per_page=3").get_json(force=True)
    assert (rows["matched"], rows["matchedIsLowerBound"], len(rows["rows"])) == (4, True, 3)
    rows = client.get(f"/api/premises?{LAB}&format=rows&per_page=10").get_json(force=True)
    assert (rows["matched"], rows["matchedIsLowerBound"], len(rows["rows"])) == (4, True, 6)
    limit(10)
    rows = client.get(f"/api/premises?{LAB}&format=rows&per_page=3").get_json(force=True)
    assert (rows["matched"], rows["matchedIsLowerBound"]) == (6, False)


def test_sites_are_counted_the_same_way(client, lab, limit):
    limit(2)
    body = client.get("/api/sites?per_page=1").get_json(force=True)
    assert _counts(body) == (2, True, 1)
    limit(10_000)
    body = client.get("/api/sites?per_page=1").get_json(force=True)
    assert body["numberMatchedIsLowerBound"] is False and body["numberMatched"] > 2


def test_the_search_page_says_more_than(client, lab, limit):
    limit(4)
    page = client.get(f"/locaux?{LAB}&view=liste&per_page=2").get_data(as_text=True)
    assert "Plus de 4 locaux correspondent" in page
    assert "Page 1</span>" in page and "page 1 sur" not in page.lower()
    assert 'rel="next"' in page
    limit(6)
    page = client.get(f"/locaux?{LAB}&view=liste&per_page=2").get_data(as_text=True)
    assert "6 locaux correspondent" in page and "Plus de" not in page
    assert "Page 1 sur 3" in page


def test_the_map_loads_tiles_above_the_limit(client, lab, limit):
    limit(4)
    page = client.get(f"/locaux?{LAB}").get_data(as_text=True)
    assert "/api/tiles/premises/{z}/{x}/{y}.pbf" in page  # vector tiles, nothing embedded


def test_the_openapi_document_explains_the_limit(client):
    spec = client.get("/api/openapi.json").get_json()
    collection = spec["components"]["schemas"]["FeatureCollection"]["properties"]
    assert collection["numberMatchedIsLowerBound"]["type"] == "boolean"
    assert "10 000" in collection["numberMatched"]["description"]
