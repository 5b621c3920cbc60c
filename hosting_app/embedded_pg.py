"""Embedded PostgreSQL + PostGIS cluster living in a folder (the app's default database).

When no DATABASE_URL is configured the app creates, starts and uses its own
PostgreSQL cluster inside a directory (normally the Flask instance folder):

* data in ``<directory>/pgdata``, server log in ``<directory>/postgres.log``;
* the server listens only on a unix socket in ``<directory>/pgsocket``
  (``listen_addresses = ''``), so it never clashes with a system PostgreSQL;
* no system service is touched; the server runs as the current user, or, when
  the app runs as root (PostgreSQL refuses to run as root), as the unprivileged
  ``postgres`` OS user created by Debian's postgresql package.

Server binaries are taken from ``$PG_BINDIR`` or the newest
``/usr/lib/postgresql/*/bin``. Concurrent callers (several processes or threads)
are serialised with ``fcntl.flock`` on ``<directory>/.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

__all__ = ["EmbeddedPostgres", "EmbeddedPostgresError", "MissingBinaries"]

log = logging.getLogger(__name__)

DEFAULT_MAJOR = "15"
PORT = 5432
SERVER_USER = "postgres"  # OS user the server runs as when the app runs as root
SOCKET_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux
MANAGED_CONF = "embedded_pg.conf"
START_TIMEOUT = 120  # seconds
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_PG_LIB_ROOT = Path("/usr/lib/postgresql")


class EmbeddedPostgresError(RuntimeError):
    """Any failure; message in plain English, actionable."""


class MissingBinaries(EmbeddedPostgresError):
    """PostgreSQL or PostGIS is not installed; the message names the Debian packages to install."""


def _install_hint(major: str | None = None) -> str:
    """Return the apt-get command that installs PostgreSQL + PostGIS for a major version."""
    major = major or DEFAULT_MAJOR
    return f"apt-get install postgresql-{major} postgresql-{major}-postgis-3"


@dataclass(frozen=True)
class _Binaries:
    """A PostgreSQL installation: its bin directory, major version and share directory."""

    bindir: Path
    major: str
    sharedir: Path

    def path(self, name: str) -> str:
        """Return the absolute path of one of the binaries."""
        return str(self.bindir / name)

    def has_extension(self, name: str) -> bool:
        """Return True if the extension's control file is installed."""
        return (self.sharedir / "extension" / f"{name}.control").is_file()


def _has_server_binaries(bindir: Path) -> bool:
    """Return True if bindir holds executable initdb, pg_ctl and postgres."""
    return all(os.access(bindir / name, os.X_OK) for name in _REQUIRED_BINARIES)


def _major_version(bindir: Path) -> str:
    """Return the PostgreSQL major version of the binaries in bindir, e.g. '15'."""
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        match = re.search(r"\(PostgreSQL\)\s+(\d+)(?:\.\d+)?", out)
        if match:
            return match.group(1)
    except (OSError, subprocess.SubprocessError):
        pass
    match = re.fullmatch(r"(\d+)(?:\.\d+)?", bindir.parent.name)
    if match:
        return match.group(1)
    raise EmbeddedPostgresError(
        f"Could not determine the PostgreSQL version of the binaries in {bindir}."
    )


