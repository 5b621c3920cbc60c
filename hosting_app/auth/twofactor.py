"""Two-factor authentication: TOTP codes (RFC 6238) and single-use recovery codes.

- The secret is 160 random bits (base32), shown as a QR code drawn here as inline SVG
  (segno; no outside service) and as text to type. While the user enrols it is kept in their
  own (signed, HttpOnly) session cookie, so that an abandoned or concurrent enrolment leaves
  nothing behind; it is stored in the database once confirmed with a first code, sealed
  (Fernet: AES-128-CBC and HMAC-SHA256) with a key held outside the database (TOTP_KEYS, else
  ``instance/totp_key``): a copy of the database alone gives no second factor away.
- A code is accepted for the current 30-second step and the steps just before and after
  (clocks drift), and only for a step later than the last one accepted: no code, nor an older
  one, can be replayed.
- Ten recovery codes (12 characters from an alphabet of 31, about 59 bits each) are shown
  once at enrolment and stored as argon2id hashes; each one works once.
Services flush; the caller commits.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import UTC, datetime

import pyotp
import segno
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import record
from hosting_app.auth.models import RecoveryCode, User

ISSUER = "Entreprendre à Sénart"
DIGITS = 6
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 12
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
# OWASP's minimum argon2id settings: enough for ~59-bit random codes, and ten of them can be
# tried at a login without a long wait.
_recovery_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

_TOTP_CODE = re.compile(rf"^[0-9]{{{DIGITS}}}$")


class SealError(Exception):
    """A stored TOTP secret that none of the configured keys opens."""


def _keys(keys: list[str] | None = None) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys or current_app.config["TOTP_KEYS"]])


def seal(secret: str, *, keys: list[str] | None = None) -> str:
    """``secret`` encrypted and authenticated with the first key, as stored."""
    return _keys(keys).encrypt(secret.encode()).decode()


def unseal(stored: str, *, keys: list[str] | None = None) -> str:
    """The secret that ``seal`` stored; SealError when no configured key opens it."""
    try:
        return _keys(keys).decrypt(stored.encode()).decode()
    except InvalidToken as error:
        raise SealError("no key of TOTP_KEYS opens this TOTP secret") from error


def reseal_all(session: Session) -> int:
    """Seal every stored secret again with the first key (after adding a new key in front of
    TOTP_KEYS; the old one can then be removed); return how many there are."""
    users = session.scalars(sa.select(User).where(User.totp_secret.is_not(None))).all()
    fernet = _keys()
    for user in users:
        try:
            user.totp_secret = fernet.rotate(user.totp_secret.encode()).decode()
        except InvalidToken as error:
            raise SealError(f"no key of TOTP_KEYS opens the TOTP secret of {user.email}") from error
    session.flush()
    return len(users)


def new_secret() -> str:
    """A new random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI that authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG (black on white), named for screen readers."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff")
    label = "Code QR à scanner avec votre application d'authentification"
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S704


def grouped(secret: str) -> str:
    """A secret in groups of four characters, easier to read and type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str) -> str:
    """A typed code without spaces or dashes, in lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def current_step(now: datetime | None = None) -> int:
    """The TOTP time step of ``now``."""
    return int((now or datetime.now(UTC)).timestamp()) // STEP_SECONDS


def matching_step(
    secret: str, code: str, *, after: int | None = None, now: datetime | None = None
) -> int | None:
    """The time step whose code is ``code`` (now, just before or just after), later than
    ``after``; None when there is none."""
    code = normalise_code(code)
    if not _TOTP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    step = current_step(now)
    for candidate in (step - 1, step, step + 1):
        if after is not None and candidate <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def use_totp(session: Session, user: User, code: str, *, now: datetime | None = None) -> bool:
    """Accept a TOTP code of the user once: its step is remembered so that it cannot be
    replayed, even by two requests at the same time (a conditional UPDATE)."""
    if not user.has_totp:
        return False
    try:
        secret = unseal(user.totp_secret)
    except SealError:
        current_app.logger.error(
            "TOTP secret of user %s cannot be opened: TOTP_KEYS lacks its key", user.id
        )
        return False  # the recovery codes still work
    step = matching_step(secret, code, after=user.totp_last_step, now=now)
    if step is None:
        return False
    taken = session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .where(sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return False  # another request used this step (or a later one) meanwhile
    set_committed_value(user, "totp_last_step", step)
    return True


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Accept one of the user's unused recovery codes, which then stops working."""
    code = normalise_code(code)
    if len(code) != RECOVERY_CODE_LENGTH or not set(code) <= set(RECOVERY_ALPHABET):
        return False
    for recovery in user.recovery_codes:
        if recovery.used_at is not None:
            continue
        try:
            _recovery_hasher.verify(recovery.code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        now = datetime.now(UTC)
        taken = session.execute(
            sa.update(RecoveryCode)
            .where(RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            return False  # used by another request meanwhile
        set_committed_value(recovery, "used_at", now)
        return True
    return False


def use_second_factor(session: Session, user: User, code: str) -> str | None:
    """Check a TOTP code or else a recovery code; return "totp", "recovery" or None."""
    if use_totp(session, user, code):
        return "totp"
    if use_recovery_code(session, user, code):
        return "recovery"
    return None


def remaining_recovery_codes(user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    return sum(1 for recovery in user.recovery_codes if recovery.used_at is None)


def formatted_recovery_code(code: str) -> str:
    """A recovery code as shown: three groups of four."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; return them in clear (once)."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    user.recovery_codes.clear()
    session.flush()
    for code in codes:
        user.recovery_codes.append(RecoveryCode(code_hash=_recovery_hasher.hash(code)))
    session.flush()
    return [formatted_recovery_code(code) for code in codes]


def enable(session: Session, *, user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-factor authentication on once ``code`` proves the user's app holds
    ``secret``; return the new recovery codes, or None when the code is wrong."""
    step = matching_step(secret, code)
    if step is None:
        return None
    user.totp_secret = seal(secret)
    user.totp_enabled_at = datetime.now(UTC)
    user.totp_last_step = step  # the confirming code is used up too
    codes = new_recovery_codes(session, user)
    record(session, user=user, action=AuditAction.UPDATE, entity_type="user", entity_id=user.id,
           changes={"two_factor": (False, True)}, details={"by": "user"})  # fmt: skip
    return codes


def _turn_off(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes.clear()
    session.flush()


def disable(session: Session, *, user: User) -> None:
    """Turn the user's two-factor authentication off (the caller has checked a code)."""
    _turn_off(session, user)
    record(session, user=user, action=AuditAction.UPDATE, entity_type="user", entity_id=user.id,
           changes={"two_factor": (True, False)}, details={"by": "user"})  # fmt: skip


def reset(session: Session, *, user: User, by: User) -> None:
    """An administrator turns another user's two-factor authentication off and ends their
    sessions; they enrol again at their next login (admins must)."""
    _turn_off(session, user)
    user.end_sessions()
    session.flush()
    record(session, user=by, action=AuditAction.UPDATE, entity_type="user", entity_id=user.id,
           changes={"two_factor": (True, False)},
           details={"by": "admin"})  # fmt: skip
