"""The authorisation matrix: every rule of the URL map, every method, every principal.

Each request runs in a savepoint rolled back after it, so that no request changes what the
next one sees, and the rows it wrote are counted: a refused request must have written none.
The principals and the rules' access are described in ``tests/security/matrix.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from tests.security.matrix import (
    ALL_MARKERS,
    PRINCIPALS,
    SHOWN_TO_DEV_A,
    TABLE,
    Outcome,
    caller,
    csrf_exempt,
    expected,
    is_api,
    judge,
    leaked,
    methods_of,
    untabled,
    writes,
)
from tests.security.world import World, world  # noqa: F401 - the fixture


def test_every_rule_is_in_the_table(app):
    missing = untabled(app)
    assert not missing, (
        "These rules are not in TABLE (tests/security/matrix.py): add each one with who may "
        "use it, so that no endpoint is left open by mistake:\n  " + "\n  ".join(missing)
    )


def _requests(app, w: World):
    """(endpoint, method, url, case, api, exempt) for every case of every rule."""
    planned = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
            for case in TABLE.get(rule.endpoint, []):
                url = url_for(rule.endpoint, **case.args(w))
                for method in methods_of(rule):
                    if method in case.access:
                        exempt = csrf_exempt(app, rule.endpoint)
                        planned.append((rule.endpoint, method, url, case, is_api(rule), exempt))
    return planned


def _put_back_files(w: World) -> None:
    """A removed photo's files come back with its row (the savepoint's rollback)."""
    folder = Path(w.upload_dir) / "photos"
    for name, content in w.files.items():
        if not (folder / name).exists():
            (folder / name).write_bytes(content)


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_matrix(app, world, _isolated, principal):  # noqa: F811
    connection = _isolated
    who = caller(app, world, principal)
    failures, leaks, shown = [], [], set()
    for endpoint, method, url, case, api, exempt in _requests(app, world):
        outcome = expected(case.access[method], principal, method, api=api, exempt=exempt)
        default = frozenset({200}) if method == "GET" else frozenset({200, 302, 303, 400, 409})
        ok = case.ok.get(method, default)
        data = case.data(world) if case.data else None
        json = case.json(world) if case.json else None
        savepoint = connection.begin_nested()
        try:
            before = writes(connection)
            response = who.send(method, url, data=data, json=json)
            written = writes(connection) - before
        finally:
            savepoint.rollback()
            _put_back_files(world)
        where = f"{method} {url} [{endpoint}]"
        problem = judge(outcome, response, ok, to_login=case.to_login)
        if problem:
            failures.append(f"{where}: {problem} (expected {outcome.value})")
        if outcome is not Outcome.OK and written:
            failures.append(f"{where}: refused ({outcome.value}) after writing {written} rows")
        text = response.get_data().decode(errors="replace")
        shown.update(marker for marker in ALL_MARKERS if marker in text)
        found = leaked(principal, text)
        if found:
            leaks.append(f"{where}: {', '.join(found)}")
    assert not failures, f"{principal}:\n  " + "\n  ".join(failures)
    assert not leaks, f"{principal} received data it must not see:\n  " + "\n  ".join(leaks)
    if principal == "dev_a":
        assert set(SHOWN_TO_DEV_A) <= shown, set(SHOWN_TO_DEV_A) - shown


def test_unknown_objects_are_404(app, world, _isolated):  # noqa: F811
    """An id that matches nothing is a 404 (never a 500) for those who may use the rule."""
    connection = _isolated
    planned = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            integers = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
            if not integers:
                continue
            case = TABLE[rule.endpoint][0]
            args = case.args(world) | dict.fromkeys(integers, 2_000_000_000)
            for method in methods_of(rule):
                planned.append((rule.endpoint, method, url_for(rule.endpoint, **args), case))
    # The merge form names the two firms of its URL: another pair is a bad request first.
    bad_request = {("merge.merge", "POST")}
    failures = []
    for principal in ("dev_a", "admin", "token_dev_a"):
        who = caller(app, world, principal)
        for endpoint, method, url, case in planned:
            data = case.data(world) if case.data else None
            json = case.json(world) if case.json else None
            savepoint = connection.begin_nested()
            try:
                response = who.send(method, url, data=data, json=json)
            finally:
                savepoint.rollback()
            access = case.access[method]
            if expected(access, principal, method, api=False, exempt=False) is not Outcome.OK:
                continue  # refused before the object is looked up: the matrix checks that
            want = 400 if (endpoint, method) in bad_request else 404
            if response.status_code != want:
                failures.append(f"{principal} {method} {url}: {response.status_code}, not {want}")
    assert not failures, "\n".join(failures)
