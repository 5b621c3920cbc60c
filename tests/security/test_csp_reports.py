"""CSP violation reports: the policy names /csp-rapport, which logs each report on one line
(URLs without their query string) and refuses what is not a report."""

from __future__ import annotations

import json
import logging

import pytest

from hosting_app.csp_reports import MAX_BYTES

LEGACY = {
    "csp-report": {
        "document-uri": "https://entreprendre-senart.fr/locaux?kind=office&token=abc",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'",
        "disposition": "enforce",
        "blocked-uri": "inline",
        "line-number": 12,
        "source-file": "https://entreprendre-senart.fr/locaux?kind=office",
        "status-code": 200,
    }
}
REPORTING_API = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": "https://entreprendre-senart.fr/sites/ecopole",
        "body": {
            "documentURL": "https://entreprendre-senart.fr/sites/ecopole#carte",
            "effectiveDirective": "img-src",
            "blockedURL": "https://tracker.example.com/pixel.gif?id=42",
            "disposition": "enforce",
            "statusCode": 200,
        },
    }
]


def _post(client, body, content_type="application/csp-report"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/csp-rapport", data=data, content_type=content_type)


def test_every_page_names_the_report_address(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "report-uri /csp-rapport" in policy


def test_a_report_is_logged_on_one_line_without_query_strings(client, caplog):
    caplog.set_level(logging.WARNING)
    response = _post(client, LEGACY)
    assert response.status_code == 204
    assert response.data == b""
    lines = [r.getMessage() for r in caplog.records if "CSP violation" in r.getMessage()]
    assert lines == [
        "CSP violation: script-src-elem blocked inline on "
        "https://entreprendre-senart.fr/locaux (source https://entreprendre-senart.fr/locaux, "
        "line 12, enforce)"
    ]
    assert "token=abc" not in caplog.text


def test_the_reporting_api_format_is_read_too(client, caplog):
    caplog.set_level(logging.WARNING)
    response = _post(client, REPORTING_API, "application/reports+json")
    assert response.status_code == 204
    assert (
        "CSP violation: img-src blocked https://tracker.example.com/pixel.gif on "
        "https://entreprendre-senart.fr/sites/ecopole (source -, line -, enforce)" in caplog.text
    )
    assert "id=42" not in caplog.text


@pytest.mark.parametrize(
    "body",
    ["not json", "{}", '{"csp-report": "inline"}', "[1, 2]", '[{"type": "csp-violation"}]'],
)
def test_what_is_not_a_report_is_refused_with_a_json_error(client, caplog, body):
    response = _post(client, body)
    assert response.status_code == 400
    assert "Rapport CSP illisible" in response.get_json()["error"]
    assert "CSP violation" not in caplog.text


def test_a_report_too_large_is_refused(client):
    padded = dict(LEGACY["csp-report"], sample="x" * MAX_BYTES)
    response = _post(client, {"csp-report": padded})
    assert response.status_code == 413
    assert "trop volumineux" in response.get_json()["error"]


def test_control_characters_cannot_forge_log_lines(client, caplog):
    caplog.set_level(logging.WARNING)
    forged = dict(LEGACY["csp-report"], **{"blocked-uri": "inline\nCSP violation: forged"})
    assert _post(client, {"csp-report": forged}).status_code == 204
    messages = [r.getMessage() for r in caplog.records]
    assert not any(m.startswith("CSP violation: forged") for m in messages)
    assert any("blocked inline?CSP violation: forged on" in m for m in messages)
