"""What the store knows of a post's spread beyond the post itself, for the risk score.

The post carries its counters (``Metrics``) and publication time; the store also knows when those
counters were read (``posts.last_seen_at``: every crawl that sees the post rewrites both) and the
latest audience of the source that found it (``subscriber_counts``). ``nlp.risk`` turns the first
into growth (reach per hour since publication) and the second into the audience factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Spread:
    observed_at: datetime | None = None  # when the post's counters were read; None: unknown
    audience: int = 0  # subscribers or members of the post's source at the latest count; 0: unknown
