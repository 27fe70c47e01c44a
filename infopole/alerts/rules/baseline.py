"""A robust seasonal baseline for counts: the same hours of the week in previous weeks.

Municipal traffic has a strong weekly rhythm (quiet nights, busy Monday mornings), so "now"
is compared with the same window at the same hour of the week, one, two… weeks back. The
median and the MAD resist one earlier spike in the history; a floor of √median (the
Poisson noise of a count) keeps a flat history (MAD 0) from making every extra post a spike.
Weeks before ``observed_since`` are not "zero posts", they are unknown: with too few known
weeks there is no baseline at all (a cold start alerts on nothing).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WEEK = timedelta(days=7)
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True, slots=True)
class Baseline:
    current: int
    history: tuple[int, ...]  # counts of the same window 1, 2, … weeks back
    median: float
    scale: float  # robust standard deviation, at least √median and at least 1

    def z(self) -> float:
        return (self.current - self.median) / self.scale


def count_in(times: Sequence[datetime], start: datetime, end: datetime) -> int:
    return sum(1 for moment in times if start <= moment < end)


def seasonal_baseline(
    times: Sequence[datetime],
    end: datetime,
    window: timedelta,
    weeks: int,
    observed_since: datetime | None,
    min_weeks: int,
) -> Baseline | None:
    """Counts of ``[end - window, end)`` now and in each earlier week that was observed."""
    if observed_since is None:
        return None
    history = []
    for back in range(1, weeks + 1):
        start = end - back * WEEK - window
        if start < observed_since:
            break
        history.append(count_in(times, start, start + window))
    if len(history) < min_weeks:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(value - median) for value in history)
    scale = max(MAD_TO_SIGMA * mad, math.sqrt(median), 1.0)
    return Baseline(count_in(times, end - window, end), tuple(history), median, scale)
