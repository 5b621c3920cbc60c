"""Throttling of failed logins, per account and per client address.

Only failures count: a wrong password, a wrong second-factor code, a wrong current password
when changing it. Once an account or an address has used up its failures (by default 10 per
hour per account, 30 per hour per address, in a moving window), its attempts are refused with
HTTP 429 before any password is checked, until the oldest failure leaves the window.

The counters live in the rate-limit storage of Flask-Limiter (the ``limits`` library it counts
with), built from the app's configuration: Redis when ``REDIS_URL`` is set, shared by every
worker; memory otherwise. The object is kept per app in ``app.extensions["login_throttle"]``.
Should Redis fail, the counts go on in the process's memory rather than letting every attempt
through.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT_LIMIT = "10 per hour"
DEFAULT_ADDRESS_LIMIT = "30 per hour"


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go on and, if not, in how many seconds it may."""

    allowed: bool
    retry_after: int = 0

    @property
    def minutes(self) -> int:
        """The wait rounded up to whole minutes (at least 1)."""
        return max(1, math.ceil(self.retry_after / 60))


class LoginThrottle:
    """Counts failed logins per account and per address; says when to refuse."""

    def __init__(
        self,
        storage: Storage,
        *,
        account_limit: str = DEFAULT_ACCOUNT_LIMIT,
        address_limit: str = DEFAULT_ADDRESS_LIMIT,
        key_prefix: str = "",
    ) -> None:
        self.storage = storage
        self.account_limit: RateLimitItem = parse(account_limit)
        self.address_limit: RateLimitItem = parse(address_limit)
        self.key_prefix = key_prefix
        self._strategy = MovingWindowRateLimiter(storage)
        self._fallback = MovingWindowRateLimiter(MemoryStorage())

    @classmethod
    def from_config(cls, config: dict) -> LoginThrottle:
        """The throttle described by an app's configuration."""
        from hosting_app.limits import storage_uri

        return cls(
            storage_from_string(storage_uri(config)),
            account_limit=config.get("LOGIN_ACCOUNT_LIMIT") or DEFAULT_ACCOUNT_LIMIT,
            address_limit=config.get("LOGIN_ADDRESS_LIMIT") or DEFAULT_ADDRESS_LIMIT,
            key_prefix=config.get("RATELIMIT_KEY_PREFIX") or "",
        )

    def _keys(self, account: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        # The account is hashed: no email address is written in Redis.
        account_key = hashlib.sha256(account.strip().lower().encode()).hexdigest()
        return [
            (self.account_limit, (self.key_prefix, "login-account", account_key)),
            (self.address_limit, (self.key_prefix, "login-address", address or "-")),
        ]

    def _run(self, method: str, *args):
        try:
            return getattr(self._strategy, method)(*args)
        except Exception:  # the storage is unreachable: count in this process meanwhile
            log.exception("Login throttle storage failed; counting in memory")
            return getattr(self._fallback, method)(*args)

    def check(self, *, account: str, address: str) -> Verdict:
        """Whether one more attempt for ``account`` from ``address`` may be checked."""
        waits = []
        for item, identifiers in self._keys(account, address):
            if not self._run("test", item, *identifiers):
                stats = self._run("get_window_stats", item, *identifiers)
                waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        return Verdict(allowed=not waits, retry_after=max(waits, default=0))

    def failed(self, *, account: str, address: str) -> None:
        """Count one failed attempt against the account and the address."""
        for item, identifiers in self._keys(account, address):
            self._run("hit", item, *identifiers)

    def succeeded(self, *, account: str) -> None:
        """Forget the account's failures after a complete login (not the address's: one's own
        account must not reset the count of an address trying others)."""
        item, identifiers = self._keys(account, "")[0]
        self._run("clear", item, *identifiers)

    def clear(self, *, account: str, address: str) -> None:
        """Forget the failures of an account and of an address."""
        for item, identifiers in self._keys(account, address):
            self._run("clear", item, *identifiers)

    def reset(self) -> None:
        """Forget every count (tests). Only in memory: on Redis it would wipe every counter."""
        if not isinstance(self.storage, MemoryStorage):
            raise RuntimeError("reset() is for the memory storage; use clear() on Redis")
        self.storage.reset()
        self._fallback.storage.reset()


def throttle() -> LoginThrottle:
    """The current app's login throttle."""
    return current_app.extensions["login_throttle"]
