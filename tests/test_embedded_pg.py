"""Tests for hosting_app.embedded_pg against the real PostgreSQL/PostGIS binaries (no mocks)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from hosting_app.embedded_pg import EmbeddedPostgres, EmbeddedPostgresError, MissingBinaries

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated() -> None:
    """Shadow any conftest autouse fixture of this name: these tests need no app database."""


@pytest.fixture
def base_dir() -> Iterator[Path]:
    """A short folder under /tmp (unix socket paths are limited to 107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="hpg", dir="/tmp"))
    try:
        yield path
    finally:
        for pgdata in path.glob("**/pgdata"):
            with contextlib.suppress(Exception):
                EmbeddedPostgres(pgdata.parent).stop()
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def cluster(base_dir: Path) -> EmbeddedPostgres:
    """An embedded cluster description in a fresh folder (not created yet)."""
    return EmbeddedPostgres(base_dir / "instance")


def scalar(url: str, sql: str) -> object:
    """Run one query through SQLAlchemy and return the first column of the first row."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Run statements in one transaction through SQLAlchemy."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_creates_cluster_and_postgis_database(cluster: EmbeddedPostgres) -> None:
    assert not cluster.is_initialised()
    assert not cluster.is_running()

    url = cluster.ensure_database("hosting")

    socket_dir = cluster.directory / "pgsocket"
    assert url == f"postgresql+psycopg://postgres@/hosting?host={socket_dir}"
    assert url == cluster.url("hosting")
    assert cluster.is_initialised()
    assert cluster.is_running()
    assert (socket_dir / ".s.PGSQL.5432").is_socket()
    assert (cluster.directory / "pgdata" / "PG_VERSION").is_file()
    assert (cluster.directory / "postgres.log").is_file()
    assert "POSTGIS=" in str(scalar(url, "SELECT postgis_full_version()"))
    # Socket only: no TCP listener, so the system server on 127.0.0.1:5432 is untouched.
    assert scalar(url, "SHOW listen_addresses") == ""
    assert scalar(url, "SHOW server_encoding") == "UTF8"


def test_ensure_database_is_idempotent_and_quotes_names(cluster: EmbeddedPostgres) -> None:
    first = cluster.ensure_database("hosting")
    assert cluster.ensure_database("hosting") == first

    odd = 'Odd "name"-é'
    url = cluster.ensure_database(odd, extensions=())
    assert scalar(url, "SELECT current_database()") == odd
    assert scalar(url, "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'") == 0
    cluster.ensure_database(odd, extensions=("postgis",))
    assert scalar(url, "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'") == 1


def test_reuses_existing_cluster(cluster: EmbeddedPostgres) -> None:
    url = cluster.ensure_database("hosting")
    execute(url, "CREATE TABLE marker (note text)", "INSERT INTO marker VALUES ('kept')")
    system_id = scalar(url, "SELECT system_identifier FROM pg_control_system()")
    pid = cluster.status()["pid"]

    again = EmbeddedPostgres(cluster.directory)
    assert again.is_initialised()
    assert again.is_running()
    assert again.status()["pid"] == pid
    again.ensure_running()  # already running: neither re-initialised nor restarted
    assert again.status()["pid"] == pid
    assert again.ensure_database("hosting") == url
    assert scalar(url, "SELECT note FROM marker") == "kept"

    again.stop()
    assert not cluster.is_running()
    assert not again.is_running()
    assert again.is_initialised()
    again.stop()  # stopping a stopped cluster is a no-op

    cluster.ensure_running()
    assert cluster.is_running()
    assert cluster.status()["pid"] != pid
    assert scalar(url, "SELECT note FROM marker") == "kept"
    assert scalar(url, "SELECT system_identifier FROM pg_control_system()") == system_id


def test_status_reflects_state(cluster: EmbeddedPostgres) -> None:
    socket_dir = str(cluster.directory / "pgsocket")
    assert cluster.status() == {
        "directory": str(cluster.directory),
        "initialised": False,
        "running": False,
        "socket_dir": socket_dir,
        "pid": None,
    }

    cluster.ensure_running()
    status = cluster.status()
    assert status["initialised"] is True
    assert status["running"] is True
    assert isinstance(status["pid"], int)
    assert status["socket_dir"] == socket_dir
    pid_file = cluster.directory / "pgdata" / "postmaster.pid"
    assert int(pid_file.read_text().split()[0]) == status["pid"]

    cluster.stop()
    assert cluster.status() == {
        "directory": str(cluster.directory),
        "initialised": True,
        "running": False,
        "socket_dir": socket_dir,
        "pid": None,
    }


def test_too_long_path_is_refused_clearly(base_dir: Path) -> None:
    cluster = EmbeddedPostgres(base_dir / ("x" * 110))
    with pytest.raises(EmbeddedPostgresError) as excinfo:
        cluster.ensure_running()
    message = str(excinfo.value)
    assert "socket" in message
    assert "107 bytes" in message
    assert "shorter" in message
    assert "DATABASE_URL" in message
    with pytest.raises(EmbeddedPostgresError):
        cluster.ensure_database("hosting")
    assert not cluster.directory.exists()
    assert cluster.status()["initialised"] is False


def test_restarts_after_crash_with_stale_pid_file(cluster: EmbeddedPostgres) -> None:
    url = cluster.ensure_database("hosting", extensions=())
    execute(url, "CREATE TABLE marker (note text)", "INSERT INTO marker VALUES ('kept')")
    pid = cluster.status()["pid"]
    assert pid is not None
    children = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _ppid(int(entry.name)) == pid
    ]

    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in [pid, *children]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (cluster.directory / "pgdata" / "postmaster.pid").exists()  # stale
    assert not cluster.is_running()

    cluster.ensure_running()
    assert cluster.is_running()
    assert scalar(url, "SELECT note FROM marker") == "kept"


def test_a_cluster_made_again_where_a_running_one_was_deleted_stays_reachable(
    cluster: EmbeddedPostgres,
) -> None:
    cluster.ensure_database("hosting", extensions=())
    orphan = cluster.status()["pid"]
    # The folder deleted while its server runs (a clone removed, then cloned again there).
    shutil.rmtree(cluster.directory)
    assert _alive(orphan)

    again = EmbeddedPostgres(cluster.directory)
    url = again.ensure_database("hosting", extensions=())
    # The old server is gone before the new one starts: its exit, within a minute otherwise,
    # would have removed the new server's socket, found by the same path.
    assert not _alive(orphan)
    assert again.status()["pid"] != orphan
    assert (again.socket_dir / ".s.PGSQL.5432").exists()
    assert scalar(url, "SELECT 1") == 1


def test_concurrent_processes_share_one_cluster(cluster: EmbeddedPostgres) -> None:
    code = (
        "import sys\n"
        "from hosting_app.embedded_pg import EmbeddedPostgres\n"
        "print(EmbeddedPostgres(sys.argv[1]).ensure_database('hosting'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(cluster.directory)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == cluster.url("hosting")
    assert cluster.is_running()
    assert not list(cluster.directory.glob(".pgdata-init-*"))
    log = (cluster.directory / "postgres.log").read_text()
    assert log.count("database system is ready to accept connections") == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs to hand the cluster to 'postgres'")
def test_as_root_runs_server_as_postgres_user(
    cluster: EmbeddedPostgres, base_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import pwd

    postgres = pwd.getpwnam("postgres")
    assert stat.S_IMODE(base_dir.stat().st_mode) == 0o700  # mkdtemp: postgres cannot enter

    cluster.ensure_running()

    mode = stat.S_IMODE(base_dir.stat().st_mode)
    assert mode == 0o701  # search only, never read
    err = capfd.readouterr().err
    assert str(base_dir) in err and "postgres" in err
    for name in ("pgdata", "pgsocket", "postgres.log"):
        assert (cluster.directory / name).stat().st_uid == postgres.pw_uid
    assert stat.S_IMODE((cluster.directory / "pgsocket").stat().st_mode) == 0o700
    assert Path(f"/proc/{cluster.status()['pid']}").stat().st_uid == postgres.pw_uid
    with psycopg.connect(
        host=str(cluster.directory / "pgsocket"), dbname="postgres", user="postgres"
    ) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)

    cluster.stop()
    capfd.readouterr()
    cluster.ensure_running()  # permissions already fine: nothing more is printed
    assert str(base_dir) not in capfd.readouterr().err


def test_missing_binaries_names_the_packages(
    cluster: EmbeddedPostgres, base_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = base_dir / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PG_BINDIR", str(empty))
    with pytest.raises(MissingBinaries) as excinfo:
        cluster.ensure_running()
    assert isinstance(excinfo.value, EmbeddedPostgresError)
    assert "apt-get install postgresql-15 postgresql-15-postgis-3" in str(excinfo.value)
    assert not cluster.is_initialised()


def test_unknown_extension_is_reported(cluster: EmbeddedPostgres) -> None:
    with pytest.raises(EmbeddedPostgresError, match="no_such_extension") as excinfo:
        cluster.ensure_database("hosting", extensions=("no_such_extension",))
    assert not isinstance(excinfo.value, MissingBinaries)


def _ppid(pid: int) -> int | None:
    """Parent pid of a process, or None if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """True while a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
