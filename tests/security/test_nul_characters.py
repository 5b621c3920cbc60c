"""PostgreSQL's text cannot hold U+0000: a form or query value carrying one is refused by
every rule alike (400, a French page or a JSON error), before any view reads it, and nothing
is written. Found in the public inquiry form and the firm form, which failed with a 500."""

from __future__ import annotations

from flask import url_for

from tests.security.matrix import (
    REFUSED_PAGE,
    SENDERS,
    TABLE,
    WRITE_METHODS,
    Outcome,
    caller,
    expected,
    is_api,
    methods_of,
    writes,
)
from tests.security.world import world  # noqa: F401 - the fixture


def _poisoned(data: dict) -> dict:
    """The form with a NUL in each of its text values, and one more field holding one."""
    values = {k: (f"{v}\x00" if isinstance(v, str) and k != "csrf_token" else v)
              for k, v in data.items()}  # fmt: skip
    return {**values, "remarque": "avant\x00après"}


def test_a_nul_character_is_refused_by_every_rule_and_writes_nothing(
    app,
    world,  # noqa: F811
    _isolated,
):
    connection = _isolated
    callers = {}
    failures = []
    with app.test_request_context():
        rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))
        targets = []
        for rule in rules:
            if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
                continue
            for method in methods_of(rule):
                case = next(c for c in TABLE[rule.endpoint] if method in c.access)
                api = is_api(rule)
                sender = next(
                    (name for name in SENDERS
                     if expected(case.access[method], name, method, api=api, exempt=False)
                     is Outcome.OK),
                    None,
                )  # fmt: skip
                if sender is not None:
                    url = url_for(rule.endpoint, **case.args(world))
                    targets.append((rule.endpoint, method, url, case, sender, api))
    for endpoint, method, url, case, sender, api in targets:
        if sender not in callers:
            callers[sender] = caller(app, world, sender)
        who = callers[sender]
        savepoint = connection.begin_nested()
        try:
            before = writes(connection)
            if method in WRITE_METHODS and case.json is None:
                data = _poisoned(dict(case.data(world)) if case.data else {})
                response = who.send(method, url, data=data)
            else:  # a query parameter, the only text a GET or a JSON call takes from a form
                separator = "&" if "?" in url else "?"
                json = case.json(world) if case.json else None
                response = who.send(method, f"{url}{separator}remarque=a%00b", json=json)
            written = writes(connection) - before
        finally:
            savepoint.rollback()
        where = f"{sender} {method} {url} [{endpoint}]"
        if response.status_code != 400:
            failures.append(f"{where}: {response.status_code}, not 400")
        elif api and "Caractère nul" not in (response.get_json(silent=True) or {}).get("error", ""):
            failures.append(f"{where}: 400 without the JSON error")
        elif not api and REFUSED_PAGE not in response.get_data(as_text=True):
            failures.append(f"{where}: 400, but not the page of a refused request")
        if written:
            failures.append(f"{where}: {written} rows written")
    assert len(targets) > 100
    assert not failures, "\n".join(failures)
