"""/healthz, the versioned static files and the production command (scripts/serve.sh)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

from hosting_app import create_app
from tests.conftest import REPO

CLOSED_PORT_URL = "postgresql://postgres@127.0.0.1:1/nothing"


def test_healthz_answers_ok_without_a_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert "Set-Cookie" not in response.headers
    assert "no-store" in response.headers["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_unreachable():
    app = create_app({"TESTING": True, "DATABASE_URL": CLOSED_PORT_URL, "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    assert "Set-Cookie" not in response.headers


def test_pool_settings_come_from_the_config():
    app = create_app(
        {"DATABASE_URL": CLOSED_PORT_URL, "SECRET_KEY": "x", "DATABASE_POOL_SIZE": 3,
         "DATABASE_MAX_OVERFLOW": 1, "DATABASE_POOL_RECYCLE": 60}
    )  # fmt: skip
    with app.app_context():
        from hosting_app.extensions import db

        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow, pool._recycle) == (3, 1, 60)


def test_static_urls_carry_a_digest_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    start = page.index("/static/css/app.css?v=")
    url = page[start : page.index('"', start)]
    response = client.get(url)
    assert response.status_code == 200
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache
    assert "Expires" not in response.headers
    stale = client.get("/static/css/app.css?v=000000000000")
    assert "immutable" not in stale.headers.get("Cache-Control", "")
    assert "immutable" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_vendor_urls_carry_a_digest_too(client):
    page = client.get("/locaux").get_data(as_text=True)
    start = page.index("/vendor/leaflet/leaflet.js?v=")
    url = page[start : page.index('"', start)]
    cache = client.get(url).headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serve_script_runs_gunicorn(app, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SECRET_KEY": "test-secret",
        "HOSTING_APP_INSTANCE_PATH": str(tmp_path),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(REPO / "scripts" / "serve.sh")], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        status, body = None, b""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
            except OSError:
                status = None
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, (tmp_path / "gunicorn.log").read_text()[-2000:]
        assert json.loads(body) == {"status": "ok", "database": "ok"}
        for _ in range(50):  # the access log line is written once the response is sent
            if "GET /healthz" in (tmp_path / "gunicorn.log").read_text():
                break
            time.sleep(0.1)
        assert "GET /healthz" in (tmp_path / "gunicorn.log").read_text()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
