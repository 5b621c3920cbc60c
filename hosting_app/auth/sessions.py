"""The life of a login session: its two steps, its time limits, and how every one ends.

- **Server-side end.** The id Flask-Login keeps in the session is the user's id and the
  user's current session token (Flask-Login's "alternative tokens"): logging out, changing
  the password, changing the second factor or being deactivated draws a new token, and every
  session holding the old one, on any device, even a copied cookie, is anonymous from then on.
- **New session at login.** Whatever the browser's session held is dropped when a password is
  accepted and again when the login completes (no session fixation).
- **Two steps.** Between the password and the second factor, the session holds only a pending
  mark (the user's id and token, its time, the page to go back to), valid 5 minutes, and the
  user stays anonymous: no page, no API answers them. An administrator without two-factor
  authentication goes from the password to enrolment the same way.
- **Time limits.** The session cookie carries the time of the login and of the last request:
  a session ends after 30 minutes without a request and 12 hours after the login
  (``SESSION_IDLE_TIMEOUT``, ``SESSION_ABSOLUTE_TIMEOUT``). The cookie's own lifetime is the
  idle timeout, renewed when the time of the last request is rewritten, and Flask refuses a
  signed cookie older than it.
"""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from hosting_app.auth.models import User
from hosting_app.auth.services import record_login
from hosting_app.auth.throttle import throttle
from hosting_app.extensions import db

PENDING = "_auth_pending"
LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
TOTP_SETUP = "_totp_setup"
PENDING_SECONDS = 5 * 60
# The time of the last request is rewritten at most once a minute: the cookie is not sent
# back on every request (SESSION_REFRESH_EACH_REQUEST is off), and a session idle for
# 30 minutes ends at most a minute early.
SEEN_PRECISION = 60

EXPIRED_MESSAGE = "Votre session a expiré : connectez-vous à nouveau."
CLOSED_MESSAGE = "Votre session a été fermée : connectez-vous à nouveau."
# What an administrator without two-factor authentication may still reach.
ENROLMENT_ENDPOINTS = {"auth.two_factor", "auth.logout", "static"}


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the active user whose id and session token these are."""
    raw_id, _, token = (user_id or "").partition(":")
    if not raw_id.isdigit() or not token:
        return None  # an identifier of another form (before tokens): no session
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not user.matches_session(token):
        return None
    return user


def begin(user: User, next_url: str) -> None:
    """Start a new session holding only the pending second step of ``user``'s login."""
    session.clear()
    session[PENDING] = {"user": user.get_id(), "at": int(time.time()), "next": next_url}


def pending_user() -> User | None:
    """The user half-way through logging in (password accepted), if still in time."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return load_user(str(pending.get("user", "")))


def pending_next(default: str) -> str:
    """The page to go to once the pending login completes."""
    pending = session.get(PENDING)
    return (pending or {}).get("next") or default


def complete(user: User) -> None:
    """Log ``user`` in, in a new session with its login time; the caller commits."""
    session.clear()
    login_user(user)
    session.permanent = True  # the cookie lasts PERMANENT_SESSION_LIFETIME (the idle timeout)
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    record_login(db.session, user=user)
    throttle().succeeded(account=user.email)


def keep_current(user: User) -> None:
    """After ``user.end_sessions()``, keep this session (and its login time) alive."""
    login_user(user)  # stores the id with the new token


def end(user: User | None) -> None:
    """Log out and end every session of the user; the caller commits."""
    if user is not None:
        user.end_sessions()
        db.session.flush()
    logout_user()
    session.clear()


def enforce_limits():
    """Before each request: end a session past its time limits; keep an administrator without
    two-factor authentication on the enrolment page."""
    now = time.time()
    pending = session.get(PENDING)
    if pending is not None and (
        not isinstance(pending, dict) or now - pending.get("at", 0) > PENDING_SECONDS
    ):
        session.pop(PENDING, None)
    if "_user_id" not in session:
        return None
    config = current_app.config
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if (
        not isinstance(login_at, int)
        or not isinstance(seen_at, int)
        or now - seen_at > config["SESSION_IDLE_TIMEOUT"].total_seconds()
        or now - login_at > config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    ):
        logout_user()
        session.clear()
        flash(EXPIRED_MESSAGE, "info")
        return None
    if not current_user.is_authenticated:  # ended elsewhere: logout, new password, deactivation
        session.clear()
        flash(CLOSED_MESSAGE, "info")
        return None
    if now - seen_at >= SEEN_PRECISION:
        session[SEEN_AT] = int(now)  # rewrites the cookie, whose lifetime starts again
    if (
        current_user.needs_totp
        and not current_user.has_totp
        and request.endpoint not in ENROLMENT_ENDPOINTS
    ):
        return redirect(url_for("auth.two_factor"))
    return None
