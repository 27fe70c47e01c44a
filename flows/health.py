"""One look at the whole installation: database, index, queues, sources and dead letters.

``check`` returns plain data for the health flow and ``infopole``'s tools: ``fatal`` lists what
stops the pipeline (no database, no index), ``problems`` what needs a person (a failing source,
a dead letter, a long index backlog).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from infopole.runtime import Runtime
from infopole.storage.deadletters import DeadLetterStore
from infopole.storage.queues import queue_sizes


def check(runtime: Runtime, now: datetime | None = None) -> dict[str, Any]:
    from crawlers.health import Status, expectation_for, health

    now = now or datetime.now(UTC)
    fatal: list[str] = []
    problems: list[str] = []
    report: dict[str, Any] = {"fatal": fatal, "problems": problems, "checked_at": now.isoformat()}
    try:
        with runtime.db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:  # the one question here is "can we reach it"; the answer is reported
        fatal.append(f"база данных недоступна / database unreachable: {error}")
        return report
    try:
        report["indexed_documents"] = runtime.index.count()
    except Exception as error:  # same: reported, and the flow run fails on it
        fatal.append(f"поисковый индекс недоступен / index unreachable: {error}")
    queues = queue_sizes(runtime.db)
    report["pending_analyse"] = queues.pending_analyse
    report["pending_index"] = queues.pending_index
    if queues.pending_index >= runtime.municipality.schedule.index_backlog_max:
        problems.append(f"очередь индекса переполнена / index backlog full: {queues.pending_index}")
    silence = runtime.municipality.alerts.silence
    sources: dict[str, str] = {}
    for state in runtime.posts.source_states():
        expectation = expectation_for(
            state.source_id,
            silence_hours=silence.max_silence_hours,
            stale_hours=silence.collector_stale_hours,
            per_source=silence.per_source,
        )
        result = health(state, expectation, now)
        sources[state.source_id] = result.status.value
        if result.status is Status.FAILING:
            problems.append(f"источник {state.source_id}: {'; '.join(result.reasons)}")
    report["sources"] = sources
    dead = [letter for letter in DeadLetterStore(runtime.db).list(dead_only=True)]
    report["dead_letters"] = len(dead)
    if dead:
        problems.append(f"отложенных элементов / dead letters: {len(dead)} (infopole deadletters list)")
    return report
