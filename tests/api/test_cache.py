"""The public API's response cache: in memory and in the real Redis, invalidated by writes."""

from __future__ import annotations

import socket
import uuid

import pytest
import sqlalchemy as sa

from hosting_app import cache as api_cache
from tests.backoffice.support import post
from tests.helpers import login
from tests.lab import CENTRE

LAB = f"lat={CENTRE[1]}&lon={CENTRE[0]}&radius_km=20"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(params=["memory", "redis"])
def store(request, app):
    """The app's public answers kept in memory, or in Redis under a prefix of this test's."""
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip("no Redis on 127.0.0.1:6379")
        import redis

        prefix = f"hosting_app:test:{uuid.uuid4().hex}"
        store = api_cache.RedisStore(REDIS_URL, prefix)
    else:
        store = api_cache.MemoryStore()
    previous = app.extensions["api_cache"]
    api_cache.install(app, store)
    yield store
    app.extensions["api_cache"] = previous
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def _rename_unseen(session, premises_id: int, label: str) -> None:
    """Change a label behind the app's back (plain SQL: no invalidation)."""
    session.execute(
        sa.text("UPDATE premises SET label = :label WHERE id = :id"),
        {"label": label, "id": premises_id},
    )


def _labels(response) -> set[str]:
    return {feature["properties"]["label"] for feature in response.get_json(force=True)["features"]}


def test_an_answer_is_served_again_from_the_cache(client, session, lab, store):
    first = client.get(f"/api/premises?{LAB}&kind=office")
    assert _labels(first) == {"office"}
    assert first.headers["Cache-Control"] == "public, max-age=60"
    _rename_unseen(session, lab.premises["office"].id, "bureau renommé")
    # Same search, parameters in another order and an empty one: the same entry.
    again = client.get(f"/api/premises?kind=office&max_rent=&{LAB}")
    assert _labels(again) == {"office"}
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    # Another search is not served the first one's answer.
    assert _labels(client.get(f"/api/premises?{LAB}&kind=office&per_page=5")) == {"bureau renommé"}


def test_a_hit_is_the_whole_answer_again(client, session, lab, store):
    first = client.get(f"/api/premises?{LAB}")
    _rename_unseen(session, lab.premises["office"].id, "renommé")
    hit = client.get(f"/api/premises?{LAB}")
    assert "renommé" not in hit.get_data(as_text=True)
    assert hit.status_code == 200 and hit.get_data() == first.get_data()
    for header in ("Content-Type", "Cache-Control", "ETag", "Content-Security-Policy",
                   "X-Content-Type-Options", "Referrer-Policy"):  # fmt: skip
        assert hit.headers.get_all(header) == first.headers.get_all(header), header
    assert "Set-Cookie" not in hit.headers
    head = client.head(f"/api/premises?{LAB}")
    assert head.status_code == 200 and head.get_data() == b""


def test_anonymous_visitors_with_a_cookie_are_served_from_the_cache(app, session, lab, store):
    visitor = app.test_client()
    visitor.set_cookie("preferences", "carte")  # any cookie: Flask checks who is logged in
    first = visitor.get(f"/api/premises?{LAB}&kind=office")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    _rename_unseen(session, lab.premises["office"].id, "renommé")
    again = visitor.get(f"/api/premises?{LAB}&kind=office")
    assert _labels(again) == {"office"} and again.headers["ETag"] == first.headers["ETag"]
    assert (
        visitor.get(
            f"/api/premises?{LAB}&kind=office", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )
    # Kept by one path, served by the other: the cookieless request gets the same entry.
    assert app.test_client().get(f"/api/premises?{LAB}&kind=office").get_data() == (
        first.get_data()
    )


def test_a_back_office_change_is_visible_at_once(app, client, lab, make_user, store):
    office = lab.premises["office"]
    assert _labels(client.get(f"/api/premises?{LAB}&kind=office")) == {"office"}
    assert client.get(f"/api/premises/{office.id}").status_code == 200

    back_office = app.test_client()
    login(back_office, make_user("admin", "region_idf"))
    edit = f"/gestion/locaux/{office.id}/modifier"
    response = post(back_office, f"/gestion/locaux/{office.id}/archiver", {}, page=edit)
    assert response.status_code == 302

    assert _labels(client.get(f"/api/premises?{LAB}&kind=office")) == set()
    assert client.get(f"/api/premises/{office.id}").status_code == 404


def test_a_committed_change_to_a_site_invalidates(client, session, lab, store):
    before = client.get("/api/sites?per_page=100").get_data(as_text=True)
    assert "Site d'essai" in before
    lab.site.name = "Site d'essai renommé"
    session.commit()
    assert "Site d'essai renommé" in client.get("/api/sites?per_page=100").get_data(as_text=True)


def test_a_bulk_update_invalidates(client, session, lab, store):
    from hosting_app.sites.models import Premises

    assert _labels(client.get(f"/api/premises?{LAB}&kind=office")) == {"office"}
    session.execute(
        sa.update(Premises).where(Premises.id == lab.premises["office"].id).values(label="b")
    )
    session.commit()
    assert _labels(client.get(f"/api/premises?{LAB}&kind=office")) == {"b"}


def test_etag_gives_not_modified(client, lab, store):
    first = client.get(f"/api/premises?{LAB}")
    etag = first.headers["ETag"]
    again = client.get(f"/api/premises?{LAB}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(f"/api/premises?{LAB}", headers={"If-None-Match": '"x"'}).status_code == 200


def test_logged_in_answers_are_never_cached(app, client, session, lab, make_user, store):
    logged = app.test_client()
    login(logged, make_user("developer"))
    office = lab.premises["office"]
    private = logged.get(f"/api/premises?{LAB}&kind=office")
    assert private.headers["Cache-Control"] == "private, no-store" and "ETag" not in private.headers
    _rename_unseen(session, office.id, "vu connecté")
    assert _labels(logged.get(f"/api/premises?{LAB}&kind=office")) == {"vu connecté"}
    # Nor were they stored for the anonymous: they get the current data.
    assert _labels(client.get(f"/api/premises?{LAB}&kind=office")) == {"vu connecté"}


def test_bearer_answers_are_never_cached(client, runner, session, lab, make_user, store):
    email = make_user("developer")
    result = runner.invoke(args=["users", "token", email])
    token = next(line for line in result.output.splitlines() if line.startswith("hap_"))
    bearer = {"Authorization": f"Bearer {token}"}
    first = client.get(f"/api/premises?{LAB}&kind=office", headers=bearer)
    assert first.headers["Cache-Control"] == "private, no-store"
    _rename_unseen(session, lab.premises["office"].id, "vu par jeton")
    again = client.get(f"/api/premises?{LAB}&kind=office", headers=bearer)
    assert _labels(again) == {"vu par jeton"}


def test_errors_are_not_cached(client, store):
    assert client.get("/api/premises?kind=castle").status_code == 400
    response = client.get("/api/premises?kind=castle")
    assert response.status_code == 400 and "public" not in response.headers.get("Cache-Control", "")


def test_without_a_store_answers_still_carry_cache_headers(client, lab):
    response = client.get(f"/api/premises?{LAB}")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    etag = response.headers["ETag"]
    assert client.get(f"/api/premises?{LAB}", headers={"If-None-Match": etag}).status_code == 304


def test_a_redis_outage_only_costs_the_cache(app, client, lab):
    previous = app.extensions["api_cache"]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    api_cache.install(app, api_cache.RedisStore(f"redis://127.0.0.1:{port}/0", "hosting_app:x"))
    try:
        for _ in range(2):
            response = client.get(f"/api/premises?{LAB}")
            assert response.status_code == 200 and response.get_json(force=True)["numberMatched"]
    finally:
        app.extensions["api_cache"] = previous
