"""Spike: negative posts or incidents of a block, settlement or source far above their baseline.

An alert needs all three: at least ``min_count`` posts in the window, ``min_ratio`` times the
usual median, and a robust z-score of at least ``robust_z``. Each guards a different false
alarm: a quiet place going from 0 to 2, a busy one with its ordinary wobble, a noisy history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from infopole.alerts.rules import Analysed
from infopole.alerts.rules.baseline import Baseline, baseline_from_counts, window_counts
from infopole.alerts.text import local_time, plural
from infopole.config.municipality import Severity, SpikeRule
from infopole.domain.alert import Alert, AlertKind

METRICS = {"negative": "негативных сообщений", "incidents": "сообщений о проблемах"}
DIMENSIONS = {"block": "блок", "settlement": "населённый пункт", "source_id": "источник"}

SeriesKey = tuple[str, str, str]  # (metric, dimension, value)
SpikeCounts = Mapping[SeriesKey, Sequence[int]]  # counts of the current window, then 1…weeks back


def spike_series(pairs: Sequence[Analysed]) -> dict[tuple[str, str, str], list[datetime]]:
    """Publication times per (metric, dimension, value): what the baselines are counted over."""
    series: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)
    for post, analysis in pairs:
        if post.is_deleted:
            continue
        values = {"block": analysis.block, "settlement": analysis.settlement, "source_id": post.source_id}
        metrics = [
            m
            for m, on in (("negative", analysis.sentiment == "negative"), ("incidents", analysis.is_incident))
            if on
        ]
        for metric in metrics:
            for dimension, value in values.items():
                if value:
                    series[(metric, dimension, value)].append(post.published_at)
    return series


def is_spike(baseline: Baseline, rule: SpikeRule) -> bool:
    return (
        baseline.current >= rule.min_count
        and baseline.current >= rule.min_ratio * max(baseline.median, 1.0)
        and baseline.z() >= rule.robust_z
    )


def spike_counts(
    pairs: Sequence[Analysed], rule: SpikeRule, now: datetime
) -> dict[SeriesKey, tuple[int, ...]]:
    """Window counts per series from posts in memory; the database counts the same in SQL."""
    window = timedelta(hours=rule.window_hours)
    return {
        key: window_counts(times, now, window, rule.history_weeks)
        for key, times in spike_series(pairs).items()
    }


def spike_alerts(
    pairs: Sequence[Analysed],
    rule: SpikeRule,
    now: datetime,
    tz: ZoneInfo,
    observed_since: datetime | None,
) -> list[Alert]:
    """``observed_since``: when collection began (the oldest post stored); None means no history."""
    return spike_alerts_from_counts(spike_counts(pairs, rule, now), rule, now, tz, observed_since)


def spike_alerts_from_counts(
    counts: SpikeCounts,
    rule: SpikeRule,
    now: datetime,
    tz: ZoneInfo,
    observed_since: datetime | None,
) -> list[Alert]:
    hour = now.replace(minute=0, second=0, microsecond=0)
    window = timedelta(hours=rule.window_hours)
    alerts = []
    for (metric, dimension, value), series in sorted(counts.items()):
        baseline = baseline_from_counts(series, now, window, observed_since, rule.min_history_weeks)
        if baseline is None or not is_spike(baseline, rule):
            continue
        severe = baseline.z() >= 2 * rule.robust_z
        usual = ", ".join(str(count) for count in baseline.history)
        day = now.astimezone(tz).date().isoformat()
        alerts.append(
            Alert(
                key=f"spike:{metric}:{dimension}:{value}:{hour.isoformat()}",
                kind=AlertKind.SPIKE,
                severity=(Severity.HIGH if severe else Severity.MEDIUM).value,
                title=f"Всплеск {METRICS[metric]}: {DIMENSIONS[dimension]} «{value}»",
                created_at=now,
                body=(
                    f"За {plural(rule.window_hours, 'час', 'часа', 'часов')} до {local_time(now, tz)} — "
                    f"{plural(baseline.current, 'сообщение', 'сообщения', 'сообщений')}; обычно в эти часы "
                    f"{baseline.median:g} (медиана по прошлым неделям: {usual}). "
                    f"Отклонение {baseline.z():.1f} σ при пороге {rule.robust_z:g}."
                ),
                details={
                    "group": f"spike:{metric}:{dimension}:{value}:{day}",
                    "metric": metric,
                    dimension: value,
                    "dimension": dimension,
                    "current": baseline.current,
                    "history": list(baseline.history),
                    "median": baseline.median,
                    "z": round(baseline.z(), 2),
                },
            )
        )
    return alerts
