"""One VK token, several worker processes: one rate limit and one set of parked methods, through the database.

Real processes (``multiprocessing``, spawned), a real database (SQLite file and PostgreSQL),
the real ``vk_api`` library against the local fake enforcing VK's 3 requests per second
per token. Processes that did not share the limiter would together send 6 req/s and get
error 6; a method parked by one would be called again by the other.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from crawlers.base import RateLimited
from crawlers.fakes.vk_server import FakeVkServer, VkDataset, serve_in_thread
from crawlers.quota import SharedQuota
from crawlers.vk.client import VkClient, daily_reset
from infopole.config.settings import Settings
from infopole.storage.db import Database
from infopole.storage.quotas import TokenQuotaStore, token_hash
from infopole.storage.tables import TokenParkRow, TokenSlotRow

TOKEN = "vk1.a.SHARED-secret-token-42b7"
OWNER = -100007
RPS = 3.0
CALLS_PER_WORKER = 6


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)  # migrated once here; the workers open it without migrating
    yield db
    db.close()


@pytest.fixture
def server() -> Iterator[FakeVkServer]:
    dataset = VkDataset()
    dataset.add_wall(OWNER, "Кингисепп сегодня", "kingisepp_today")
    post = dataset.add_post(OWNER, "Отключение воды на Октябрьской")
    dataset.add_comment(OWNER, post, "Опять?!", from_id=501)
    with serve_in_thread(dataset, tokens=[TOKEN], rps_limit=RPS) as running:
        yield running


def settings_for(server: FakeVkServer) -> Settings:
    return Settings(vk_api_url=server.url, vk_token=TOKEN, vk_requests_per_second=RPS)


def worker(url: str, db_url: str, method: str, calls: int, results: Any) -> None:
    """One crawler process: its own database connection and VK client, the same token."""
    db = Database(db_url, migrate=False)
    settings = Settings(vk_api_url=url, vk_token=TOKEN, vk_requests_per_second=RPS)
    client = VkClient.from_settings(settings, db=db, max_attempts=1)  # an error 6 would surface
    outcome: dict[str, Any] = {"ok": 0, "errors": []}
    for _ in range(calls):
        try:
            client.call(method, owner_id=OWNER, count=1, post_id=1)
            outcome["ok"] += 1
        except Exception as exc:
            outcome["errors"].append((type(exc).__name__, getattr(exc, "code", None)))
    results.put(outcome)
    db.close()


def run_workers(server: FakeVkServer, db_url: str, method: str, processes: int, calls: int) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=worker, args=(server.url, db_url, method, calls, results))
        for _ in range(processes)
    ]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0
    return outcomes


def test_two_processes_share_one_limiter_per_token(server: FakeVkServer, database: Database) -> None:
    time.sleep(1.1)  # the fake's one-second window starts empty
    started = time.monotonic()
    url = database.engine.url.render_as_string(hide_password=False)
    outcomes = run_workers(server, url, "wall.get", processes=2, calls=CALLS_PER_WORKER)
    elapsed = time.monotonic() - started

    assert [outcome["errors"] for outcome in outcomes] == [[], []]
    assert sum(outcome["ok"] for outcome in outcomes) == 2 * CALLS_PER_WORKER
    assert server.count(error=6) == 0, "the fake enforcing 3 req/s never answered 'too many requests'"
    assert server.count("wall.get") == 2 * CALLS_PER_WORKER
    # twelve requests one slot apart: the two processes queued behind one limiter
    arrivals = sorted(call.at for call in server.calls)
    assert arrivals[-1] - arrivals[0] >= (2 * CALLS_PER_WORKER - 1) / RPS * 0.95
    assert elapsed >= (2 * CALLS_PER_WORKER - 1) / RPS
    # only the token's hash is stored
    with database.session() as session:
        keys = list(session.scalars(select(TokenSlotRow.token_hash)))
    assert keys == [token_hash("vk", TOKEN)] and TOKEN not in keys[0]


def test_a_method_parked_by_one_process_is_refused_by_the_other(
    server: FakeVkServer, database: Database
) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    parent = VkClient.from_settings(settings_for(server), db=database)
    server.fail("wall.get", 29)
    with pytest.raises(RateLimited) as raised:
        parent.call("wall.get", owner_id=OWNER, count=1)
    now = datetime.now(UTC)
    assert raised.value.code == 29
    assert abs(raised.value.retry_after - (daily_reset(now) - now).total_seconds()) < 60
    assert server.count("wall.get") == 1

    [parked] = run_workers(server, url, "wall.get", processes=1, calls=2)
    assert parked == {"ok": 0, "errors": [("RateLimited", 29), ("RateLimited", 29)]}
    assert server.count("wall.get") == 1, "the other process never asked VK for the parked method"
    [other] = run_workers(server, url, "wall.getComments", processes=1, calls=1)
    assert other == {"ok": 1, "errors": []}, "only that method is parked, not the token"

    with database.session() as session:
        rows = list(session.scalars(select(TokenParkRow)))
    assert [(row.token_hash, row.method, row.code) for row in rows] == [
        (token_hash("vk", TOKEN), "wall.get", 29)
    ]
    assert rows[0].parked_until == daily_reset(now)


def test_a_park_ends_at_the_daily_reset(database: Database) -> None:
    store = TokenQuotaStore(database)
    clock = [datetime(2026, 11, 24, 20, 30, tzinfo=UTC).timestamp()]
    quota = SharedQuota(store, token_hash("vk", TOKEN), RPS, clock=lambda: clock[0])
    quota.park("wall.get", daily_reset(datetime.fromtimestamp(clock[0], UTC)), 29)
    assert quota.parked_until("wall.get") == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    assert quota.parked_until("wall.getComments") is None
    clock[0] += 31 * 60  # 00:01 Moscow time: VK's day has turned
    assert quota.parked_until("wall.get") is None


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        (datetime(2026, 11, 24, 7, 0, tzinfo=UTC), datetime(2026, 11, 24, 21, 0, tzinfo=UTC)),
        (datetime(2026, 11, 24, 20, 59, tzinfo=UTC), datetime(2026, 11, 24, 21, 0, tzinfo=UTC)),
        (datetime(2026, 11, 24, 21, 0, tzinfo=UTC), datetime(2026, 11, 25, 21, 0, tzinfo=UTC)),
        (datetime(2026, 12, 31, 22, 0, tzinfo=UTC), datetime(2027, 1, 1, 21, 0, tzinfo=UTC)),
    ],
)
def test_daily_reset_is_the_next_moscow_midnight(now: datetime, reset: datetime) -> None:
    assert daily_reset(now) == reset


def test_slots_are_spaced_across_clients_of_one_store(database: Database) -> None:
    store = TokenQuotaStore(database)
    key = token_hash("vk", TOKEN)
    slots = [store.reserve_slot(key, 0.35, now=1000.0) for _ in range(4)]
    assert slots == pytest.approx([1000.0, 1000.35, 1000.70, 1001.05])
    assert store.reserve_slot(key, 0.35, now=2000.0) == pytest.approx(2000.0)  # idle since: no wait
    assert store.reserve_slot(token_hash("vk", "another"), 0.35, now=2000.0) == pytest.approx(2000.0)


def test_without_a_given_time_slots_follow_the_database_clock(database: Database) -> None:
    """ "Now" is read inside the statement, after the row lock: a wait for the lock cannot make it stale."""
    store = TokenQuotaStore(database)
    key = token_hash("vk", TOKEN)
    before = time.time()
    first, second = store.reserve_slot(key, 0.5), store.reserve_slot(key, 0.5)
    after = time.time()
    assert before - 0.05 <= first <= after + 0.05  # the host's (or the PostgreSQL server's) clock
    assert second == pytest.approx(first + 0.5)
