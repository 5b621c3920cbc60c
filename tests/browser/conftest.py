"""A live server on the test database and a real headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (no browser download), or CHROMIUM_PATH."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Chromium is missing: apt-get install chromium (or set CHROMIUM_PATH)")
    return path


@pytest.fixture
def live_server(app, _isolated):
    """The app served on a free local port, sharing the test's rolled-back transaction."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


TILE_HOSTS = {"data.geopf.fr", "tile.openstreetmap.org"}


@pytest.fixture
def offline(page):
    """Record every request; tiles are answered empty, anything else off 127.0.0.1 fails."""
    from urllib.parse import urlsplit

    foreign: list[str] = []

    def handle(route):
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        elif host in TILE_HOSTS:
            route.fulfill(status=204)
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return foreign


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; return its violations."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run npm ci")
    page.evaluate(AXE.read_text())  # through DevTools: a <script> tag would be refused by the CSP
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def log_in(page, email: str) -> None:
    """Log in through the login form (an account without a second factor)."""
    from playwright.sync_api import expect

    from tests.helpers import PASSWORD

    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Vous êtes connecté.")).to_be_visible()
