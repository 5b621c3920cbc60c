"""Who may edit what: each organisation its own sites, admins everything, marketing nothing."""

from __future__ import annotations

from hosting_app.auth.models import Role, User
from hosting_app.backoffice.models import Event
from hosting_app.sites.models import Site

EDITOR_ROLES = (Role.ADMIN, Role.DEVELOPER)


def is_admin(user: User) -> bool:
    """Whether the user administers the whole catalogue."""
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.ADMIN


def can_edit_site(user: User, site: Site) -> bool:
    """Admins edit every site; a developer edits the sites their organisation operates."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.DEVELOPER
        and site.operator_id is not None
        and site.operator_id == user.organisation_id
    )


def can_create_site(user: User) -> bool:
    """Admins and developers create sites (a developer's are operated by their organisation)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in EDITOR_ROLES


def can_edit_event(user: User, event: Event) -> bool:
    """Admins edit every event; a developer edits those their organisation organises."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.DEVELOPER and any(
        organisation.id == user.organisation_id for organisation in event.organisations
    )
