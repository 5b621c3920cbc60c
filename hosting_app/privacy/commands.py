"""hosting-app privacy purge | export | erase."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from hosting_app.audit.models import AuditAction
from hosting_app.auth.models import User
from hosting_app.extensions import db
from hosting_app.privacy import retention, services
from hosting_app.privacy.notice import RETENTION_YEARS
from hosting_app.templating import date_fr


def register(app: Flask) -> None:
    """Add the ``privacy`` command group."""
    app.cli.add_command(privacy_group)


@click.group("privacy")
def privacy_group() -> None:
    """Personal data: retention purge, subject access and erasure (GDPR)."""


def _operator(email: str | None) -> User | None:
    """The account an action is done in the name of (audit), if given."""
    if not email:
        return None
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"Aucun compte pour {email}.")
    return user


user_option = click.option(
    "--user", "operator", default=None, help="Account the action is done in the name of (audit)."
)


@privacy_group.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be purged; write nothing.")
@click.option(
    "--years", type=click.IntRange(min=1), default=RETENTION_YEARS, show_default=True,
    help="Retention after the last activity.",
)  # fmt: skip
@user_option
@with_appcontext
def purge_command(dry_run: bool, years: int, operator: str | None) -> None:
    """Delete the contact persons and erase the inquiries without activity for YEARS years."""
    user = _operator(operator)
    purge_plan = retention.plan(db.session, years=years)
    limit = date_fr(purge_plan.cutoff.date())
    verb = "seraient" if dry_run else "sont"
    click.echo(
        f"Contacts sans activité depuis le {limit} : {len(purge_plan.contacts)} ({verb} supprimés)."
    )
    for stale in purge_plan.contacts:
        click.echo(
            f"  contact n° {stale.id} — entreprise n° {stale.firm_id} « {stale.firm} » — "
            f"dernière activité le {stale.last_activity.isoformat()}"
        )
    click.echo(
        f"Demandes sans suite depuis le {limit} : {len(purge_plan.inquiries)} "
        f"(données personnelles {verb} effacées)."
    )
    for stale in purge_plan.inquiries:
        click.echo(
            f"  demande n° {stale.id} — entreprise « {stale.firm} » — "
            f"dernière activité le {stale.last_activity.isoformat()}"
        )
    if dry_run:
        db.session.rollback()
        click.echo("Simulation : rien n'a été modifié.")
        return
    result = retention.purge(db.session, purge_plan, user=user)
    db.session.commit()
    click.echo(
        f"Purge faite : {len(result.contacts)} contact(s) supprimé(s), "
        f"{len(result.inquiries)} demande(s) effacée(s), {result.audit_entries} entrée(s) du "
        f"journal et {result.free_texts} texte(s) libre(s) nettoyés."
    )


@privacy_group.command("export")
@click.option("--email", required=True, help="The person's e-mail address.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
    help="JSON file to write (default: standard output).",
)  # fmt: skip
@user_option
@with_appcontext
def export_command(email: str, output: str | None, operator: str | None) -> None:
    """Print every record about a person as JSON (right of access); the export is audited."""
    user = _operator(operator)
    subject = services.find_subject(db.session, email=email)
    if not subject.found:
        raise click.ClickException("Aucune donnée pour cette adresse.")
    data = services.export_subject(db.session, subject)
    services.record_access(
        db.session, user=user, subject=subject, action=AuditAction.EXPORT, via="cli"
    )
    db.session.commit()
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        with click.open_file(output, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        click.echo(f"Données écrites dans {output}.", err=True)
    else:
        click.echo(text)


@privacy_group.command("erase")
@click.option("--email", required=True, help="The person's e-mail address.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@user_option
@with_appcontext
def erase_command(email: str, yes: bool, operator: str | None) -> None:
    """Erase a person (right to erasure): contact persons deleted, inquiries blanked, audit
    snapshots and free texts cleaned. An account is only reported (deactivate it)."""
    user = _operator(operator)
    subject = services.find_subject(db.session, email=email)
    if not (subject.contacts or subject.inquiries):
        if subject.account is not None:
            raise click.ClickException(_account_note(subject))
        raise click.ClickException("Aucune donnée pour cette adresse.")
    click.echo(
        f"{len(subject.contacts)} contact(s) "
        f"({', '.join(f'n° {c.id}' for c in subject.contacts) or 'aucun'}) et "
        f"{len(subject.inquiries)} demande(s) "
        f"({', '.join(f'n° {i.id}' for i in subject.inquiries) or 'aucune'})."
    )
    if not yes:
        click.confirm("Effacer définitivement ces données ?", abort=True)
    ids = subject.record_ids()
    result = services.erase_subject(db.session, subject, user=user)
    services.record_erasure(db.session, user=user, subject_ids=ids, result=result, via="cli")
    db.session.commit()
    click.echo(
        f"Effacement fait : {len(result.contacts)} contact(s) supprimé(s), "
        f"{len(result.inquiries)} demande(s) effacée(s), {result.audit_entries} entrée(s) du "
        f"journal et {result.free_texts} texte(s) libre(s) nettoyés."
    )
    left = [m for m in services.remaining_mentions(db.session, subject.email)
            if m[0] != "app_user"]  # fmt: skip
    for table, column, key in left:
        click.echo(f"Attention : l'adresse figure encore dans {table}.{column} (n° {key}).")
    if subject.account is not None:
        click.echo(_account_note(subject))


def _account_note(subject: services.Subject) -> str:
    return (
        f"Un compte utilisateur (n° {subject.account.id}) porte cette adresse : il n'est pas "
        "effacé ici ; désactivez-le dans l'administration (ses actions restent au journal)."
    )
