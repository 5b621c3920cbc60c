"""Password hashing with argon2id, and the rules a new password must meet.

A new password must have at least 12 characters (1,024 at most) and must not be common or
predictable. The second rule is judged by zxcvbn (Dropbox's estimator, Python port on PyPI):
it matches the password, its parts and their variants (case, l33t, reversed) against its list
of the 30,000 most common passwords (from leaked password sets) and English dictionaries,
keyboard patterns, repeats, sequences and dates, plus the words of this service and of the
account (``context``); a password it estimates guessable in fewer than 10^10 tries is refused
(« password1234 », « azertyuiop12 », « Motdepasse2024 », « Senart2024!! »…). There is no
rule on character classes, and spaces, accents and any Unicode character are allowed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Verified when the email is unknown, so that the response takes as long as a real check.
_DUMMY_HASH = _hasher.hash("not a real password")

MIN_LENGTH = 12
MAX_LENGTH = 1024
MIN_GUESSES_LOG10 = 10  # zxcvbn's estimate below which a password is too easy to guess
_ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input: the start of the password is judged

# Words of the service that make a password easy to guess for someone who knows where it is
# used (ASVS: context-specific words).
CONTEXT_WORDS = (
    "senart", "sénart", "melun", "valdeseine", "melunvaldeseine", "entreprendre", "pacte",
    "hosting", "hostingapp", "partenaire", "partenaires", "motdepasse",
)  # fmt: skip

TOO_EASY_MESSAGE = (
    "Ce mot de passe est trop courant ou trop facile à deviner (mot de passe répandu, suite de "
    "caractères, mots du service ou de votre adresse…). Choisissez-en un autre, par exemple "
    "une phrase de plusieurs mots."
)

# zxcvbn keeps the words of the current call in a module-level dictionary: one call at a time.
_zxcvbn_lock = threading.Lock()


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash (spends the same time for an unknown user)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def context_words(email: str = "", *extra: str) -> list[str]:
    """The service's words plus those of an account: its email's local part and domain."""
    words = list(CONTEXT_WORDS)
    local, _, domain = email.strip().lower().partition("@")
    words += [local, domain, domain.split(".")[0], *(part for part in local.split(".") if part)]
    words += [word.strip().lower() for word in extra]
    return [word for word in words if len(word) >= 3]


def is_common(password: str, context: Iterable[str] = ()) -> bool:
    """Whether a password is common or predictable (zxcvbn's estimate under 10^10 guesses)."""
    with _zxcvbn_lock:
        result = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=list(context))
    return result["guesses_log10"] < MIN_GUESSES_LOG10


def password_problem(password: str, *, email: str = "", context: Iterable[str] = ()) -> str | None:
    """Why a new password is refused, in French; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères."
    if len(password) > MAX_LENGTH:
        return f"Le mot de passe doit compter au plus {MAX_LENGTH} caractères."
    if is_common(password, context_words(email, *context)):
        return TOO_EASY_MESSAGE
    return None
