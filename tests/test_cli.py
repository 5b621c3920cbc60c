"""The hosting-app console command, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOSTING_APP = Path(sys.executable).parent / "hosting-app"


def test_missing_postgres_binaries_name_the_debian_packages(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PG_BINDIR": str(empty), "HOSTING_APP_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [str(HOSTING_APP), "db", "status"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "apt-get install postgresql-15 postgresql-15-postgis-3" in result.stderr
    assert "Traceback" not in result.stderr


def _run(args: list[str], instance: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["HOSTING_APP_INSTANCE_PATH"] = str(instance)
    return subprocess.run(
        [str(HOSTING_APP), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=instance,
        timeout=180,
        check=False,
    )


def test_without_database_url_the_app_runs_on_its_own_cluster(tmp_path):
    try:
        upgrade = _run(["db", "upgrade"], tmp_path)
        assert upgrade.returncode == 0, upgrade.stderr
        assert (tmp_path / "postgres" / "pgdata" / "PG_VERSION").exists()
        seed = _run(["seed"], tmp_path)
        assert seed.returncode == 0, seed.stderr
        assert "sites : 17" in seed.stdout
        status = _run(["db", "status"], tmp_path)
        assert "Aucune migration en attente." in status.stdout
        assert f"Base : hosting_app ({tmp_path}/postgres/pgsocket)" in status.stdout
        # Stopped, the cluster starts again on the next command with its data.
        assert _run(["embedded-db", "stop"], tmp_path).returncode == 0
        again = _run(["seed", "--no-demo"], tmp_path)
        assert again.returncode == 0, again.stderr
        assert "communes : 32" in again.stdout
    finally:
        _run(["embedded-db", "stop"], tmp_path)
