"""The HTTP security headers: on pages, API answers, errors and static files; the map's nonce."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from hosting_app import create_app

PERMISSIONS_DENIED = ("camera", "geolocation", "microphone", "payment", "usb")


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy as directive → sources."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice"
        directives[name] = sources
    return directives


def nonce_of(response) -> str | None:
    """The nonce that the response's policy allows for inline scripts, if any."""
    nonces = [s for s in policy(response)["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) <= 1
    return nonces[0].removeprefix("'nonce-").removesuffix("'") if nonces else None


class Scripts(HTMLParser):
    """The inline scripts' nonces and the inline event handlers of an HTML page."""

    def __init__(self):
        super().__init__()
        self.inline_nonces: list[str | None] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes:
            self.inline_nonces.append(attributes.get("nonce"))
        self.handlers += [f"{tag} {name}" for name in attributes if name.startswith("on")]
        for name in ("href", "src", "action", "formaction"):
            if (attributes.get(name) or "").strip().lower().startswith("javascript:"):
                self.handlers.append(f"{tag} {name}=javascript:")


def scripts_of(response) -> Scripts:
    parser = Scripts()
    parser.feed(response.get_data(as_text=True))
    return parser


def assert_security_headers(response) -> None:
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert all(s == "'self'" or s.startswith("'nonce-") for s in csp["script-src"])
    assert csp["style-src-elem"] == ["'self'"]
    assert {"'self'", "data:", "https://data.geopf.fr", "https://tile.openstreetmap.org"} == set(
        csp["img-src"]
    )
    assert csp["connect-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"].split(", ")
    assert all(f"{feature}=()" in permissions for feature in PERMISSIONS_DENIED)


@pytest.mark.parametrize(
    ("path", "status", "mimetype"),
    [
        ("/", 200, "text/html"),
        ("/locaux", 200, "text/html"),
        ("/api/sites", 200, "application/geo+json"),
        ("/api/absent", 404, "application/json"),
        ("/nulle-part", 404, "text/html"),
        ("/static/css/app.css", 200, "text/css"),
        ("/vendor/leaflet/leaflet.js", 200, "text/javascript"),
    ],
)
def test_every_kind_of_response_carries_the_headers(client, path, status, mimetype):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == mimetype
    assert_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: ignored anyway


def test_hsts_on_https_responses(client):
    response = client.get("/static/css/app.css", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert_security_headers(response)


@pytest.fixture
def proxied_app(app):
    """The app behind one reverse proxy that forces HTTPS, on the test database."""
    return create_app(
        {"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
         "SECRET_KEY": "test-secret", "PROXY_COUNT": 1, "FORCE_HTTPS": True}
    )  # fmt: skip


def test_behind_a_tls_proxy_the_responses_get_hsts(proxied_app):
    client = proxied_app.test_client()
    response = client.get("/static/css/app.css", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_force_https_redirects_plain_http_but_not_health_checks(proxied_app):
    client = proxied_app.test_client()
    response = client.get("/locaux?kind=office", base_url="http://entreprendre.example")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://entreprendre.example/locaux?kind=office"
    assert_security_headers(response)
    assert client.post("/connexion").status_code == 308  # the method and body are kept
    assert client.get("/healthz").status_code == 200  # load balancers probe over HTTP


def test_without_force_https_nothing_is_redirected(app, client):
    assert not app.config["FORCE_HTTPS"]
    assert client.get("/connexion").status_code == 200


@pytest.mark.parametrize("path", ["/locaux", "/sites/ecopole-de-senart"])
def test_the_map_script_carries_the_nonce_of_its_response(client, path):
    first, second = client.get(path), client.get(path)
    nonces = []
    for response in (first, second):
        assert response.status_code == 200
        nonce = nonce_of(response)
        assert nonce and len(nonce) >= 22  # at least 128 random bits
        page = scripts_of(response)
        assert page.inline_nonces == [nonce]  # the map's script, and no other inline script
        assert page.handlers == []
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_premises_page_map_script_has_the_nonce(client, lab):
    response = client.get(f"/locaux/{lab.premises['near'].id}")
    assert response.status_code == 200
    nonce = nonce_of(response)
    assert nonce is not None
    assert scripts_of(response).inline_nonces == [nonce]


@pytest.mark.parametrize("path", ["/", "/connexion", "/demande", "/locaux?view=liste"])
def test_pages_without_inline_script_allow_none(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert nonce_of(response) is None
    page = scripts_of(response)
    assert page.inline_nonces == []
    assert page.handlers == []
