"""Collector health from real ``SourceState`` rows (SQLite), with the clock injected; and the silence
alert rule agreeing with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawlers.health import Expectation, Status, health, report
from infopole.alerts.rules.silence import SourceHealth, silence_alerts
from infopole.config.municipality import SilenceRule
from infopole.domain.alert import AlertKind
from infopole.domain.post import Platform, Post
from infopole.storage.db import Database
from infopole.storage.posts import PostStore
from infopole.storage.tables import SourceState

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
EXPECT = Expectation(silence_hours=24, stale_hours=3)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PostStore]:
    database = Database(f"sqlite:///{tmp_path / 'health.db'}")
    yield PostStore(database)
    database.close()


def post(source_id: str, published: datetime, n: int = 1) -> Post:
    return Post(
        platform=Platform.VK,
        owner_id="-100003",
        post_id=f"{source_id}-{n}",
        text="Опять нет воды на Карла Маркса 😡",
        published_at=published,
        source_id=source_id,
    )


def states(store: PostStore) -> dict[str, SourceState]:
    return {state.source_id: state for state in store.source_states()}


def scenario(store: PostStore) -> dict[str, SourceState]:
    """Five sources in the five states, written through the store as crawls write them."""
    store.save_batch([post("fresh", NOW - 2 * HOUR)], [], NOW - HOUR, source_id="fresh", cursor={})
    store.save_batch([post("quiet", NOW - 40 * HOUR)], [], NOW - HOUR, source_id="quiet", cursor={})
    store.save_batch([post("hiccup", NOW - 3 * HOUR)], [], NOW - 2 * HOUR, source_id="hiccup", cursor={})
    store.record_failure("hiccup", NOW - HOUR, "TransientError: wall.get: VK error 10")
    store.save_batch([post("broken", NOW - 30 * HOUR)], [], NOW - 20 * HOUR, source_id="broken", cursor={})
    for hours in (10, 5, 1):
        store.record_failure("broken", NOW - hours * HOUR, "SourceUnavailable: VK error 15: closed")
    store.record_failure("never-ok", NOW - HOUR, "AuthError: VK error 5")
    return states(store)


def test_each_status_with_its_reasons(store: PostStore) -> None:
    rows = scenario(store)
    by_id = {source_id: health(row, EXPECT, NOW) for source_id, row in rows.items()}

    fresh = by_id["fresh"]
    assert fresh.status is Status.OK and fresh.reasons == ()
    assert fresh.lag == 2 * HOUR and fresh.since_success == HOUR and fresh.error_count == 0

    quiet = by_id["quiet"]
    assert quiet.status is Status.SILENT and quiet.lag == 40 * HOUR
    assert "нет новых публикаций 40 ч" in quiet.reasons[0]

    hiccup = by_id["hiccup"]
    assert hiccup.status is Status.LAGGING and hiccup.failing_since_success
    assert any("VK error 10" in reason for reason in hiccup.reasons)

    broken = by_id["broken"]
    assert broken.status is Status.FAILING and broken.error_count == 3
    assert broken.reasons[0] == "нет успешного сбора 20 ч (допустимо 3 ч)"
    assert "VK error 15" in broken.reasons[1]

    never = by_id["never-ok"]
    assert never.status is Status.FAILING and never.reasons[0] == "ни одного успешного сбора"
    assert never.lag is None and never.since_success is None


def test_recovery_after_failures_is_ok_again(store: PostStore) -> None:
    store.record_failure("src", NOW - 5 * HOUR, "TransientError: boom")
    assert health(states(store)["src"], EXPECT, NOW - 4 * HOUR).status is Status.FAILING
    store.save_batch([post("src", NOW - HOUR)], [], NOW - HOUR, source_id="src", cursor={})
    healed = health(states(store)["src"], EXPECT, NOW)
    assert healed.status is Status.OK
    assert healed.error_count == 1, "the failure stays counted"


def test_silence_threshold_is_per_source_and_configured_sources_never_run_are_unknown(
    store: PostStore,
) -> None:
    scenario(store)
    rows = report(
        store.source_states(),
        NOW,
        silence_hours=24,
        stale_hours=3,
        per_source={"quiet": 72, "fresh": 1},
        source_ids=["fresh", "not-yet"],
    )
    by_id = {row.source_id: row for row in rows}
    assert by_id["quiet"].status is Status.OK, "a weekly-ish source is allowed 72 h"
    assert by_id["fresh"].status is Status.SILENT, "an hourly source 2 h quiet is silent"
    assert by_id["not-yet"].status is Status.UNKNOWN and by_id["not-yet"].error_count == 0
    assert [row.source_id for row in rows] == sorted(by_id)


def test_silence_alerts_follow_the_health_status(store: PostStore) -> None:
    rows = scenario(store)
    sources = [
        SourceHealth(
            row.source_id,
            last_run_at=row.last_run_at,
            last_success_at=row.last_success_at,
            last_item_at=row.last_item_at,
            last_error=row.last_error,
            last_error_at=row.last_error_at,
            error_count=row.error_count,
        )
        for row in rows.values()
    ]
    rule = SilenceRule(max_silence_hours=24, collector_stale_hours=3)
    alerts = {
        a.details["source_id"]: a for a in silence_alerts(sources, rule, NOW, ZoneInfo("Europe/Moscow"))
    }
    assert {k: a.kind for k, a in alerts.items()} == {
        "quiet": AlertKind.SILENCE,
        "broken": AlertKind.OPERATOR,
        "never-ok": AlertKind.OPERATOR,
    }, "a lagging collector is neither broken nor a sign of silence"
    for source_id, alert in alerts.items():
        status = health(rows[source_id], EXPECT, NOW).status
        assert status is (Status.SILENT if alert.kind is AlertKind.SILENCE else Status.FAILING)