def _share_dir(bindir: Path, major: str) -> Path:
    """Return the PostgreSQL share directory (where extension control files live)."""
    pg_config = bindir / "pg_config"
    if os.access(pg_config, os.X_OK):
        try:
            out = subprocess.run(  # noqa: S603 - fixed argv, no shell
                [str(pg_config), "--sharedir"],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout.strip()
            if out:
                return Path(out)
        except (OSError, subprocess.SubprocessError):
            pass
    return Path("/usr/share/postgresql") / major


def _find_binaries(preferred_major: str | None = None) -> _Binaries:
    """Locate server binaries: $PG_BINDIR, else /usr/lib/postgresql/<preferred|newest>/bin."""
    env_bindir = os.environ.get("PG_BINDIR")
    if env_bindir:
        bindir = Path(env_bindir)
        if not _has_server_binaries(bindir):
            raise MissingBinaries(
                f"PG_BINDIR={env_bindir} does not contain the PostgreSQL server programs "
                f"({', '.join(_REQUIRED_BINARIES)}). Point PG_BINDIR at a PostgreSQL bin "
                f"directory, or unset it and install PostgreSQL with: {_install_hint()} "
                "(or set DATABASE_URL to use an existing database server)."
            )
    else:
        candidates: list[tuple[tuple[int, ...], Path]] = []
        for bindir in _PG_LIB_ROOT.glob("*/bin"):
            if _has_server_binaries(bindir):
                key = tuple(int(p) for p in re.findall(r"\d+", bindir.parent.name)) or (0,)
                candidates.append((key, bindir))
        if not candidates:
            raise MissingBinaries(
                f"PostgreSQL server programs not found (looked in {_PG_LIB_ROOT}/*/bin; set "
                "PG_BINDIR to use another location). Install PostgreSQL and PostGIS with: "
                f"{_install_hint()} "
                "(or set DATABASE_URL to use an existing database server)."
            )
        candidates.sort()
        bindir = candidates[-1][1]
        if preferred_major is not None:
            for _key, candidate in candidates:
                if candidate.parent.name == preferred_major:
                    bindir = candidate
    major = _major_version(bindir)
    return _Binaries(bindir=bindir, major=major, sharedir=_share_dir(bindir, major))


def _is_postgis_family(extension: str) -> bool:
    """Return True for extensions shipped by the Debian postgresql-N-postgis-3 packages."""
    return extension.startswith("postgis") or extension.startswith("address_standardizer")


def _conf_string(value: str) -> str:
    """Quote a value for postgresql.conf."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _read_lock_file(path: Path) -> list[str] | None:
    """Return the lines of a PostgreSQL lock file whose first line is a pid, or None."""
    try:
        lines = path.read_text(errors="replace").splitlines()
        int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    return lines


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """Return (command name, state letter) of a process from /proc, or None if unavailable."""
    try:
        proc_stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
        comm, rest = proc_stat.split("(", 1)[1].rsplit(")", 1)
        return comm, rest.split()[0]
    except (OSError, IndexError, ValueError):
        return None


def _is_zombie(pid: int) -> bool:
    """Return True if pid is a dead process not yet reaped by its parent."""
    info = _proc_stat(pid) if pid > 0 else None
    return info is not None and info[1] in ("Z", "X")


def _is_live_postmaster(pid: int) -> bool:
    """Return True if pid is a live (non-zombie) PostgreSQL server process."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        if os.geteuid() != 0:  # not ours, so not our postmaster (pid reused)
            return False
    info = _proc_stat(pid)
    if info is None:  # no /proc: trust kill()
        return True
    comm, state = info
    return state not in ("Z", "X") and comm in ("postgres", "postmaster")


def _orphaned_postmasters(pgdata: Path) -> list[int]:
    """Live postmasters started on ``pgdata`` whose data directory has since been deleted.

    Such a server (its folder removed while it ran, e.g. a clone deleted and made again at the
    same path) notices within a minute that its lock file is gone and shuts down, removing
    *its* socket files on the way out: the files, by path, of a new cluster started there
    meanwhile."""
    found = []
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue  # gone, or not ours to look at
            if (
                b"-D" in args[:-1]
                and args[args.index(b"-D") + 1] == os.fsencode(pgdata)
                and cwd.endswith(" (deleted)")
                and _is_live_postmaster(pid)
            ):
                found.append(pid)
    return found


def _stop_orphaned_postmasters(pgdata: Path, timeout: float = 30.0) -> None:
    """Shut down the postmasters of a deleted ``pgdata`` now, and wait until they are gone."""
    for pid in _orphaned_postmasters(pgdata):
        log.warning("Stopping postmaster %s: its data directory %s was deleted", pid, pgdata)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + timeout
        while _is_live_postmaster(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _is_live_postmaster(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown


def _tail(path: Path, lines: int = 20) -> str:
    """Return the last lines of a text file, or '' if it cannot be read."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


@dataclass(frozen=True)
class _RunAs:
    """The OS identity the server programs run as."""

    uid: int
    gid: int
    name: str
    home: str
    groups: tuple[int, ...]
    switch: bool  # True when we are root and must drop privileges

    @classmethod
    def for_uid(cls, uid: int, switch: bool) -> _RunAs:
        """Build the identity of an existing OS user id."""
        try:
            pw = pwd.getpwuid(uid)
        except KeyError:
            return cls(uid, os.getgid() if not switch else uid, str(uid), "/", (), switch)
        groups = tuple(os.getgrouplist(pw.pw_name, pw.pw_gid)) if switch else ()
        return cls(pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir, groups, switch)

    def can_search(self, st: os.stat_result) -> bool:
        """Return True if this identity may traverse a directory with the given stat."""
        if st.st_uid == self.uid:
            return bool(st.st_mode & stat.S_IXUSR)
        if st.st_gid == self.gid or st.st_gid in self.groups:
            return bool(st.st_mode & stat.S_IXGRP)
        return bool(st.st_mode & stat.S_IXOTH)


class EmbeddedPostgres:
    """A PostgreSQL cluster in a directory, started on demand, reachable over a unix socket."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        """Describe (but do not create) the cluster living in directory."""
        self.directory = Path(os.path.abspath(os.fspath(directory)))
        self.pgdata = self.directory / "pgdata"
        self.socket_dir = self.directory / "pgsocket"
        self.log_file = self.directory / "postgres.log"
        self.lock_file = self.directory / ".lock"
        self._thread_lock = threading.RLock()
        self._lock_depth = 0
        self._lock_fd: int | None = None
        self._binaries: _Binaries | None = None

    def __repr__(self) -> str:
        """Return a debugging representation."""
        return f"EmbeddedPostgres({str(self.directory)!r})"

    # ----------------------------------------------------------------- state

    def is_initialised(self) -> bool:
        """Return True if the cluster's data directory has been created by initdb."""
        try:
            return (self.pgdata / "PG_VERSION").is_file()
        except PermissionError:  # data dir owned by another user: it exists, so it was initialised
            return self.pgdata.is_dir()

    def is_running(self) -> bool:
        """Return True if a postmaster for this cluster is alive."""
        return self._running_pid() is not None

    def status(self) -> dict:
        """Return a summary of the cluster's state."""
        pid = self._running_pid()
        return {
            "directory": str(self.directory),
            "initialised": self.is_initialised(),
            "running": pid is not None,
            "socket_dir": str(self.socket_dir),
            "pid": pid,
        }

    def url(self, name: str) -> str:
        """Return the SQLAlchemy URL of database name in this cluster."""
        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql+psycopg://postgres@/{quote(name, safe='')}?host={host}"

    # ------------------------------------------------------------ operations

    def ensure_running(self) -> None:
        """Create the cluster if needed and start it if not running (idempotent, process-safe)."""
        self._check_socket_path()
        with self._locked():
            self._ensure_running_locked()

    def ensure_database(self, name: str, extensions: tuple[str, ...] = ("postgis",)) -> str:
        """Start the cluster, create database name and its extensions if missing; return its URL."""
        if not name:
            raise EmbeddedPostgresError("A database name is required.")
        self._check_socket_path()
        with self._locked():
            binaries = self._get_binaries()
            for extension in extensions:
                if binaries.has_extension(extension):
                    continue
                if _is_postgis_family(extension):
                    raise MissingBinaries(
                        f"PostGIS is not installed for PostgreSQL {binaries.major} (no "
                        f"{binaries.sharedir / 'extension' / (extension + '.control')}). "
                        f"Install it with: {_install_hint(binaries.major)}"
                    )
                raise EmbeddedPostgresError(
                    f"The PostgreSQL extension {extension!r} is not installed for PostgreSQL "
                    f"{binaries.major} (no {extension}.control in "
                    f"{binaries.sharedir / 'extension'}). "
                    "Install the Debian package that provides it."
                )
            self._ensure_running_locked()
            try:
                with self._connect("postgres") as conn:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                    ).fetchone()
                    if not exists:
                        log.info("Creating database %r in the embedded PostgreSQL cluster", name)
                        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                if extensions:
                    with self._connect(name) as conn:
                        for extension in extensions:
                            conn.execute(
                                sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(
                                    sql.Identifier(extension)
                                )
                            )
            except psycopg.Error as exc:
                raise EmbeddedPostgresError(
                    f"Could not prepare database {name!r} in the embedded PostgreSQL cluster at "
                    f"{self.directory}: {exc}".rstrip()
                ) from exc
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) if it is running."""
        if not self.is_running():  # also avoids creating the folder of a cluster never made
            return
        with self._locked():
            if not self.is_running():
                return
            binaries = self._get_binaries()
            run_as = self._run_as()
            result = self._run(
                [
                    binaries.path("pg_ctl"),
                    "stop",
                    "-D",
                    str(self.pgdata),
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    str(START_TIMEOUT),
                ],
                run_as,
            )
            if result.returncode != 0 and self.is_running():
                raise EmbeddedPostgresError(
                    f"Could not stop the embedded PostgreSQL server in {self.pgdata}.\n"
                    f"pg_ctl said: {result.stdout.strip()}\n"
                    f"Last lines of {self.log_file}:\n{_tail(self.log_file)}"
                )

    # -------------------------------------------------------------- internals

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the cross-process lock on directory/.lock (re-entrant within this object)."""
        with self._thread_lock:
            if self._lock_depth == 0:
                try:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                except OSError as exc:
                    raise EmbeddedPostgresError(
                        f"Cannot use the embedded PostgreSQL folder {self.directory} "
                        f"({exc.filename}: {exc.strerror}). Run the app as the user owning it, "
                        "choose a writable instance folder, or set DATABASE_URL."
                    ) from exc
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._lock_fd = fd
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_fd is not None:
                    fd, self._lock_fd = self._lock_fd, None
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)

    def _check_socket_path(self) -> None:
        """Raise if the unix socket path would exceed the kernel's limit."""
        socket_path = self.socket_dir / f".s.PGSQL.{PORT}"
        length = len(os.fsencode(socket_path))
        if length > SOCKET_PATH_MAX:
            raise EmbeddedPostgresError(
                f"The embedded PostgreSQL socket path {socket_path} is too long ({length} "
                f"bytes; unix sockets are limited to {SOCKET_PATH_MAX} bytes). Use a shorter "
                "instance folder path (e.g. move the app to a shorter directory) or set "
                "DATABASE_URL to use another PostgreSQL server."
            )

    def _cluster_major(self) -> str | None:
        """Return the major version recorded in pgdata/PG_VERSION, if readable."""
        try:
            return (self.pgdata / "PG_VERSION").read_text().strip() or None
        except OSError:
            return None

    def _get_binaries(self) -> _Binaries:
        """Return (and cache) the binaries matching this cluster's version."""
        if self._binaries is None:
            cluster_major = self._cluster_major()
            binaries = _find_binaries(cluster_major)
            if cluster_major is not None and binaries.major != cluster_major:
                raise EmbeddedPostgresError(
                    f"The embedded cluster in {self.pgdata} was created by PostgreSQL "
                    f"{cluster_major}, but the binaries found ({binaries.bindir}) are PostgreSQL "
                    f"{binaries.major}. Install them ({_install_hint(cluster_major)}), upgrade "
                    f"the cluster with pg_upgrade, or delete {self.pgdata} to start with an "
                    "empty database."
                )
            self._binaries = binaries
        return self._binaries

    def _run_as(self) -> _RunAs:
        """Return the OS identity the server programs must run as."""
        if os.geteuid() != 0:
            return _RunAs.for_uid(os.geteuid(), switch=False)
        with contextlib.suppress(OSError):
            owner = self.pgdata.stat().st_uid
            if owner != 0:  # an existing cluster keeps its owner
                return _RunAs.for_uid(owner, switch=True)
        try:
            pw = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise EmbeddedPostgresError(
                "PostgreSQL refuses to run as root, and there is no unprivileged "
                f"'{SERVER_USER}' OS user to run it as. Install Debian's PostgreSQL packages "
                f"({_install_hint()}), which create that user, or run the app as a normal user, "
                "or set DATABASE_URL."
            ) from None
        if pw.pw_uid == 0:
            raise EmbeddedPostgresError(
                f"The '{SERVER_USER}' OS user has uid 0; PostgreSQL cannot run as it."
            )
        return _RunAs.for_uid(pw.pw_uid, switch=True)

    def _run(
        self, args: list[str], run_as: _RunAs, timeout: float = START_TIMEOUT + 30
    ) -> subprocess.CompletedProcess:
        """Run a PostgreSQL program as run_as, capturing its combined output."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        kwargs: dict = {}
        if run_as.switch:
            env.update(HOME=run_as.home, USER=run_as.name, LOGNAME=run_as.name)
            kwargs.update(user=run_as.uid, group=run_as.gid, extra_groups=list(run_as.groups))
        try:
            return subprocess.run(  # noqa: S603 - fixed argv, no shell
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                cwd=self.directory,
                env=env,
                timeout=timeout,
                **kwargs,
            )
        except subprocess.TimeoutExpired as exc:
            raise EmbeddedPostgresError(
                f"{Path(args[0]).name} did not finish within {timeout:.0f} seconds.\n"
                f"Last lines of {self.log_file}:\n{_tail(self.log_file)}"
            ) from exc
        except OSError as exc:
            raise EmbeddedPostgresError(f"Could not run {args[0]}: {exc}") from exc

    def _chown(self, path: Path, run_as: _RunAs) -> None:
        """Give path to the server user when we run as root."""
        if run_as.switch:
            os.chown(path, run_as.uid, run_as.gid)

    def _grant_traversal(self, run_as: _RunAs) -> None:
        """Make every directory leading to the cluster folder searchable by the server user."""
        if not run_as.switch:
            return
        dirs: list[Path] = []
        for path in (self.directory, self.directory.resolve()):
            for d in (*reversed(path.parents), path):
                if d not in dirs:
                    dirs.append(d)
        granted: list[str] = []
        for d in dirs:
            try:
                st = d.stat()
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode) or run_as.can_search(st):
                continue
            if st.st_uid == run_as.uid:
                bit, label = stat.S_IXUSR, "u+x"
            elif st.st_gid == run_as.gid or st.st_gid in run_as.groups:
                bit, label = stat.S_IXGRP, "g+x"
            else:
                bit, label = stat.S_IXOTH, "o+x"
            try:
                os.chmod(d, stat.S_IMODE(st.st_mode) | bit)
            except OSError as exc:
                raise EmbeddedPostgresError(
                    f"The '{run_as.name}' OS user that runs the embedded PostgreSQL server "
                    f"cannot enter {d}, and granting it search permission failed: "
                    f"{exc.strerror}. Move the instance folder elsewhere or set DATABASE_URL."
                ) from exc
            granted.append(f"{d} ({label})")
        if granted:
            print(
                f"embedded_pg: granted search-only permission to OS user '{run_as.name}' on: "
                + ", ".join(granted),
                file=sys.stderr,
            )

    def _check_ownership(self, run_as: _RunAs) -> None:
        """Raise if the data directory belongs to a user the server cannot run as."""
        try:
            owner = self.pgdata.stat().st_uid
        except OSError:
            return
        if owner != run_as.uid:
            try:
                owner_name = pwd.getpwuid(owner).pw_name
            except KeyError:
                owner_name = str(owner)
            raise EmbeddedPostgresError(
                f"The embedded PostgreSQL data in {self.pgdata} belongs to OS user '{owner_name}', "
                f"but the server would run as '{run_as.name}'. Run the app as '{owner_name}' "
                f"(or as root), delete {self.pgdata} to start over, or set DATABASE_URL."
            )

    def _running_pid(self) -> int | None:
        """Return the postmaster's pid if it is alive, else None."""
        state = self._pid_file()
        return state[0] if state else None

    def _pid_file(self) -> tuple[int, str] | None:
        """Return (pid, status) from postmaster.pid if that postmaster is alive, else None."""
        lines = _read_lock_file(self.pgdata / "postmaster.pid")
        if not lines or not _is_live_postmaster(int(lines[0])):
            return None
        status = lines[7].strip() if len(lines) > 7 else "ready"
        return int(lines[0]), status

    def _remove_stale_lock_files(self) -> None:
        """Delete lock files left by a postmaster that died but was never reaped (a zombie).

        PostgreSQL removes stale lock files itself, except when the dead postmaster is still
        a zombie (e.g. in containers whose init does not reap orphans): it then refuses to start.
        """
        for path in (self.pgdata / "postmaster.pid", self.socket_dir / f".s.PGSQL.{PORT}.lock"):
            lines = _read_lock_file(path)
            if lines and _is_zombie(int(lines[0])):
                log.warning("Removing stale lock file %s (postmaster %s is dead)", path, lines[0])
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def _initdb(self, binaries: _Binaries, run_as: _RunAs) -> None:
        """Create the cluster in a temporary folder, configure it, then move it into place."""
        self._check_ownership(run_as)
        if self.pgdata.exists():
            raise EmbeddedPostgresError(
                f"{self.pgdata} exists but is not a PostgreSQL data directory (no PG_VERSION). "
                "Remove it (or move it away) and try again."
            )
        for leftover in self.directory.glob(".pgdata-init-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        log.info("Initialising embedded PostgreSQL %s cluster in %s", binaries.major, self.pgdata)
        outputs: list[str] = []
        for locale in ("C.UTF-8", "C"):
            tmp = self.directory / f".pgdata-init-{uuid.uuid4().hex[:8]}"
            tmp.mkdir(mode=0o700)
            self._chown(tmp, run_as)
            result = self._run(
                [
                    binaries.path("initdb"),
                    "-D",
                    str(tmp),
                    "--username=postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    f"--locale={locale}",
                ],
                run_as,
            )
            if result.returncode == 0:
                break
            outputs.append(f"initdb --locale={locale} said:\n{result.stdout.strip()}")
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            raise EmbeddedPostgresError(
                f"Could not create the embedded PostgreSQL cluster in {self.pgdata}.\n"
                + "\n".join(outputs)
            )
        with open(tmp / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write(
                "\n# Added by hosting_app.embedded_pg: socket-only settings live in this file,\n"
                "# rewritten before every start by the app.\n"
                f"include_if_exists = {_conf_string(MANAGED_CONF)}\n"
            )
        self._write_managed_conf(tmp, run_as)
        os.rename(tmp, self.pgdata)

    def _write_managed_conf(self, pgdata: Path, run_as: _RunAs) -> None:
        """Write the socket-only server settings into pgdata/embedded_pg.conf."""
        socket_list = '"' + str(self.socket_dir).replace('"', '""') + '"'
        content = (
            "# Managed by hosting_app.embedded_pg; rewritten before every start. Do not edit.\n"
            "listen_addresses = ''\n"
            f"port = {PORT}\n"
            f"unix_socket_directories = {_conf_string(socket_list)}\n"
            "unix_socket_permissions = 0700\n"
        )
        path = pgdata / MANAGED_CONF
        with contextlib.suppress(OSError):
            if path.read_text(encoding="utf-8") == content:
                return
        tmp = pgdata / f".{MANAGED_CONF}.tmp"
        tmp.write_text(content, encoding="utf-8")
        os.chmod(tmp, 0o600)
        self._chown(tmp, run_as)
        os.replace(tmp, path)

    def _prepare_dirs(self, run_as: _RunAs) -> None:
        """Create the socket folder and log file with the right owner."""
        try:
            self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        except FileExistsError:
            raise EmbeddedPostgresError(
                f"{self.socket_dir} exists and is not a directory; remove it."
            ) from None
        self._chown(self.socket_dir, run_as)
        os.chmod(self.socket_dir, 0o700)
        if not self.log_file.exists():
            self.log_file.touch(mode=0o600)
        self._chown(self.log_file, run_as)

    def _start(self, binaries: _Binaries, run_as: _RunAs) -> None:
        """Start the server with pg_ctl -w; raise with the log's tail if that fails."""
        log.info("Starting embedded PostgreSQL in %s", self.pgdata)
        result = self._run(
            [
                binaries.path("pg_ctl"),
                "start",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(START_TIMEOUT),
            ],
            run_as,
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"The embedded PostgreSQL server in {self.pgdata} failed to start.\n"
                f"pg_ctl said: {result.stdout.strip()}\n"
                f"Last lines of {self.log_file}:\n{_tail(self.log_file)}"
            )

    def _ensure_running_locked(self) -> None:
        """ensure_running's body; the caller holds the lock."""
        binaries = self._get_binaries()
        run_as = self._run_as()
        _stop_orphaned_postmasters(self.pgdata)  # before its exit can remove our socket
        self._grant_traversal(run_as)
        if not self.is_initialised():
            self._initdb(binaries, run_as)
            self._binaries = None  # re-check against the new PG_VERSION
            binaries = self._get_binaries()
        self._check_ownership(run_as)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            state = self._pid_file()
            if state is None:
                break
            if state[1] in ("ready", "standby"):
                return
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"The embedded PostgreSQL server (pid {state[0]}) stayed in state "
                    f"{state[1]!r} for {START_TIMEOUT} seconds.\n"
                    f"Last lines of {self.log_file}:\n{_tail(self.log_file)}"
                )
            time.sleep(0.1)  # starting up or shutting down: wait for it to settle
        self._prepare_dirs(run_as)
        self._remove_stale_lock_files()
        self._write_managed_conf(self.pgdata, run_as)
        self._start(binaries, run_as)

    def _connect(self, dbname: str) -> psycopg.Connection:
        """Open an autocommit connection to dbname over the cluster's socket."""
        try:
            return psycopg.connect(
                host=str(self.socket_dir),
                port=PORT,
                dbname=dbname,
                user="postgres",
                autocommit=True,
                connect_timeout=30,
            )
        except psycopg.OperationalError as exc:
            raise EmbeddedPostgresError(
                f"Cannot connect to the embedded PostgreSQL server through {self.socket_dir}: "
                f"{str(exc).strip()}\nLast lines of {self.log_file}:\n{_tail(self.log_file)}"
            ) from exc
