"""Test fixtures on a real PostGIS database.

The database is made once per session by the Alembic migrations (which tests them) and loaded
with the reference seed; every test then runs in a transaction rolled back at its end.
TEST_DATABASE_URL selects a server; without it the embedded cluster of the app is used.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from hosting_app import create_app, migrate
from hosting_app.extensions import db
from tests.helpers import PASSWORD, TOTP_SECRET

pytest_plugins = ["tests.lab", "tests.crm"]

REPO = Path(__file__).resolve().parent.parent
TEST_DATABASE = os.environ.get("TEST_DATABASE_NAME", "hosting_app_test")


def server_url(database: str) -> str:
    """URL of ``database`` on the test server (TEST_DATABASE_URL, else the embedded cluster)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = sa.make_url(base).set(drivername="postgresql+psycopg")
        return url.set(database=database).render_as_string(hide_password=False)
    cluster = _test_cluster()
    cluster.ensure_running()
    return cluster.url(database)


def _test_cluster():
    from hosting_app.embedded_pg import EmbeddedPostgres

    return EmbeddedPostgres(REPO / "instance" / "test-postgres")


def recreate_database(name: str) -> str:
    """Drop and create an empty database with PostGIS; return its URL."""
    admin = sa.create_engine(server_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url(name)


def seeded_app(database: str, **config):
    """The app on database ``database``, recreated, migrated and seeded."""
    url = recreate_database(database)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret", **config})
    with app.app_context():
        migrate.upgrade(db.engine)
        from seed import load

        load.run(db.session)
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def app():
    """The app on a freshly migrated and seeded test database."""
    app = seeded_app(TEST_DATABASE)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(app):
    """Run each test in a transaction rolled back at its end.

    The app's sessions join an outer transaction on one connection; their commits only
    release savepoints (SQLAlchemy's "joining a session into an external transaction").
    """
    with app.app_context():
        engine, maker = db.engine, db.sessionmaker
    connection = engine.connect()
    outer = connection.begin()
    original = dict(maker.kw)
    maker.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield connection
    finally:
        maker.kw.clear()
        maker.kw.update(original)
        outer.rollback()
        connection.close()


@pytest.fixture
def session(app, _isolated):
    """A session on the test's transaction, outside any app context: requests sent by the
    test client then get their own context (and their own logged-in user)."""
    with app.app_context():
        maker = db.sessionmaker
    session = maker()
    yield session
    session.close()


@pytest.fixture
def client(app) -> FlaskClient:
    """A test client; requests are never sent inside an active app context."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the hosting-app CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a user (committed inside the test's transaction) and return its email.

    Administrators must have two-factor authentication: they are made enrolled with
    TOTP_SECRET, and tests.helpers.login answers the second step for them."""
    from datetime import UTC, datetime

    from hosting_app.auth import twofactor
    from hosting_app.auth.models import Role
    from hosting_app.auth.services import create_user

    def make(
        role: str = "developer",
        organisation: str = "epa_senart",
        email: str | None = None,
        totp: bool | None = None,
    ):
        with app.app_context():
            user = create_user(
                db.session,
                email=email or f"{role}.{organisation}@example.fr",
                password=PASSWORD,
                organisation_key=organisation,
                role=Role(role),
            )
            if totp if totp is not None else user.needs_totp:
                user.totp_secret = twofactor.seal(TOTP_SECRET)
                user.totp_enabled_at = datetime.now(UTC)
            db.session.commit()
            return user.email

    return make
