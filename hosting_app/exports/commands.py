"""hosting-app export … / import cnig: the pitch material and data files from the command line."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from hosting_app.extensions import db

FORMAT_CHOICE = click.Choice(["csv", "xlsx", "geojson"])


def _user(email: str | None):
    """The account an export or import is made in the name of (for the audit log)."""
    if not email:
        return None
    from hosting_app.auth.models import User

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"Aucun compte pour {email}.")
    return user


def _write(path: str, content: bytes, rows: int, what: str) -> None:
    Path(path).write_bytes(content)
    db.session.commit()  # the audit entry
    click.echo(f"{what} écrit dans {path} ({rows} enregistrements, {len(content):,} octets)."
               .replace(",", " "))  # fmt: skip


def _format(path: str, file_format: str | None) -> str:
    chosen = file_format or Path(path).suffix.lstrip(".").lower()
    if chosen not in ("csv", "xlsx", "geojson"):
        raise click.ClickException("Format inconnu : utilisez .csv, .xlsx, .geojson ou --format.")
    return chosen


user_option = click.option(
    "--user", "email", default=None, help="Account the export is made in the name of (audit)."
)


@click.group("export")
def export_group() -> None:
    """Export the pitch material (PDF), data files and the CNIG open-data package."""


@export_group.command("brochure")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@user_option
@with_appcontext
def export_brochure(path: str, email: str | None) -> None:
    """Write the territory brochure (PDF, A4) to PATH."""
    from hosting_app.exports import service

    export = service.brochure(db.session, user=_user(email), via="cli")
    _write(path, export.content, export.rows, "Brochure")


@export_group.command("sheet")
@click.argument("slug")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@user_option
@with_appcontext
def export_sheet(slug: str, path: str, email: str | None) -> None:
    """Write the sheet of the site SLUG (PDF, A4) to PATH."""
    from hosting_app.exports import queries, service
    from hosting_app.sites.models import Site

    site = db.session.scalar(queries.sites_with_details().where(Site.slug == slug))
    if site is None:
        raise click.ClickException(f"Aucun site « {slug} ».")
    export = service.site_sheet(db.session, site, user=_user(email), via="cli")
    _write(path, export.content, export.rows, "Fiche")


def _data_file_command(dataset: str, what: str, label: str) -> None:
    """``hosting-app export DATASET PATH [--format …]``: every row of a dataset as a file."""

    @export_group.command(dataset, help=f"Write every {what} to PATH as CSV, XLSX or GeoJSON.")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    @click.option("--format", "file_format", type=FORMAT_CHOICE, help="Default: PATH's extension.")
    @user_option
    @with_appcontext
    def export_data_file(path: str, file_format: str | None, email: str | None) -> None:
        from hosting_app.exports import service

        chosen = _format(path, file_format)
        export = service.data_file(db.session, dataset, chosen, user=_user(email), via="cli")
        _write(path, export.content, export.rows, label)


_data_file_command("sites", "site", "Sites")
_data_file_command("premises", "premises", "Locaux")


@export_group.command("cnig")
@click.argument("directory", type=click.Path(file_okay=False, writable=True))
@click.option("--zip", "as_zip", is_flag=True, help="Write DIRECTORY.zip instead of a folder.")
@user_option
@with_appcontext
def export_cnig(directory: str, as_zip: bool, email: str | None) -> None:
    """Write the CNIG « Sites économiques » package (site-eco, terrain-eco, pole-eco CSV,
    schemas, datapackage.json) into DIRECTORY."""
    from hosting_app.exports import cnig, service

    files, export = service.cnig_package(db.session, user=_user(email), via="cli")
    if as_zip:
        target = Path(directory).with_suffix(".zip")
        target.write_bytes(cnig.zip_bytes(files))
    else:
        target = Path(directory)
        cnig.write_dir(files, target)
    db.session.commit()
    click.echo(
        f"Paquet CNIG écrit dans {target} : {len(export.sites)} sites, "
        f"{len(export.terrains)} terrains, {len(export.poles)} pôles."
    )
    if export.unlocated:
        click.echo("Sites non localisés, absents du paquet : " + ", ".join(export.unlocated))


@click.group("import")
def import_group() -> None:
    """Import files into the catalogue."""


@import_group.command("cnig")
@click.argument("path", type=click.Path(exists=True))
@click.option("--user", "email", default=None, help="Account the import is made in the name of.")
@with_appcontext
def import_cnig(path: str, email: str | None) -> None:
    """Update the sites and land plots from CNIG files (a folder, a ZIP package or one CSV);
    all or nothing: with one bad row, nothing is written."""
    from hosting_app.exports import cnig_import

    try:
        report = cnig_import.import_path(db.session, path, user=_user(email))
    except cnig_import.CnigFormatError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    if not report.ok:
        db.session.rollback()
        for e in report.errors:
            click.echo(f"{e.file}, ligne {e.line}, colonne {e.column} : {e.message}")
        raise click.ClickException(
            f"Import annulé : {report.error_count} erreur(s) sur {report.rows} lignes ; "
            "rien n'a été écrit."
        )
    db.session.commit()
    click.echo(f"Import terminé : {report.summary()}.")


def register(app: Flask) -> None:
    """Add the export and import command groups to the app's CLI."""
    app.cli.add_command(export_group)
    app.cli.add_command(import_group)
