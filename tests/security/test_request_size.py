"""Every request body has a size limit: refused (413) before it is read, in French or in JSON."""

from __future__ import annotations

import re

from tests.helpers import csrf_token
from tests.inquiries.conftest import stored_inquiries


def test_an_oversize_form_is_refused_and_nothing_is_stored(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    token = csrf_token(client.get("/demande").get_data(as_text=True))
    before = len(stored_inquiries(app))

    response = client.post("/demande", data={"csrf_token": token, "message": "x" * (200 * 1024)})

    assert response.status_code == 413
    assert "dépasse la taille acceptée" in response.get_data(as_text=True)
    assert len(stored_inquiries(app)) == before


def test_an_oversize_api_request_gets_a_json_error(app, client, runner, make_user, monkeypatch):
    token = runner.invoke(args=["users", "token", make_user("developer")]).output
    bearer = re.search(r"^hap_[A-Za-z0-9_-]{43}$", token, re.MULTILINE).group(0)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)

    response = client.post(
        "/api/firms/match",
        data="{" + " " * (200 * 1024) + "}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {bearer}"},
    )

    assert response.status_code == 413
    assert response.get_json() == {"error": "Requête trop volumineuse."}


def test_the_default_limit_is_set(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 32 * 1024 * 1024
