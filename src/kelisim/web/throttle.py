"""Login throttling per account and per client address (OWASP ASVS 2.2.1, NIST SP 800-63B
section 5.2.2): after ``free`` failures in a row a key must wait ``base_delay * 2**k`` seconds
(k = failures beyond ``free``) before its next try, and after ``lock_after`` failures it is
locked for ``lock_seconds``. An address gets ``address_factor`` times the tries of an account
(several people may share one address). A success clears the account's count; a key is
forgotten ``lock_seconds`` after its last failure. Refused tries cost no password hash.

Counts are kept in the server's memory (a restart clears them); every delay and lock is
written to the audit log.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from kelisim.limits import MAX_TEXT
from kelisim.web import auth

THROTTLE_WHO = "login-throttle"


@dataclass(frozen=True)
class Limits:
    free: int = 5
    lock_after: int = 10
    base_delay: float = 1.0
    lock_seconds: float = 900.0
    address_factor: int = 4


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    blocked_until: float = 0.0


class LoginThrottled(Exception):
    """A login try refused before checking the password; ``seconds`` until the next try."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(1, math.ceil(seconds))
        super().__init__(
            f"Too many failed logins for this account or from this address; try again in "
            f"{self.seconds} seconds."
        )


class LoginThrottle:
    """Failure counts of accounts and client addresses, safe to share between threads."""

    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic):
        self.limits = limits or Limits()
        self.clock = clock
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    def _thresholds(self, key: str) -> tuple[int, int]:
        factor = self.limits.address_factor if key.startswith("address:") else 1
        return self.limits.free * factor, self.limits.lock_after * factor

    def wait(self, keys: list[str]) -> float:
        """Seconds until any of ``keys`` may try again (0 when all may try now)."""
        now = self.clock()
        with self._lock:
            return max((c.blocked_until - now for k in keys if (c := self._counts.get(k))),
                       default=0.0)

    def failed(self, keys: list[str]) -> list[tuple[str, str, int, float]]:
        """Count a failure of every key; returns (action, key, failures, seconds) of each
        delay or lock it starts (action ``login.delay`` or ``login.lock``)."""
        now = self.clock()
        events = []
        with self._lock:
            self._forget(now)
            for key in keys:
                count = self._counts.setdefault(key, _Count())
                count.failures += 1
                count.last = now
                free, lock_after = self._thresholds(key)
                if count.failures >= lock_after:
                    seconds, action = self.limits.lock_seconds, "login.lock"
                elif count.failures >= free:
                    seconds = self.limits.base_delay * 2 ** (count.failures - free)
                    action = "login.delay"
                else:
                    continue
                count.blocked_until = now + seconds
                events.append((action, key, count.failures, seconds))
        return events

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _forget(self, now: float) -> None:
        stale = [k for k, c in self._counts.items() if now - c.last > self.limits.lock_seconds]
        for key in stale:
            del self._counts[key]


def throttled_login(
    throttle: LoginThrottle,
    con: duckdb.DuckDBPyConnection,
    username: str,
    password: str,
    address: str | None,
) -> str | None:
    """:func:`auth.login` behind the throttle: raises LoginThrottled while the account or the
    address must wait, counts failures and audits every delay and lock it starts."""
    account = "account:" + auth.normalise_username(username)[: MAX_TEXT["username"]]
    keys = [account, f"address:{address or 'unknown'}"]
    wait = throttle.wait(keys)
    if wait > 0:
        raise LoginThrottled(wait)
    token = auth.login(con, username, password)
    if token is not None:
        throttle.succeeded(account)
        return token
    for action, key, failures, seconds in throttle.failed(keys):
        auth.audit(con, THROTTLE_WHO, action, key,
                   {"failures": failures, "seconds": round(seconds, 1)})
    return None
