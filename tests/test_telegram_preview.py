"""The t.me/s path: saved preview pages in, ``Post``s out; then the collector end to end against the fake.

The saved pages in ``tests/data/telegram`` follow the real t.me/s markup. The collector
runs its real fetcher (``requests``) and Scrapy's ``HtmlResponse`` against the local
fake, which renders the same structure and can answer 429.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import scrapy
from scrapy.http import HtmlResponse

from crawlers.base import Batch, RateLimited, SourceUnavailable
from crawlers.fakes.telegram_preview import FakeTelegramPreview, PreviewDataset, format_count, serve_in_thread
from crawlers.telegram.fetch import PreviewFetcher
from crawlers.telegram.preview import channel_name, parse_count, parse_page
from crawlers.telegram.preview_collector import PreviewCrawlConfig, TelegramPreviewCollector
from crawlers.telegram.spider import TelegramPreviewSpider
from infopole.config.settings import Settings
from infopole.domain.post import Attachment, Platform, Post, pseudonymise
from infopole.domain.source import Source, SourceKind

DATA = Path(__file__).parent / "data" / "telegram"
FETCHED = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SALT = "test-salt"
CHANNEL = "kingisepp_online"
SOURCE = Source(
    id="tg-kingisepp-online", kind=SourceKind.TG_CHANNEL, title="Кингисепп Онлайн", target="@" + CHANNEL
)
HOUR = 3600


def saved(name: str, url: str = f"https://t.me/s/{CHANNEL}") -> HtmlResponse:
    return HtmlResponse(url, body=(DATA / name).read_bytes(), encoding="utf-8")


def by_id(posts: tuple[Post, ...] | list[Post]) -> dict[str, Post]:
    return {post.post_id: post for post in posts}


# ---------------------------------------------------------------------------------- saved pages


def test_newest_page_field_by_field() -> None:
    page = parse_page(
        saved("kingisepp_online.html"), channel=CHANNEL, source_id=SOURCE.id, salt=SALT, fetched_at=FETCHED
    )
    assert page.is_channel
    assert page.ids == (1228, 1229, 1230, 1232, 1233, 1234)  # 1231 was deleted; 1228 is a service message
    assert page.before == 1228
    posts = by_id(page.posts)
    assert sorted(posts) == ["1229", "1230", "1232", "1233", "1234"]

    latest = posts["1234"]
    assert latest.platform is Platform.TELEGRAM
    assert latest.key == "telegram:kingisepp_online:1234"
    assert latest.url == "https://t.me/kingisepp_online/1234"
    assert latest.source_id == SOURCE.id
    assert (
        latest.text
        == "⚡ Внимание! 24 ноября с 10:00 до 16:00 отключение электроэнергии: ул. Иванова, д. 5–12."
    )
    assert latest.published_at == datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    assert latest.metrics.views == 1_100_000
    assert latest.edited_at is None
    assert latest.author_id == pseudonymise(Platform.TELEGRAM, CHANNEL, SALT)
    assert latest.author_is_community

    forwarded = posts["1230"]
    assert forwarded.text == (
        "График отключения горячей воды в связи с гидравлическими испытаниями:\n"
        "— ул. Воровского, д. 10–24\n— пр. Карла Маркса, д. 3\n\n"
        "Подробности: kingisepp.ru/news/12345 #ЖКХ"
    )
    assert forwarded.copy_of_key == "telegram:kingisepp_adm:455"
    assert forwarded.metrics.views == 3_000_000

    reply = posts["1232"]
    assert reply.reply_to_key == "telegram:kingisepp_online:1230"
    # the reply block quotes 1230's text in a nested .tgme_widget_message_text: not this post's text
    assert reply.text.startswith("Жители ул. Воровского пишут")
    assert reply.text.endswith("😡\nУправляющая компания трубку не берёт.")
    assert reply.edited_at == FETCHED  # «edited» says that, not when: the fetch time is the upper bound
    assert reply.metrics.views == 912

    assert posts["1229"].attachments == (Attachment("photo", "https://t.me/kingisepp_online/1229"),)
    assert posts["1229"].text.startswith("🚧 Ремонт моста через Лугу")
    assert posts["1233"].attachments == (
        Attachment("link", "https://www.gosuslugi.ru/10700/1", "Запись на приём к врачу"),
    )
    assert posts["1233"].metrics.views == 15_000


def test_raw_payload_keeps_the_message_html() -> None:
    page = parse_page(
        saved("kingisepp_online.html"), channel=CHANNEL, source_id=SOURCE.id, salt=SALT, fetched_at=FETCHED
    )
    raw = {item.item_key: item for item in page.raw}["telegram:kingisepp_online:1232"]
    assert raw.payload["data_post"] == "kingisepp_online/1232"
    assert raw.payload["edited"] is True
    assert raw.payload["views"] == "912"
    assert raw.payload["signature"] == "Ольга"
    assert 'data-post="kingisepp_online/1232"' in raw.payload["html"]
    assert raw.fetched_at == FETCHED


def test_oldest_page_has_no_older_link_and_keeps_polls() -> None:
    page = parse_page(
        saved("kingisepp_online_before_1228.html"),
        channel=CHANNEL,
        source_id=SOURCE.id,
        salt=SALT,
        fetched_at=FETCHED,
    )
    assert page.before is None
    posts = by_id(page.posts)
    assert posts["1226"].attachments == (Attachment("poll", "", "Как вы оцениваете уборку снега во дворах?"),)
    assert posts["1226"].metrics.views == 2_500
    assert posts["1227"].edited_at == FETCHED
    assert posts["1227"].text == "В субботу — ярмарка на Театральной площади 🎉 Начало в 11:00"
    assert posts["1225"].edited_at is None


def test_a_page_without_preview_is_not_a_channel() -> None:
    page = parse_page(
        saved("no_preview.html", "https://t.me/closed_chat_kingisepp"),
        channel="closed_chat_kingisepp",
        source_id="x",
        salt=SALT,
        fetched_at=FETCHED,
    )
    assert not page.is_channel
    assert page.posts == ()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("912", 912),
        ("1.2K", 1_200),
        ("15K", 15_000),
        ("3M", 3_000_000),
        ("1.1M", 1_100_000),
        ("2,5K", 2_500),
        ("", 0),
        (None, 0),
    ],
)
def test_view_counters(text: str | None, value: int) -> None:
    assert parse_count(text) == value


def test_unreadable_counter_is_an_error_not_zero() -> None:
    with pytest.raises(ValueError, match="unreadable"):
        parse_count("много")


@pytest.mark.parametrize(
    "target",
    ["kingisepp_online", "@Kingisepp_Online", "https://t.me/kingisepp_online", "t.me/s/kingisepp_online/"],
)
def test_channel_names(target: str) -> None:
    assert channel_name(target) == CHANNEL


def test_fake_prints_counters_like_telegram() -> None:
    assert [format_count(n) for n in (912, 1_200, 15_300, 3_000_000)] == ["912", "1.2K", "15K", "3M"]


# ---------------------------------------------------------------------------------- the spider


def test_spider_parse_yields_posts_newest_first_and_the_older_page() -> None:
    spider = TelegramPreviewSpider(channel=CHANNEL, source_id=SOURCE.id, salt=SALT)
    out = list(spider.parse(saved("kingisepp_online.html")))
    posts = [item for item in out if isinstance(item, Post)]
    requests = [item for item in out if isinstance(item, scrapy.Request)]
    assert [post.post_id for post in posts] == ["1234", "1233", "1232", "1230", "1229"]
    assert [request.url for request in requests] == [f"https://t.me/s/{CHANNEL}?before=1228"]


def test_spider_stops_at_the_stored_cursor() -> None:
    spider = TelegramPreviewSpider(channel=CHANNEL, salt=SALT, min_id=1230)
    out = list(spider.parse(saved("kingisepp_online.html")))
    assert [item.post_id for item in out if isinstance(item, Post)] == ["1234", "1233", "1232"]
    assert not [item for item in out if isinstance(item, scrapy.Request)]


def test_spider_runs_in_scrapy_against_the_fake_through_a_429(tmp_path: Path) -> None:
    """A real Scrapy crawl (own process: the reactor is one-shot): paging, polite settings, 429 retried."""
    dataset, _ = channel_dataset(int(time.time()), count=30)
    out = tmp_path / "posts.jsonl"
    with serve_in_thread(dataset) as server:
        server.throttle(1, retry_after=1)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "runspider",
                str(Path(__file__).parents[1] / "crawlers/telegram/spider.py"),
                "-a",
                f"channel={CHANNEL}",
                "-a",
                f"base_url={server.url}",
                "-a",
                f"salt={SALT}",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_START_DELAY=0",
                "-s",
                "TME_BACKOFF_MAX=1",
                "-s",
                "LOG_LEVEL=INFO",
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parents[1],
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert server.count(429) == 1
        assert server.count(200) == 2  # the newest page, then ?before=
    items = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(int(item["post_id"]) for item in items) == list(range(1, 31))
    assert "HTTP 429, retry 1" in result.stderr


# ---------------------------------------------------------------------------------- the collector


def channel_dataset(now: int, count: int = 45) -> tuple[PreviewDataset, list[int]]:
    """``count`` posts, one every five hours up to an hour ago: three t.me/s pages of 20."""
    dataset = PreviewDataset()
    dataset.add_channel(CHANNEL, "Кингисепп Онлайн", description="Новости Кингисеппа", subscribers=12_400)
    ids = [
        dataset.add_message(
            CHANNEL,
            f"Новость №{n}: на Карла Маркса опять яма 🕳 https://kingisepp.ru/n/{n}",
            date=now - (count - n) * 5 * HOUR,
            views=n * 150,
        )
        for n in range(count)
    ]
    return dataset, ids


def collector(server: FakeTelegramPreview, **config: Any) -> tuple[TelegramPreviewCollector, list[float]]:
    slept: list[float] = []
    fetcher = PreviewFetcher(
        server.url, min_interval=0.0, backoff_initial=0.01, backoff_max=0.05, sleep=slept.append
    )
    settings = Settings(telegram_preview_url=server.url, author_salt=SALT)
    built = TelegramPreviewCollector.from_settings(
        settings, fetcher=fetcher, config=PreviewCrawlConfig(**config) if config else None
    )
    return built, slept


def crawl(
    collector: TelegramPreviewCollector, cursor: dict[str, Any] | None
) -> tuple[list[Batch], dict[str, Any]]:
    batches = list(collector.collect(SOURCE, cursor))
    return batches, json.loads(json.dumps(batches[-1].cursor))  # stored as JSON, read back


def posts_of(batches: list[Batch]) -> list[Post]:
    return [post for batch in batches for post in batch.posts]


@pytest.fixture
def now() -> int:
    return int(time.time())


def test_first_crawl_pages_back_to_the_backfill_horizon(now: int) -> None:
    dataset, ids = channel_dataset(now)
    with serve_in_thread(dataset) as server:
        built, _ = collector(server, backfill=timedelta(days=7))
        batches, cursor = crawl(built, None)
    posts = posts_of(batches)
    assert len(batches) == 2  # one per page; the third page lies wholly beyond the horizon
    horizon = now - 7 * 24 * HOUR
    expected = [
        message_id for message_id in ids if dataset.channels[CHANNEL].messages[message_id].date >= horizon
    ]
    assert sorted(int(post.post_id) for post in posts) == expected
    assert len({post.key for post in posts}) == len(posts)
    assert all(len(batch.raw) == len(batch.posts) for batch in batches)
    assert cursor["max_id"] == ids[-1] and cursor["scan"] is None
    newest = by_id(posts)[str(ids[-1])]
    assert newest.text == "Новость №44: на Карла Маркса опять яма 🕳 https://kingisepp.ru/n/44"
    assert newest.metrics.views == 6_600  # printed «6.6K»


def test_incremental_crawl_reads_only_new_posts_and_the_window(now: int) -> None:
    dataset, ids = channel_dataset(now)
    with serve_in_thread(dataset) as server:
        built, _ = collector(server, rescan_window=timedelta(hours=12))
        _, cursor = crawl(built, None)
        first_hits = server.count()
        fresh = dataset.add_message(CHANNEL, "Срочно: прорыв трубы на Воровского 💧", date=now - 60, views=10)
        batches, cursor = crawl(built, cursor)
        assert server.count() - first_hits == 1  # the newest page was enough
    posts = by_id(posts_of(batches))
    window = [i for i in ids if dataset.channels[CHANNEL].messages[i].date >= now - 12 * HOUR]
    assert sorted(posts) == sorted(str(i) for i in [*window, fresh])
    assert posts[str(fresh)].text == "Срочно: прорыв трубы на Воровского 💧"
    assert cursor["max_id"] == fresh


def test_edits_views_and_deletions_in_the_window(now: int) -> None:
    dataset, ids = channel_dataset(now)
    with serve_in_thread(dataset) as server:
        built, _ = collector(server, rescan_window=timedelta(days=1))
        _, cursor = crawl(built, None)
        edited, deleted, boosted = ids[-1], ids[-2], ids[-3]
        dataset.edit_message(CHANNEL, edited, "Новость №44 (исправлено): яму засыпали ✅")
        dataset.delete_message(CHANNEL, deleted)
        dataset.set_views(CHANNEL, boosted, 1_234_567)
        batches, cursor = crawl(built, cursor)
    posts = by_id(posts_of(batches))
    assert posts[str(edited)].text == "Новость №44 (исправлено): яму засыпали ✅"
    assert posts[str(edited)].edited_at is not None
    assert posts[str(deleted)].is_deleted and posts[str(deleted)].text == ""
    assert posts[str(deleted)].published_at == datetime.fromtimestamp(now - 2 * 5 * HOUR, tz=UTC)
    assert posts[str(boosted)].metrics.views == 1_200_000  # «1.2M» on the page
    assert str(deleted) not in cursor["known"]


def test_a_deletion_between_two_pages_is_found(now: int) -> None:
    dataset, ids = channel_dataset(now, count=45)
    with serve_in_thread(dataset) as server:
        built, _ = collector(server, rescan_window=timedelta(days=30))
        _, cursor = crawl(built, None)
        # ids[24] is the lowest on the newest page; after deleting it, the page starts at ids[23]
        # and ids[24] falls in no page's range unless ranges are contiguous
        dataset.delete_message(CHANNEL, ids[24])
        batches, _ = crawl(built, cursor)
    tombstones = [post for post in posts_of(batches) if post.is_deleted]
    assert [post.post_id for post in tombstones] == [str(ids[24])]


def test_a_crash_mid_crawl_resumes_from_the_stored_cursor(now: int) -> None:
    dataset, ids = channel_dataset(now)
    with serve_in_thread(dataset) as server:
        built, _ = collector(server, backfill=timedelta(days=30))
        generator = cast(Generator[Batch, None, None], built.collect(SOURCE, None))
        first = next(generator)
        generator.close()  # the worker died after storing the first batch
        stored = json.loads(json.dumps(first.cursor))
        arrived = dataset.add_message(CHANNEL, "Пока мы падали, вышла новость", date=now)
        rest, cursor = crawl(built, stored)
        after, _ = crawl(built, cursor)
    keys = [post.key for post in [*first.posts, *posts_of(rest)]]
    assert len(keys) == len(set(keys)) == len(ids)
    assert str(arrived) in by_id(posts_of(after))


def test_429_is_retried_with_retry_after(now: int) -> None:
    dataset, _ = channel_dataset(now, count=5)
    with serve_in_thread(dataset) as server:
        built, slept = collector(server)
        server.throttle(2, retry_after=3)
        batches, _ = crawl(built, None)
        assert server.count(429) == 2
    assert len(posts_of(batches)) == 5
    assert slept.count(3.0) == 2  # waited what the server asked, twice, and then succeeded


def test_429_that_persists_reschedules_the_source(now: int) -> None:
    dataset, _ = channel_dataset(now, count=5)
    with serve_in_thread(dataset) as server:
        built, _ = collector(server)
        server.throttle(10, retry_after=2)
        with pytest.raises(RateLimited) as caught:
            list(built.collect(SOURCE, None))
        assert server.count(429) == 4  # bounded
    assert caught.value.retry_after == 2 and caught.value.code == 429


def test_a_long_retry_after_is_not_slept_through(now: int) -> None:
    dataset, _ = channel_dataset(now, count=5)
    with serve_in_thread(dataset) as server:
        built, slept = collector(server)
        server.throttle(1, retry_after=3600)
        with pytest.raises(RateLimited) as caught:
            list(built.collect(SOURCE, None))
        assert server.count(429) == 1
    assert caught.value.retry_after == 3600
    assert slept == []


def test_a_channel_without_preview_is_unavailable(now: int) -> None:
    dataset, _ = channel_dataset(now, count=1)
    with serve_in_thread(dataset) as server:
        built, _ = collector(server)
        gone = Source(
            id="tg-closed", kind=SourceKind.TG_CHANNEL, title="Закрытый", target="closed_chat_kingisepp"
        )
        with pytest.raises(SourceUnavailable) as caught:
            list(built.collect(gone, None))
    assert caught.value.source_id == "tg-closed"


def test_other_source_kinds_are_refused() -> None:
    built = TelegramPreviewCollector(PreviewFetcher("http://127.0.0.1:9"), salt=SALT)
    chat = Source(id="tg-chat", kind=SourceKind.TG_CHAT, title="Чат", target="kingisepp_chat")
    with pytest.raises(ValueError, match="tg_chat"):
        list(built.collect(chat, None))
