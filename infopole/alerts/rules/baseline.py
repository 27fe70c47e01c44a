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


def window_starts(end: datetime, window: timedelta, weeks: int) -> list[datetime]:
    """Starts of ``[start, start + window)``: now (index 0), then the same hours 1…``weeks`` weeks back."""
    return [end - back * WEEK - window for back in range(weeks + 1)]


def window_counts(times: Sequence[datetime], end: datetime, window: timedelta, weeks: int) -> tuple[int, ...]:
    """The counts ``baseline_from_counts`` takes, from publication times (the SQL edge counts them
    in the database instead: ``infopole.alerts.spike_counts``)."""
    return tuple(count_in(times, start, start + window) for start in window_starts(end, window, weeks))


def baseline_from_counts(
    counts: Sequence[int],
    end: datetime,
    window: timedelta,
    observed_since: datetime | None,
    min_weeks: int,
) -> Baseline | None:
    """``counts[0]`` is the current window, ``counts[k]`` the same window k weeks back."""
    if observed_since is None:
        return None
    history = []
    for back, start in enumerate(window_starts(end, window, len(counts) - 1)[1:], start=1):
        if start < observed_since:
            break
        history.append(counts[back])
    if len(history) < min_weeks:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(value - median) for value in history)
    scale = max(MAD_TO_SIGMA * mad, math.sqrt(median), 1.0)
    return Baseline(counts[0], tuple(history), median, scale)


def seasonal_baseline(
    times: Sequence[datetime],
    end: datetime,
    window: timedelta,
    weeks: int,
    observed_since: datetime | None,
    min_weeks: int,
) -> Baseline | None:
    """Counts of ``[end - window, end)`` now and in each earlier week that was observed."""
    counts = window_counts(times, end, window, weeks)
    return baseline_from_counts(counts, end, window, observed_since, min_weeks)
