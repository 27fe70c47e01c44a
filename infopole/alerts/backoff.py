"""When to try a failed delivery again: exponential, capped, with a deterministic jitter.

The jitter is derived from the delivery's key rather than a random generator, so many
deliveries failing together spread out, yet a test can state the exact retry time.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta


def retry_delay(
    attempts: int,
    key: str,
    *,
    base: timedelta = timedelta(seconds=30),
    cap: timedelta = timedelta(hours=1),
    retry_after: float | None = None,
) -> timedelta:
    """Delay before attempt ``attempts + 1``: base·2^(attempts-1) ±25 %, at most ``cap``, at least
    what the receiver asked for (Telegram's ``retry_after``)."""
    raw = min(base * 2 ** max(attempts - 1, 0), cap)
    spread = int(hashlib.sha256(f"{key}:{attempts}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    delay = raw * (0.75 + 0.5 * spread)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay
