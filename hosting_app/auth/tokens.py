"""Personal API tokens: sent as ``Authorization: Bearer …``, stored only as a SHA-256 hash.

A token is 32 random bytes (``secrets.token_urlsafe``) behind the ``hap_`` marker: it is too
long to guess, so a fast unsalted digest with a unique index is enough to find it on every
request (a slow password hash such as argon2 would only slow each request down).
A request that presents a Bearer token is judged on that token alone: its cookies are ignored
and no cookie is set in its response (see ``TokenAwareRequest`` and ``TokenAwareSessions``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property
from werkzeug.wrappers import Response

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import record
from hosting_app.auth.models import User
from hosting_app.auth.services import AccountError
from hosting_app.db import Base

MARKER = "hap_"
PREFIX_LENGTH = len(MARKER) + 8  # what is shown and typed to revoke: hap_ + 8 random chars
LAST_USED_PRECISION = timedelta(minutes=1)  # last_used_at is written at most once a minute

REFUSED_MESSAGE = "Jeton invalide, expiré ou révoqué."


class ApiToken(Base):
    """A user's personal API token; only its hash and a short prefix are kept."""

    __tablename__ = "api_token"
    __table_args__ = (sa.CheckConstraint("token_hash ~ '^[0-9a-f]{64}$'", name="hash_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(PREFIX_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()

    def is_valid(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} of user {self.user_id}>"


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, *, email: str, name: str = "", expires_in: timedelta | None = None
) -> tuple[ApiToken, str]:
    """Create a token for an active user; return it with the clear token, shown only once."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise AccountError(f"Aucun compte pour {email.strip().lower()}.")
    if not user.active:
        raise AccountError(f"Le compte {user.email} est désactivé.")
    while True:
        token = MARKER + secrets.token_urlsafe(32)
        prefix = token[:PREFIX_LENGTH]
        taken = sa.select(ApiToken.id).where(ApiToken.prefix == prefix)
        if session.scalar(taken) is None:  # 48 random bits: practically never taken
            break
    now = datetime.now(UTC)
    api_token = ApiToken(
        user=user,
        name=name,
        token_hash=hash_token(token),
        prefix=prefix,
        created_at=now,
        expires_at=now + expires_in if expires_in is not None else None,
    )
    session.add(api_token)
    session.flush()
    return api_token, token


def user_tokens(session: Session, *, email: str) -> list[ApiToken]:
    """Every token of a user, oldest first."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise AccountError(f"Aucun compte pour {email.strip().lower()}.")
    query = sa.select(ApiToken).where(ApiToken.user == user).order_by(ApiToken.id)
    return list(session.scalars(query))


def revoke_token(session: Session, *, prefix: str) -> ApiToken:
    """Revoke the token shown as ``prefix``; it stops working at once (already revoked: kept)."""
    api_token = session.scalar(sa.select(ApiToken).where(ApiToken.prefix == prefix.strip()))
    if api_token is None:
        raise AccountError(f"Aucun jeton ne commence par {prefix.strip()}.")
    if api_token.revoked_at is None:
        api_token.revoked_at = datetime.now(UTC)
        session.flush()
    return api_token


def active_tokens(session: Session, *, user: User, now: datetime | None = None) -> int:
    """How many of the user's tokens still work (neither revoked nor expired)."""
    now = now or datetime.now(UTC)
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .where(sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
    )


def revoke_user_tokens(session: Session, *, user: User) -> int:
    """Revoke every token of the user that is not revoked yet (audited); return how many."""
    revoked = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    ).rowcount
    if revoked:
        record(session, user=user, action=AuditAction.UPDATE, entity_type="user",
               entity_id=user.id, details={"api_tokens_revoked": revoked})  # fmt: skip
    return revoked


def valid_token(session: Session, *, token: str, now: datetime | None = None) -> ApiToken | None:
    """The token matching ``token`` if it is neither revoked nor expired and its user active."""
    api_token = session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == hash_token(token))
        .options(joinedload(ApiToken.user))
    )
    if api_token is None or not api_token.is_valid(now or datetime.now(UTC)):
        return None
    return api_token if api_token.user.active else None


def record_use(session: Session, *, api_token: ApiToken, now: datetime | None = None) -> bool:
    """Note that the token was used; written at most once a minute (whether it was written)."""
    now = now or datetime.now(UTC)
    if api_token.last_used_at is not None and now - api_token.last_used_at < LAST_USED_PRECISION:
        return False
    api_token.last_used_at = now
    session.flush()
    return True


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header ("" when empty), else None."""
    authorization = request.authorization
    if authorization is None or authorization.type != "bearer":
        return None
    return authorization.token or ""


class TokenAwareRequest(Request):
    """Flask's request, whose cookies are ignored when it presents a Bearer token.

    Neither the session cookie nor Flask-Login's remember cookie can then stand in for a
    missing or refused token.
    """

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The request's cookies; none for a Bearer request."""
        if bearer_token(self) is not None:
            return ImmutableMultiDict()
        return super().cookies


class TokenSession(SecureCookieSession):
    """The session of a Bearer request: starts empty and is never sent back."""


class TokenAwareSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions, except that Bearer requests get a throwaway one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """A throwaway session for a Bearer request, else the cookie's."""
        if bearer_token(request) is not None:
            return TokenSession()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Set no cookie in the response to a Bearer request."""
        if isinstance(session, TokenSession):
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Make Bearer requests cookieless in and out."""
    app.request_class = TokenAwareRequest
    app.session_interface = TokenAwareSessions()
