"""Collector health per source: is it collecting, how far behind is it, has the source gone quiet.

A pure function of what the post store remembers about a source (``SourceState``: last run,
last success, newest item, last error, error count) and of how active the source is
expected to be, so alerts, the dashboard and ``infopole sources health`` all tell the same
story. An outage must never look like a quiet channel, so the collector's own state is
judged first:

* ``failing``: no successful collection for ``collector_stale_hours`` (or never): the
  source's silence means nothing until it is fixed;
* ``lagging``: collection works, but the latest attempts failed: data is getting old;
* ``silent``: collection works, but the newest item is older than the source's expected
  silence (``max_silence_hours``, or its ``per_source`` value);
* ``ok``: otherwise; ``unknown``: never collected yet (no history to judge).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class Status(StrEnum):
    OK = "ok"
    LAGGING = "lagging"
    SILENT = "silent"
    FAILING = "failing"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            "ok": "работает",
            "lagging": "отстаёт",
            "silent": "молчит",
            "failing": "не работает",
            "unknown": "ещё не собирался",
        }[self.value]


class StateLike(Protocol):
    """What health needs of a source's state; ``storage.tables.SourceState`` rows fit."""

    @property
    def source_id(self) -> str: ...
    @property
    def last_run_at(self) -> datetime | None: ...
    @property
    def last_success_at(self) -> datetime | None: ...
    @property
    def last_item_at(self) -> datetime | None: ...
    @property
    def last_error_at(self) -> datetime | None: ...
    @property
    def last_error(self) -> str: ...
    @property
    def error_count(self) -> int: ...


@dataclass(frozen=True)
class Expectation:
    """How active a source should be: silent after ``silence_hours`` without a new item; the collector
    is broken after ``stale_hours`` without a successful run."""

    silence_hours: float = 24.0
    stale_hours: float = 3.0


@dataclass(frozen=True)
class Health:
    source_id: str
    status: Status
    reasons: tuple[str, ...]
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_item_at: datetime | None
    lag: timedelta | None  # now − newest item
    since_success: timedelta | None
    error_count: int  # every failure recorded for the source
    failing_since_success: bool  # the latest attempt failed
    last_error: str
    expectation: Expectation

    @property
    def is_collecting(self) -> bool:
        return self.status in (Status.OK, Status.LAGGING, Status.SILENT)


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} ч" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} мин"


def health(state: StateLike, expectation: Expectation, now: datetime) -> Health:
    """The health of one source at ``now``."""
    lag = now - state.last_item_at if state.last_item_at else None
    since_success = now - state.last_success_at if state.last_success_at else None
    failed_last = state.last_error_at is not None and (
        state.last_success_at is None or state.last_error_at > state.last_success_at
    )
    reasons: list[str] = []
    if state.last_run_at is None:
        status = Status.UNKNOWN
        reasons.append("сбор ещё не запускался")
    elif since_success is None or since_success >= timedelta(hours=expectation.stale_hours):
        status = Status.FAILING
        reasons.append(
            "ни одного успешного сбора"
            if since_success is None
            else f"нет успешного сбора {_hours(since_success)} (допустимо {expectation.stale_hours:g} ч)"
        )
        if state.last_error:
            reasons.append(f"ошибка: {state.last_error}")
    elif failed_last:
        status = Status.LAGGING
        reasons.append(f"последняя попытка неудачна, успешный сбор {_hours(since_success)} назад")
        if state.last_error:
            reasons.append(f"ошибка: {state.last_error}")
    elif lag is not None and lag >= timedelta(hours=expectation.silence_hours):
        status = Status.SILENT
        expected = f"{expectation.silence_hours:g} ч"
        reasons.append(f"нет новых публикаций {_hours(lag)} (ожидается не реже чем раз в {expected})")
    else:
        status = Status.OK
    return Health(
        source_id=state.source_id,
        status=status,
        reasons=tuple(reasons),
        last_run_at=state.last_run_at,
        last_success_at=state.last_success_at,
        last_item_at=state.last_item_at,
        lag=lag,
        since_success=since_success,
        error_count=state.error_count or 0,
        failing_since_success=failed_last,
        last_error=state.last_error or "",
        expectation=expectation,
    )


def expectation_for(
    source_id: str, *, silence_hours: float, stale_hours: float, per_source: Mapping[str, float]
) -> Expectation:
    """The expectation of one source: its own silence threshold if configured, else the default."""
    return Expectation(per_source.get(source_id, silence_hours), stale_hours)


def report(
    states: Iterable[StateLike],
    now: datetime,
    *,
    silence_hours: float = 24.0,
    stale_hours: float = 3.0,
    per_source: Mapping[str, float] | None = None,
    source_ids: Iterable[str] = (),
) -> list[Health]:
    """Health of every source with a state, plus configured ``source_ids`` never collected (``unknown``)."""
    per_source = per_source or {}
    known = {state.source_id: state for state in states}
    for source_id in source_ids:
        known.setdefault(source_id, _Never(source_id))
    return [
        health(
            state,
            expectation_for(
                source_id, silence_hours=silence_hours, stale_hours=stale_hours, per_source=per_source
            ),
            now,
        )
        for source_id, state in sorted(known.items())
    ]


@dataclass(frozen=True)
class _Never:
    source_id: str
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_item_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str = ""
    error_count: int = 0
