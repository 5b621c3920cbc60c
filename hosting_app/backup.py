"""Backup and restore of the whole database with PostgreSQL's own tools (pg_dump/pg_restore).

A backup is a pg_dump archive in the custom format: compressed, restorable table by table, and
readable by ``pg_restore --list``. It holds personal data (contact persons, inquiries): the
file is created readable by its owner only, and each backup and restore is audited.

A restore replaces the content of the database the app is configured on, in one transaction
(``--single-transaction``): if anything fails, the database is left as it was.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

_PG_LIB_ROOT = Path("/usr/lib/postgresql")


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why, in French."""


@dataclass(frozen=True)
class Connection:
    """How the PostgreSQL client programs reach the database: a libpq URI and environment."""

    uri: str
    env: dict[str, str]


def connection(url: sa.URL) -> Connection:
    """The libpq URI of a SQLAlchemy URL; the password goes in PGPASSWORD, never in argv."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    bare = url.set(drivername="postgresql", password=None)
    return Connection(uri=bare.render_as_string(hide_password=False), env=env)


def client_program(name: str, server_major: int | None) -> str:
    """The path of pg_dump/pg_restore: the server's major version if installed, else the
    newest installed one, else the one on PATH (a client older than the server refuses)."""
    candidates = sorted(
        (int(d.parent.name), d / name)
        for d in _PG_LIB_ROOT.glob("*/bin")
        if d.parent.name.isdigit() and os.access(d / name, os.X_OK)
    )
    for major, path in candidates:
        if major == server_major:
            return str(path)
    if candidates:
        return str(candidates[-1][1])
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} est introuvable : installez le paquet postgresql-client "
            "de la version du serveur."
        )
    return found


def server_major(engine: sa.Engine) -> int:
    """The major version of the PostgreSQL server (e.g. 15)."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000


def _run(args: list[str], env: dict[str, str], failure: str) -> subprocess.CompletedProcess:
    # argv list, no shell: the paths and URI are passed as single arguments
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{failure} : {detail[-1] if detail else 'erreur inconnue'}")
    return result


def backup(engine: sa.Engine, target: Path) -> int:
    """Write a pg_dump archive of the database to ``target`` (mode 600); return its size.

    The archive is written next to the target first and renamed once complete, so an
    interrupted backup never leaves a truncated file under the final name."""
    target = target.resolve()
    if target.is_dir():
        raise BackupError(f"{target} est un dossier : indiquez un nom de fichier.")
    target.parent.mkdir(parents=True, exist_ok=True)
    conn = connection(engine.url)
    program = client_program("pg_dump", server_major(engine))
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    os.chmod(partial, 0o600)
    try:
        _run(
            [program, "--format=custom", "--no-owner", "--no-privileges",
             f"--file={partial}", f"--dbname={conn.uri}"],
            conn.env,
            "La sauvegarde a échoué",
        )  # fmt: skip
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target.stat().st_size


def check_archive(engine: sa.Engine, source: Path) -> int:
    """Refuse a file that is not a pg_dump archive; return the number of entries it lists."""
    if not source.is_file():
        raise BackupError(f"Fichier introuvable : {source}.")
    program = client_program("pg_restore", server_major(engine))
    result = subprocess.run(  # noqa: S603 (argv list, no shell)
        [program, "--list", str(source)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(
            f"{source} n'est pas une sauvegarde lisible (archive pg_dump au format custom)."
        )
    return sum(1 for line in result.stdout.splitlines() if line and not line.startswith(";"))


def restore(engine: sa.Engine, source: Path) -> None:
    """Replace the database's content by the archive's, all or nothing."""
    check_archive(engine, source)
    engine.dispose()  # the app's pooled connections would hold locks on the tables dropped
    conn = connection(engine.url)
    program = client_program("pg_restore", server_major(engine))
    _run(
        [program, "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", f"--dbname={conn.uri}", str(source)],
        conn.env,
        "La restauration a échoué, la base n'a pas été modifiée",
    )  # fmt: skip


def _audit(action_name: str, details: dict) -> int:
    """Record and commit an audit entry of the command; return its id."""
    from hosting_app.audit.models import AuditAction
    from hosting_app.audit.service import record
    from hosting_app.extensions import db

    entry = record(
        db.session,
        user=None,
        action=AuditAction[action_name],
        entity_type="database",
        entity_id=None,
        details={"os_user": getpass.getuser(), **details},
    )
    db.session.commit()
    return entry.id


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Save the whole database to FILE (pg_dump archive, readable by its owner only)."""
    from hosting_app.audit.models import AuditEntry
    from hosting_app.audit.service import rewriting
    from hosting_app.extensions import db

    if not sa.inspect(db.engine).has_table(AuditEntry.__tablename__):
        raise click.ClickException(
            "La base n'est pas initialisée (hosting-app db upgrade) : rien à sauvegarder."
        )
    # Audited before the dump, so that the backup holds the record of its own making.
    entry_id = _audit("EXPORT", {"backup": str(file.resolve())})
    try:
        size = backup(db.engine, file)
    except BackupError as error:
        with rewriting(db.session, "withdrawn"):  # no backup was made: its entry goes
            db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == entry_id))
        db.session.commit()
        raise click.ClickException(str(error)) from None
    click.echo(f"Sauvegarde écrite : {file} ({size / 1024:,.0f} Kio).".replace(",", " "))


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database's content by the backup FILE (all or nothing)."""
    from hosting_app.extensions import db

    try:
        entries = check_archive(db.engine, file)
        database = db.engine.url.database
        if not yes:
            click.confirm(
                f"Remplacer tout le contenu de la base « {database} » par {file} "
                f"({entries} éléments) ?",
                abort=True,
            )
        db.session.close()
        restore(db.engine, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    from hosting_app import cache

    cache.invalidate()  # the public API's cached answers predate the restored data
    _audit("IMPORT", {"restore": str(file.resolve())})
    click.echo(f"Base « {database} » restaurée depuis {file}.")
