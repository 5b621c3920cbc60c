"""hosting-app backup / restore: a round trip gives back every row, and bad files change nothing."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from hosting_app import create_app
from hosting_app.audit.service import rewriting
from hosting_app.extensions import db
from tests.conftest import TEST_DATABASE, recreate_database, seeded_app

# Every table of the app, its row count and a checksum of its rows in a stable order.
FINGERPRINT = """
SELECT format(
  'SELECT %L AS name, count(*) AS rows, md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L))
   FROM %I.%I AS t', table_name, '|', '', table_schema, table_name)
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'
ORDER BY table_name
"""


def fingerprint(engine: sa.Engine) -> dict[str, tuple[int, str]]:
    with engine.connect() as conn:
        queries = conn.execute(sa.text(FINGERPRINT)).scalars().all()
        return {row.name: (row.rows, row.md5) for q in queries for row in conn.execute(sa.text(q))}


@pytest.fixture(scope="module")
def other_app():
    """The app on a database of its own: a restore replaces a whole database."""
    app = seeded_app(f"{TEST_DATABASE}_backup")
    yield app
    with app.app_context():
        db.engine.dispose()


def engine_of(app) -> sa.Engine:
    with app.app_context():
        return db.engine


def test_round_trip_gives_back_every_row(other_app, tmp_path):
    runner = other_app.test_cli_runner()
    engine = engine_of(other_app)
    archive = tmp_path / "sauvegarde.dump"

    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600  # it holds personal data
    before = fingerprint(engine)
    assert before["site"][0] > 0 and before["premises"][0] > 0 and before["firm"][0] > 0

    # Damage the data after the backup: rows deleted, a row changed, a row added.
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM premises WHERE id IN (SELECT id FROM premises LIMIT 5)"))
        conn.execute(
            sa.text("UPDATE site SET name = 'abîmé' WHERE id = (SELECT min(id) FROM site)")
        )  # noqa: E501
        with rewriting(conn, "damage"):  # the audit log is append-only otherwise
            conn.execute(sa.text("DELETE FROM audit_entry"))
    assert fingerprint(engine) != before

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output

    after = fingerprint(engine)
    audit_rows = after.pop("audit_entry")[0]
    before_audit = before.pop("audit_entry")[0]
    assert after == before  # every table: same rows, same checksum
    assert audit_rows == before_audit + 1  # the restore itself is audited
    assert before_audit >= 1
    with engine.connect() as conn:
        actions = (
            conn.execute(
                sa.text("SELECT action::text FROM audit_entry WHERE entity_type = 'database'")
            )
            .scalars()
            .all()
        )
    assert sorted(actions) == ["export", "import"]  # the backup (kept in it) and the restore


def test_restore_refuses_a_file_that_is_not_a_backup(other_app, tmp_path):
    runner = other_app.test_cli_runner()
    engine = engine_of(other_app)
    bogus = tmp_path / "pas-une-sauvegarde.dump"
    bogus.write_text("SELECT 1;\n")
    before = fingerprint(engine)

    result = runner.invoke(args=["restore", str(bogus), "--yes"])

    assert result.exit_code != 0
    assert "n'est pas une sauvegarde lisible" in result.output
    assert fingerprint(engine) == before


def test_restore_asks_before_replacing_everything(other_app, tmp_path):
    runner = other_app.test_cli_runner()
    archive = tmp_path / "sauvegarde.dump"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    with engine_of(other_app).begin() as conn:
        conn.execute(sa.text("DELETE FROM premises WHERE id IN (SELECT id FROM premises LIMIT 1)"))
    before = fingerprint(engine_of(other_app))

    result = runner.invoke(args=["restore", str(archive)], input="n\n")

    assert result.exit_code != 0
    assert "Remplacer tout le contenu" in result.output
    assert fingerprint(engine_of(other_app)) == before


def test_backup_to_a_folder_is_refused(other_app, tmp_path):
    result = other_app.test_cli_runner().invoke(args=["backup", str(tmp_path)])
    assert result.exit_code != 0


def test_restore_into_an_empty_database(other_app, tmp_path):
    """A new machine: an empty database receives the backup whole."""
    archive = tmp_path / "sauvegarde.dump"
    assert other_app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    expected = fingerprint(engine_of(other_app))
    url = recreate_database(f"{TEST_DATABASE}_restored")
    fresh = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})

    result = fresh.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])

    assert result.exit_code == 0, result.output
    restored = fingerprint(engine_of(fresh))
    assert restored.pop("audit_entry")[0] == expected.pop("audit_entry")[0] + 1
    assert restored == expected
    engine_of(fresh).dispose()


def test_backup_of_an_empty_database_is_refused(tmp_path):
    url = recreate_database(f"{TEST_DATABASE}_empty")
    empty = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})

    result = empty.test_cli_runner().invoke(args=["backup", str(tmp_path / "vide.dump")])

    assert result.exit_code != 0
    assert "n'est pas initialisée" in result.output
    assert not (tmp_path / "vide.dump").exists()
    engine_of(empty).dispose()


def test_a_restore_clears_the_public_api_cache(tmp_path):
    app = seeded_app(f"{TEST_DATABASE}_cached", API_CACHE="memory")
    engine = engine_of(app)
    archive = tmp_path / "sauvegarde.dump"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    with engine.begin() as conn:  # plain SQL: unseen by the cache's listeners
        conn.execute(sa.text("UPDATE site SET name = 'Nom abîmé'"))
    client = app.test_client()
    assert "Nom abîmé" in client.get("/api/sites").get_data(as_text=True)  # now cached

    result = app.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])

    assert result.exit_code == 0, result.output
    assert "Nom abîmé" not in client.get("/api/sites").get_data(as_text=True)
    engine.dispose()
