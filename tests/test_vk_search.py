"""``newsfeed.search`` end to end against the fake: keywords, geo, the 1,000-result split, resume."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crawlers.base import Batch, TransientError
from crawlers.fakes.vk_server import FakeVkServer, VkDataset, serve_in_thread
from crawlers.vk import VkClient
from crawlers.vk.search import SearchCrawlConfig, VkSearchCollector
from infopole.domain.source import GeoArea, Source, SourceKind

TOKEN = "search-token"
QUERY = Source(id="vk-search-kingisepp", kind=SourceKind.VK_SEARCH, title="«Кингисепп»", query="Кингисепп")


def collector(server: FakeVkServer, **options: object) -> VkSearchCollector:
    client = VkClient(
        TOKEN, api_url=server.url, requests_per_second=1000, backoff_initial=0.01, max_attempts=2
    )
    return VkSearchCollector(client, salt="salt", config=SearchCrawlConfig(**options))  # type: ignore[arg-type]


def keys(batches: list[Batch]) -> list[str]:
    return [post.key for batch in batches for post in batch.posts]


@pytest.fixture
def demo() -> Iterator[FakeVkServer]:
    with serve_in_thread(VkDataset.demo(), tokens=[TOKEN]) as server:
        yield server


def test_keyword_search_finds_walls_and_other_pages(demo: FakeVkServer) -> None:
    batches = list(collector(demo).collect(QUERY, None))
    found = {post.key: post for batch in batches for post in batch.posts}
    assert "vk:-177000411:90544" in found  # a regional public outside the configured walls
    assert any(key.startswith("vk:-100002:") for key in found)
    assert all("кингисеп" in post.text.casefold() for post in found.values() if post.kind.value == "post")
    assert batches[-1].cursor["pending"] == [] and batches[-1].cursor["until"] > 0


def test_geo_search(demo: FakeVkServer) -> None:
    source = Source(
        id="vk-geo-ivangorod",
        kind=SourceKind.VK_SEARCH,
        title="Ивангород, 5 км",
        geo=GeoArea(lat=59.3766, lon=28.2236, radius_m=5000),
    )
    found = {post.key for batch in collector(demo).collect(source, None) for post in batch.posts}
    assert found and all(key.startswith("vk:-100004:") for key in found)


def test_window_over_the_1000_cap_is_split_so_nothing_is_lost() -> None:
    now = int(time.time())
    dataset = VkDataset()
    dataset.add_wall(-200, "Типичный Кингисепп")
    for n in range(2300):
        dataset.add_post(-200, f"Кингисепп, новость {n}", date=now - 5 * 86400 + n * 150)
    with serve_in_thread(dataset, tokens=[TOKEN]) as server:
        batches = list(collector(server, backfill=timedelta(days=6)).collect(QUERY, None))
        collected = keys(batches)
        assert len(collected) == 2300 == len(set(collected))
        assert server.count("newsfeed.search") > 2300 // 200  # the splits cost a few probes
        windows = {
            (call.params["start_time"], call.params["end_time"])
            for call in server.calls
            if call.method == "newsfeed.search"
        }
    # one window would reach only the newest 1,000: 2,300 posts need at least three windows
    assert len(windows) >= 3


def test_incremental_search_and_resume_after_a_crash() -> None:
    now = datetime.now(UTC)
    dataset = VkDataset()
    dataset.add_wall(-200, "Кингисепп 24")
    base = int(now.timestamp())
    for n in range(450):
        dataset.add_post(-200, f"В Кингисепп привезли ёлку {n} 🎄", date=base - 3 * 86400 + n * 300)
    with serve_in_thread(dataset, tokens=[TOKEN]) as server:
        search = collector(server, backfill=timedelta(days=4), overlap=timedelta(0))
        stored: list[Batch] = []
        server.fail("newsfeed.search", 10, times=2, after=1)
        with pytest.raises(TransientError):
            for batch in search.collect(QUERY, None):
                stored.append(batch)
        assert len(stored) == 1
        for batch in search.collect(QUERY, stored[-1].cursor):
            stored.append(batch)
        first = keys(stored)
        assert len(first) == 450 == len(set(first))

        time.sleep(1.1)  # the next crawl starts where this one ended
        fresh = dataset.add_post(-200, "Кингисепп: ёлку нарядили")
        later = keys(list(search.collect(QUERY, stored[-1].cursor)))
        assert later == [f"vk:-200:{fresh}"]
