"""The one decorator that guards views by role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from hosting_app.auth.models import Role
from hosting_app.extensions import login_manager


def role_required(*roles: Role) -> Callable:
    """Let in logged-in users having one of ``roles``; others get 403, anonymous users login."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator


login_required = role_required()
