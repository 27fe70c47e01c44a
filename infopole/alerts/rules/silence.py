"""Silence: a source that stopped producing posts, or a collector that stopped working.

Operators must hear of a broken collector before the head notices a quiet feed, and an
outage must never look like a quiet channel. Two causes, told apart in the alert:
the collector has not succeeded for ``collector_stale_hours`` (with its last error), or it
runs fine but the source has had no new item for ``max_silence_hours``. The key holds the
time of the last success or item, so one outage is one alert and the next outage a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from crawlers.health import Expectation, Status, health
from infopole.alerts.text import local_time
from infopole.config.municipality import Severity, SilenceRule
from infopole.domain.alert import Alert, AlertKind


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What the collector remembers about a source (``storage.tables.SourceState``), as plain data."""

    source_id: str
    title: str = ""
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_item_at: datetime | None = None
    last_error: str = ""
    official: bool = False
    last_error_at: datetime | None = None
    error_count: int = 0


def _never(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "never"


def silence_alerts(
    sources: Sequence[SourceHealth], rule: SilenceRule, now: datetime, tz: ZoneInfo
) -> list[Alert]:
    """A source never run at all is not reported: it has no history to fall silent from.

    Whether a collector is broken or a source silent is decided by ``crawlers.health``, the
    same judgement the dashboard and ``infopole sources health`` show.
    """
    alerts = []
    for source in sources:
        expectation = Expectation(
            rule.per_source.get(source.source_id, rule.max_silence_hours), rule.collector_stale_hours
        )
        state = health(source, expectation, now)
        name = source.title or source.source_id
        base = {"group": f"silence:{source.source_id}", "source_id": source.source_id, "roles": []}
        if state.status is Status.FAILING:
            since = local_time(source.last_success_at, tz) if source.last_success_at else "ни разу"
            assert source.last_run_at is not None
            alerts.append(
                Alert(
                    key=f"operator:collector:{source.source_id}:{_never(source.last_success_at)}",
                    kind=AlertKind.OPERATOR,
                    severity=Severity.MEDIUM.value,
                    title=f"Сборщик источника «{name}» не работает",
                    created_at=now,
                    body=(
                        f"Последний успешный сбор: {since}; последняя попытка "
                        f"{local_time(source.last_run_at, tz)}.\n"
                        f"Ошибка: {source.last_error or 'не записана'}.\n"
                        "Пока сборщик не работает, молчание источника ничего не значит."
                    ),
                    details=base | {"last_error": source.last_error},
                )
            )
        elif state.status is Status.SILENT:
            assert source.last_item_at is not None and source.last_success_at is not None
            assert state.lag is not None
            hours = state.lag.total_seconds() / 3600
            alerts.append(
                Alert(
                    key=f"silence:{source.source_id}:{_never(source.last_item_at)}",
                    kind=AlertKind.SILENCE,
                    severity=(Severity.MEDIUM if source.official else Severity.LOW).value,
                    title=f"Источник «{name}» молчит {hours:.0f} ч",
                    created_at=now,
                    body=(
                        f"Последний пост {local_time(source.last_item_at, tz)}, допустимо "
                        f"{expectation.silence_hours:g} ч. Сборщик при этом работает "
                        f"(успешный сбор {local_time(source.last_success_at, tz)}): проверьте, не закрыта ли "
                        "страница, не сменился ли адрес или доступ."
                    ),
                    details=base,
                )
            )
    return alerts
