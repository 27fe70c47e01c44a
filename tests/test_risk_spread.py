"""Growth and audience reach the risk score from the store: ``PostStore.spreads`` reads when each
post's counters were read and its source's latest audience in one query, ``steps.analyse`` hands
them to the real analyzer, and ``record_audiences`` counts every wall once a local day through the
VK fake. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.fakes.vk_server import VkDataset, serve_in_thread
from crawlers.vk import VkClient
from flows import steps
from infopole.config.municipality import parse_municipality
from infopole.domain.post import Metrics, Platform, Post
from infopole.gospabliki.store import GospablikiStore
from infopole.gospabliki.subscribers import Readers, record_audiences
from infopole.storage.db import Database
from infopole.storage.posts import PostStore
from nlp.analyzer import Analyzer

TOKEN = "spread-token"
PUBLISHED = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
COMPLAINT = "Третий день нет горячей воды на улице Лесной, управляющая компания не берёт трубку!"

YAML = """
slug: test
name: Тестовый район
short_name: Тест
region: Ленинградская область
oktmo: "41621000"
timezone: Europe/Moscow
center: {lat: 59.37, lon: 28.61}
settlements: [{name: Кингисепп}]
departments:
  - {id: zhkh, name: Комитет ЖКХ, head: председатель комитета, blocks: [ЖКХ]}
sources:
  - {id: vk-big, kind: vk_wall, target: '-200001', title: Город онлайн}
  - {id: vk-small, kind: vk_wall, target: '-200002', title: Наш двор}
  - {id: vk-search, kind: vk_search, query: кингисепп, title: Поиск}
  - {id: vk-adm, kind: vk_wall, target: '-200003', title: Администрация, official: true}
  - {id: vk-off, kind: vk_wall, target: '-200004', title: Выключен, enabled: false}
