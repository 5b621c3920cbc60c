"""CSRF: every rule that changes state refuses a POST (PUT, PATCH, DELETE) without a valid
CSRF token from the session of a user who may use it, and nothing is written.

The rules come from the URL map; the principal and the form sent from the authorisation
table (tests/security/matrix.py). The one rule browsers call on their own (CSP reports) takes
no token and must write nothing. Bearer-token calls need no CSRF token (they carry no
cookie); a session's API call does, as any other.
"""

from __future__ import annotations

import pytest
from flask import url_for

from tests.security.matrix import (
    REFUSED_PAGE,
    SENDERS,
    TABLE,
    WRITE_METHODS,
    Outcome,
    caller,
    csrf_exempt,
    expected,
    is_api,
    methods_of,
    writes,
)
from tests.security.world import world  # noqa: F401 - the fixture

# Rules that browsers call by themselves, with no token to send: they must write nothing.
TOKENLESS = {"csp.report"}  # CSP violation reports, only logged


def _targets(app, w):
    """(endpoint, method, url, case, sender, api) for every state-changing rule."""
    targets = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
            for method in methods_of(rule):
                if method not in WRITE_METHODS:
                    continue
                case = next(c for c in TABLE[rule.endpoint] if method in c.access)
                api = is_api(rule)
                sender = next(
                    name
                    for name in SENDERS
                    if expected(case.access[method], name, method, api=api, exempt=False)
                    is Outcome.OK
                )
                url = url_for(rule.endpoint, **case.args(w))
                targets.append((rule.endpoint, method, url, case, sender, api))
    return targets


def test_every_state_changing_rule_has_a_target(app, world):  # noqa: F811
    rules = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in methods_of(rule)
        if method in WRITE_METHODS
    }
    assert {(t[0], t[1]) for t in _targets(app, world)} == rules


@pytest.mark.parametrize("token", ["missing", "another session's"])
def test_a_write_without_its_csrf_token_is_refused_and_writes_nothing(
    app,
    world,  # noqa: F811
    _isolated,
    token,
):
    connection = _isolated
    callers = {}
    stranger = caller(app, world, "dev_b")  # its CSRF token belongs to another session
    failures = []
    for endpoint, method, url, case, sender, api in _targets(app, world):
        if sender not in callers:  # one login each (an admin's second factor too)
            callers[sender] = caller(app, world, sender)
        who = callers[sender]
        data = dict(case.data(world)) if case.data else {}
        json = case.json(world) if case.json else None
        headers = {}
        if token != "missing":
            headers["X-CSRFToken"] = stranger.csrf
            if json is None:
                data["csrf_token"] = stranger.csrf
        cookies = dict(who.client._cookies)
        savepoint = connection.begin_nested()
        try:
            before = writes(connection)
            response = who.client.open(
                url, method=method, headers=headers, data=None if json else data, json=json
            )
            written = writes(connection) - before
        finally:
            savepoint.rollback()
            who.client._cookies.clear()
            who.client._cookies.update(cookies)
        where = f"{sender} {method} {url} [{endpoint}]"
        if endpoint in TOKENLESS:
            if written:
                failures.append(f"{where}: needs no token, yet wrote {written} rows")
            continue
        if response.status_code != 400:
            failures.append(f"{where}: {response.status_code}, not 400")
        elif api and not isinstance((response.get_json(silent=True) or {}).get("error"), str):
            failures.append(f"{where}: 400 without a JSON error")
        elif not (api or csrf_exempt(app, endpoint) or REFUSED_PAGE in response.get_data(True)):
            failures.append(f"{where}: 400, but not the page of a refused request")
        if written:
            failures.append(f"{where}: {written} rows written")
    assert not failures, "\n".join(failures)


def test_the_session_survives_a_forged_logout(app, world):  # noqa: F811
    who = caller(app, world, "dev_a")
    assert who.client.post("/deconnexion").status_code == 400
    assert who.client.get("/entreprises").status_code == 200  # still logged in
