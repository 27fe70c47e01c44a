"""A token's request budget: its rate limit and its parked methods, in one process or shared by all.

Platforms count requests per token, however many workers use it. ``TokenQuota`` is what an
API client needs from that budget: wait for a request slot, park a method whose quota is
spent, and ask whether a method is parked. Two implementations:

* ``LocalQuota``: in-process (a ``RateLimiter`` and a dict); the fast path when there is no
  database, as in tests, the benchmark and one-off commands;
* ``SharedQuota``: through the installation's database (``infopole.storage.quotas``), so
  every worker process and machine sharing the token shares one limiter and one set of parks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from infopole.storage.quotas import TokenQuotaStore


# Processes wake from their sleeps and send with their own delays, and a late send of one does
# not push back the next slot of another (one process does: it reserves after its last answer).
# Four sends at 3 req/s are (1 + safety) s apart end to end, so ``safety`` seconds is the jitter
# two processes may add without VK seeing a fourth request within one second.
SHARED_SAFETY = 0.08


class TokenQuota(Protocol):
    def acquire(self) -> None:
        """Block until this process may send one request with the token."""
        ...

    def park(self, method: str, until: datetime, code: int) -> None:
        """Refuse ``method`` until ``until`` (aware UTC)."""
        ...

    def parked_until(self, method: str) -> datetime | None:
        """Until when ``method`` is parked, or ``None``."""
        ...


class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart across all threads that share it.

    Slots are reserved under a lock and slept for outside it, so waiting threads queue in
    order instead of stampeding. ``safety`` widens the interval a little because VK counts
    arrivals, and network jitter can squeeze two well-spaced sends closer together.
    """

    def __init__(
        self,
        rate: float,
        *,
        safety: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval(rate, safety)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)


def interval(rate: float, safety: float = 0.05) -> float:
    """Seconds between two requests at ``rate`` per second, widened by ``safety``."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    return (1.0 + safety) / rate


class LocalQuota:
    """The budget of a token used by this process only (its threads share it)."""

    def __init__(
        self, limiter: RateLimiter, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.limiter = limiter
        self._now = now
        self._parked: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def acquire(self) -> None:
        self.limiter.acquire()

    def park(self, method: str, until: datetime, code: int) -> None:
        with self._lock:
            self._parked[method] = until

    def parked_until(self, method: str) -> datetime | None:
        with self._lock:
            until = self._parked.get(method)
            if until is not None and until <= self._now():
                del self._parked[method]
                return None
            return until


class SharedQuota:
    """The budget of a token shared through the database by every process that uses the token.

    ``key`` is the token's hash (``infopole.storage.quotas.token_hash``), never the token.
    Each request reserves its slot in one atomic statement, then sleeps outside any
    transaction until the slot comes, so no connection is held while waiting.
    """

    def __init__(
        self,
        store: TokenQuotaStore,
        key: str,
        rate: float,
        *,
        safety: float = SHARED_SAFETY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.key = key
        self.interval = interval(rate, safety)
        self._clock = clock
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"SharedQuota(key={self.key[:12]}…, interval={self.interval:.3f})"

    def acquire(self) -> None:
        slot = self.store.reserve_slot(self.key, self.interval)
        delay = slot - self._clock()  # until the slot itself, however long the reservation took
        if delay > 0:
            self._sleep(delay)

    def park(self, method: str, until: datetime, code: int) -> None:
        self.store.park(self.key, method, until, code)

    def parked_until(self, method: str) -> datetime | None:
        return self.store.parked_until(self.key, method, datetime.fromtimestamp(self._clock(), tz=UTC))