"""


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(None)


def post(owner: int, post_id: int, source_id: str, views: int, text: str = COMPLAINT) -> Post:
    return Post(
        platform=Platform.VK,
        owner_id=str(owner),
        post_id=str(post_id),
        text=text,
        published_at=PUBLISHED,
        source_id=source_id,
        metrics=Metrics(views=views),
    )


def test_spreads_are_when_the_counters_were_read_and_the_latest_audience(db: Database) -> None:
    municipality = parse_municipality(YAML)
    store, counts = PostStore(db), GospablikiStore(db)
    crawled = PUBLISHED + timedelta(minutes=40)
    store.save_batch([post(-200001, 1, "vk-big", 4_000)], [], crawled, source_id="vk-big")
    store.save_batch([post(-200002, 1, "vk-small", 4_000)], [], crawled, source_id="vk-small")
    store.save_batch([post(-300000, 7, "vk-search", 4_000)], [], crawled, source_id="vk-search")
    counts.record_subscribers("vk-big", 50_000, PUBLISHED - timedelta(days=3), municipality)
    counts.record_subscribers("vk-big", 90_000, PUBLISHED - timedelta(days=1), municipality)
    counts.record_subscribers("vk-small", 700, PUBLISHED - timedelta(days=1), municipality)

    spreads = store.spreads(["vk:-200001:1", "vk:-200002:1", "vk:-300000:7", "vk:-1:404"])
    assert set(spreads) == {"vk:-200001:1", "vk:-200002:1", "vk:-300000:7"}
    assert spreads["vk:-200001:1"].audience == 90_000  # the latest day, not the first
    assert spreads["vk:-200002:1"].audience == 700
    assert spreads["vk:-300000:7"].audience == 0  # a search has no audience of its own
    assert {spread.observed_at for spread in spreads.values()} == {crawled}
    later = PUBLISHED + timedelta(days=2)  # a re-crawl rewrites the counters and when they were read
    store.save_batch([post(-200001, 1, "vk-big", 9_000)], [], later, source_id="vk-big")
    assert store.spreads(["vk:-200001:1"])["vk:-200001:1"].observed_at == later
    assert store.spreads([]) == {}


def test_the_analyse_step_weighs_the_stored_audience_and_growth(db: Database, analyzer: Analyzer) -> None:
    municipality = parse_municipality(YAML)
    store, counts = PostStore(db), GospablikiStore(db)
    counts.record_subscribers("vk-big", 120_000, PUBLISHED - timedelta(days=1), municipality)
    first_hour = PUBLISHED + timedelta(minutes=50)
    a_month_on = PUBLISHED + timedelta(days=30)
    store.save_batch([post(-200001, 1, "vk-big", 300)], [], a_month_on, source_id="vk-big")
    store.save_batch([post(-200002, 1, "vk-small", 300)], [], a_month_on, source_id="vk-small")
    store.save_batch([post(-200002, 2, "vk-small", 6_000)], [], first_hour, source_id="vk-small")
    store.save_batch([post(-200002, 3, "vk-small", 6_000)], [], a_month_on, source_id="vk-small")
    calm = post(-200001, 4, "vk-big", 300, text="Котик спит на солнышке на подоконнике")
    store.save_batch([calm], [], first_hour, source_id="vk-big")

    assert steps.analyse(store, analyzer, clock=lambda: a_month_on) == 5
    risk = {p.key: (a.risk_score, set(a.risk_factors)) for p, a in store.analysed()}
    big, small = risk["vk:-200001:1"], risk["vk:-200002:1"]
    assert "audience" in big[1] and "audience" not in small[1]
    assert big[0] > small[0]
    fresh, old = risk["vk:-200002:2"], risk["vk:-200002:3"]
    assert "growth" in fresh[1] and "growth" not in old[1]
    assert fresh[0] > old[0]
    assert risk["vk:-200001:4"] == (0.0, set())  # a cat in a big group is no risk
    # the same posts without what the store knows: the score of before
    plain = analyzer.map([p for p, _ in store.analysed(keys=["vk:-200001:1", "vk:-200002:3"])])
    assert "audience" not in plain[0].risk_factors
    assert plain[1].risk_score == old[0]


def test_audiences_are_counted_once_a_local_day_for_every_enabled_wall(db: Database) -> None:
    municipality = parse_municipality(YAML)
    counts = GospablikiStore(db)
    data = VkDataset()
    for owner, members in ((-200001, 90_000), (-200002, 700), (-200003, 5_000), (-200004, 1)):
        data.add_wall(owner, f"wall {owner}").members_count = members
    morning = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    with serve_in_thread(data, tokens=[TOKEN]) as server:
        readers = Readers(vk=VkClient(TOKEN, api_url=server.url, requests_per_second=1000.0))
        counts.record_subscribers("vk-adm", 4_900, morning, municipality)  # the госпаблик step was first
        done = record_audiences(counts, municipality, readers, morning + timedelta(minutes=10))
        assert done.recorded == {"vk-big": 90_000, "vk-small": 700}  # no search, no disabled wall
        asked = server.count("groups.getById")
        assert asked == 1
        again = record_audiences(counts, municipality, readers, morning + timedelta(hours=8))
        assert again.recorded == {} and server.count("groups.getById") == asked
        data.walls[-200001].members_count = 91_000
        # 22:00 UTC is the next day in Moscow
        next_day = record_audiences(counts, municipality, readers, morning + timedelta(hours=17))
        assert next_day.recorded == {"vk-big": 91_000, "vk-small": 700, "vk-adm": 5_000}
    assert counts.subscribers("vk-big")[-1][1] == 91_000
    assert [count for _, count in counts.subscribers("vk-adm")] == [4_900, 5_000]


def test_a_post_crawl_count_that_fails_comes_back_as_its_message() -> None:
    from infopole.gospabliki.subscribers import SubscribersRun

    def broken() -> SubscribersRun:
        raise ConnectionError("api.vk.com unreachable")

    assert steps.count_or_error(broken) == "ConnectionError: api.vk.com unreachable"
    counted = SubscribersRun(recorded={"vk-big": 90_000})
    assert steps.count_or_error(lambda: counted) is counted
