"""The VK wall collector end to end: the real ``vk_api`` library over HTTP against the local fake.

Nothing is mocked: the fake speaks VK's wire format, the client rewrites the base URL
with a transport adapter, and the collector yields batches whose cursors are stored
the way a worker stores them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawlers.base import AuthError, BadRequest, Batch, RateLimited, SourceUnavailable, TransientError
from crawlers.fakes.vk_server import FakeVkServer, VkDataset, serve_in_thread
from crawlers.vk import VkClient, VkWallCollector, WallCrawlConfig
from crawlers.vk.client import daily_reset
from infopole.config.settings import Settings
from infopole.domain.post import Post, PostKind
from infopole.domain.source import Source, SourceKind
from infopole.storage.db import Database
from infopole.storage.posts import PostStore

TOKEN = "vk1.a.SECRET-test-token-7f3c9e"
OWNER = -100003
SOURCE = Source(id="vk-podslushano", kind=SourceKind.VK_WALL, title="Подслушано Кингисепп", target=str(OWNER))
HOUR = 3600
DAY = 24 * HOUR


def build_wall(now: int) -> tuple[VkDataset, dict[str, int]]:
    """230 posts over ten days (three wall.get pages), an old pinned post, comments and a long thread."""
    dataset = VkDataset()
    dataset.add_wall(OWNER, "Подслушано Кингисепп", "podslushano_kingisepp")
    ids: dict[str, int] = {}
    ids["pinned"] = dataset.add_post(OWNER, "Правила группы 📌 Анонимно — в предложку", date=now - 30 * DAY)
    dataset.walls[OWNER].posts[ids["pinned"]]["is_pinned"] = 1
    for n in range(230):
        post_id = dataset.add_post(
            OWNER, f"Пост №{n}: на Карла Маркса опять яма 🕳", date=now - 10 * DAY + n * HOUR, from_id=1000 + n
        )
        ids[f"p{n}"] = post_id
    ids["old"] = ids["p10"]  # nine days old: outside the three-day window
    ids["recent"] = ids["p220"]  # ten hours old: inside it
    for key in ("old", "recent"):
        head = dataset.add_comment(
            OWNER, ids[key], "Когда уже отремонтируют?!", from_id=501, date=now - 9 * HOUR
        )
        ids[f"{key}_head"] = head
        for m in range(13):  # longer than thread_items_count=10: the thread must be paged
            dataset.add_comment(
                OWNER, ids[key], f"ответ {m} 👍", from_id=600 + m, reply_to=head, date=now - 8 * HOUR
            )
        ids[f"{key}_c2"] = dataset.add_comment(
            OWNER, ids[key], "Подтверждаю", from_id=502, date=now - 7 * HOUR
        )
    ids["repost"] = dataset.add_post(
        OWNER,
        "Репост от администрации",
        date=now - 2 * HOUR,
        copy_history=[
            {
                "id": 15120,
                "owner_id": -100001,
                "from_id": -100001,
                "date": now - 3 * HOUR,
                "text": "Отключение воды",
            }
        ],
    )
    return dataset, ids


@pytest.fixture
def now() -> int:
    return int(time.time())


@pytest.fixture
def wall(now: int) -> tuple[VkDataset, dict[str, int]]:
    return build_wall(now)


@pytest.fixture
def server(wall: tuple[VkDataset, dict[str, int]]) -> Iterator[FakeVkServer]:
    with serve_in_thread(wall[0], tokens=[TOKEN]) as running:
        yield running


def make_client(server: FakeVkServer, **options: Any) -> VkClient:
    options = {"requests_per_second": 1000.0, "backoff_initial": 0.01, "backoff_max": 0.05, **options}
    return VkClient(TOKEN, api_url=server.url, **options)


def make_collector(server: FakeVkServer, **options: Any) -> VkWallCollector:
    config = WallCrawlConfig(rescan_window=timedelta(days=3), comments_recheck=timedelta(hours=1))
    return VkWallCollector(make_client(server, **options), salt="salt", config=config)


def drain(batches: Iterator[Batch], store: list[Batch]) -> dict[str, Any] | None:
    """Store batches as a worker would (posts and cursor together); return the last cursor."""
    cursor = None
    for batch in batches:
        json.dumps(batch.cursor)  # must be storable as JSON
        store.append(batch)
        cursor = batch.cursor
    return cursor


def keys(batches: list[Batch]) -> list[str]:
    return [post.key for batch in batches for post in batch.posts]


def by_key(batches: list[Batch]) -> dict[str, Post]:
    return {post.key: post for batch in batches for post in batch.posts}


def vk(post_id: int, owner: int = OWNER) -> str:
    return f"vk:{owner}:{post_id}"


def test_first_crawl_collects_posts_comments_and_threads(
    server: FakeVkServer, wall: tuple[VkDataset, dict[str, int]]
) -> None:
    dataset, ids = wall
    batches: list[Batch] = []
    cursor = drain(make_collector(server).collect(SOURCE, None), batches)

    found = by_key(batches)
    assert len(keys(batches)) == len(found), "no item is yielded twice in one crawl"
    expected_posts = {vk(post_id) for post_id in dataset.walls[OWNER].posts}
    expected_comments = {vk(comment_id) for comment_id in dataset.walls[OWNER].comments}
    assert expected_posts | expected_comments | {vk(15120, -100001)} == set(found)
    assert found[vk(ids["pinned"])].is_pinned
    assert found[vk(ids["repost"])].copy_of_key == vk(15120, -100001)
    assert found[vk(15120, -100001)].kind is PostKind.REPOST
    replies = [p for p in found.values() if p.reply_to_key == vk(ids["old_head"])]
    assert len(replies) == 13
    assert all(p.parent_key == vk(ids["old"]) and p.kind is PostKind.COMMENT for p in replies)
    assert found[vk(ids["recent_c2"])].text == "Подтверждаю"
    assert cursor is not None and cursor["max_post_id"] == ids["repost"]
    assert cursor["scan"] is None and cursor["queue"] == []
    # 3 wall.get pages; comments: 1 page + 1 thread page for each of the two commented posts
    assert server.count("wall.get") == 3
    assert server.count("wall.getComments") == 4


def test_incremental_crawl_picks_up_only_new_items(
    server: FakeVkServer, wall: tuple[VkDataset, dict[str, int]], now: int
) -> None:
    dataset, ids = wall
    first: list[Batch] = []
    cursor = drain(make_collector(server).collect(SOURCE, None), first)
    new_post = dataset.add_post(OWNER, "Автобус №4 сегодня так и не пришёл 🚌", from_id=777)
    new_comment = dataset.add_comment(OWNER, new_post, "И вчера тоже", from_id=778)
    old_comment = dataset.add_comment(OWNER, ids["old"], "Яму засыпали щебнем", from_id=779)
    calls_before = server.count()

    second: list[Batch] = []
    drain(make_collector(server).collect(SOURCE, cursor), second)

    found = by_key(second)
    assert vk(new_post) in found and vk(new_comment) in found
    assert found[vk(new_comment)].parent_key == vk(new_post)
    # posts older than the re-scan window are not read again (nor are their comments); the pinned
    # post is, on every pass, so that an un-pin reaches the store
    window_start = now - 3 * DAY
    stale = [
        p
        for p in found.values()
        if p.kind is PostKind.POST and p.published_at.timestamp() < window_start - 60
    ]
    assert [p.is_pinned for p in stale] == [True]
    assert vk(old_comment) not in found
    assert vk(ids["p100"]) not in found
    # one wall.get page, then the new post's comments: unchanged older posts are not re-read
    assert server.count("wall.get") - 3 == 1
    assert server.count() - calls_before <= 4


def test_rescan_window_detects_edits_deletions_and_counters(
    server: FakeVkServer, wall: tuple[VkDataset, dict[str, int]], now: int
) -> None:
    dataset, ids = wall
    cursor = drain(make_collector(server).collect(SOURCE, None), [])
    edited, deleted, liked = ids["p225"], ids["p226"], ids["p227"]
    dataset.edit_post(OWNER, edited, "UPD: яму на Карла Маркса засыпали, спасибо!")
    dataset.delete_post(OWNER, deleted)
    dataset.set_counters(OWNER, liked, likes=99, views=4321)
    dataset.delete_comment(OWNER, ids["recent_c2"])  # the post's comment count drops: re-read
    added = dataset.add_comment(OWNER, edited, "А у нас во дворе нет", from_id=880)  # 0 → 1: read

    second: list[Batch] = []
    drain(make_collector(server).collect(SOURCE, cursor), second)
    found = by_key(second)

    assert found[vk(edited)].text == "UPD: яму на Карла Маркса засыпали, спасибо!"
    assert found[vk(edited)].edited_at is not None
    assert found[vk(deleted)].is_deleted
    assert found[vk(liked)].metrics.likes == 99 and found[vk(liked)].metrics.views == 4321
    assert found[vk(ids["recent_c2"])].is_deleted
    assert found[vk(added)].text == "А у нас во дворе нет"
    # the deleted post is forgotten by the window, so a third crawl does not report it again
    third: list[Batch] = []
    drain(make_collector(server).collect(SOURCE, second[-1].cursor), third)
    assert vk(deleted) not in by_key(third)


def test_young_posts_comments_are_rechecked_for_edits(
    server: FakeVkServer, wall: tuple[VkDataset, dict[str, int]]
) -> None:
    """An edit leaves the comment count alone, so only the ``comments_recheck`` age catches it."""
    dataset, ids = wall
    config = WallCrawlConfig(rescan_window=timedelta(days=3), comments_recheck=timedelta(days=1))
    collector = VkWallCollector(make_client(server), salt="salt", config=config)
    cursor = drain(collector.collect(SOURCE, None), [])
    dataset.edit_comment(OWNER, ids["recent_c2"], "Подтверждаю, и на Воровского тоже")
    second: list[Batch] = []
    drain(collector.collect(SOURCE, cursor), second)
    assert by_key(second)[vk(ids["recent_c2"])].text == "Подтверждаю, и на Воровского тоже"
    assert vk(ids["old_c2"]) not in by_key(second)


def test_crash_mid_crawl_resumes_from_cursor_without_loss_or_duplicates(
    wall: tuple[VkDataset, dict[str, int]],
) -> None:
    dataset, _ids = wall
    with serve_in_thread(dataset, tokens=[TOKEN]) as reference_server:
        reference: list[Batch] = []
        drain(make_collector(reference_server).collect(SOURCE, None), reference)
    expected = set(keys(reference))

    with serve_in_thread(dataset, tokens=[TOKEN]) as server:
        collector = make_collector(server, max_attempts=2)
        stored: list[Batch] = []
        # the second wall.get page fails for good: the crawl dies mid-scan
        server.fail("wall.get", 10, times=2, after=1)
        with pytest.raises(TransientError):
            drain(collector.collect(SOURCE, None), stored)
        assert stored, "the first page was stored before the crash"
        # then a thread page fails for good: the crawl dies again in the comments phase
        server.fail("wall.getComments", 9, times=2, after=2)
        with pytest.raises(TransientError):
            drain(collector.collect(SOURCE, stored[-1].cursor), stored)
        drain(collector.collect(SOURCE, stored[-1].cursor), stored)

    collected = keys(stored)
    assert set(collected) == expected
    assert len(collected) == len(set(collected)), "nothing was yielded twice across the crash"


def test_resumed_scan_keeps_posts_published_during_the_outage(
    server: FakeVkServer, wall: tuple[VkDataset, dict[str, int]]
) -> None:
    dataset, _ids = wall
    collector = make_collector(server, max_attempts=1)
    stored: list[Batch] = []
    server.fail("wall.get", 10, after=1)
    with pytest.raises(TransientError):
        drain(collector.collect(SOURCE, None), stored)
    before = {vk(post_id) for post_id in dataset.walls[OWNER].posts}
    arrived = [dataset.add_post(OWNER, f"новость {n}") for n in range(3)]  # shifts every offset by three
    cursor = drain(collector.collect(SOURCE, stored[-1].cursor), stored)
    collected = keys(stored)
    assert before <= set(collected), "the shift lost none of the posts the scan was walking through"
    assert len(collected) == len(set(collected))
    # the newcomers are above the scan's top id, so the next crawl reads them as new
    later: list[Batch] = []
    drain(collector.collect(SOURCE, cursor), later)
    assert {vk(post_id) for post_id in arrived} <= set(keys(later))


@pytest.mark.parametrize("code", [6, 9, 10])
def test_transient_errors_are_retried_with_backoff(server: FakeVkServer, code: int) -> None:
    server.fail("wall.get", code, times=2)
    stored: list[Batch] = []
    drain(make_collector(server).collect(SOURCE, None), stored)
    assert server.count("wall.get", error=code) == 2
    assert stored[-1].cursor["queue"] == []


@pytest.mark.parametrize("code", [6, 9, 10])
def test_transient_errors_are_bounded(server: FakeVkServer, code: int) -> None:
    server.fail("wall.get", code, times=10)
    with pytest.raises(TransientError) as raised:
        drain(make_collector(server, max_attempts=3).collect(SOURCE, None), [])
    assert raised.value.code == code
    assert server.count("wall.get") == 3


def test_error_29_parks_the_method(server: FakeVkServer) -> None:
    server.fail("wall.get", 29)
    collector = make_collector(server)
    with pytest.raises(RateLimited) as raised:
        drain(collector.collect(SOURCE, None), [])
    now = datetime.now(UTC)
    until = daily_reset(now)  # the next 00:00 Moscow time, when VK's daily quotas reset
    assert raised.value.method == "wall.get" and raised.value.code == 29
    assert abs(raised.value.retry_after - (until - now).total_seconds()) < 60
    assert collector.client.parked_until("wall.get") == until
    assert server.count("wall.get") == 1
    with pytest.raises(RateLimited) as again:  # parked: refused without asking VK again
        drain(collector.collect(SOURCE, None), [])
    assert again.value.code == 29 and 0 < again.value.retry_after <= raised.value.retry_after
    assert server.count("wall.get") == 1


@pytest.mark.parametrize("code", [5, 14])
def test_auth_errors_stop_the_token(server: FakeVkServer, code: int) -> None:
    server.fail("wall.get", code)
    with pytest.raises(AuthError) as raised:
        drain(make_collector(server).collect(SOURCE, None), [])
    assert raised.value.code == code
    assert server.count("wall.get") == 1  # never retried


def test_unknown_token_is_an_auth_error(server: FakeVkServer) -> None:
    client = VkClient("some-other-token", api_url=server.url, requests_per_second=1000)
    with pytest.raises(AuthError) as raised:
        client.call("wall.get", owner_id=OWNER, count=1)
    assert raised.value.code == 5


@pytest.mark.parametrize("code", [15, 18, 30, 203])
def test_unavailable_source_is_skipped(server: FakeVkServer, code: int) -> None:
    server.dataset.walls[OWNER].access_error = code
    with pytest.raises(SourceUnavailable) as raised:
        drain(make_collector(server).collect(SOURCE, None), [])
    assert raised.value.code == code
    assert raised.value.source_id == SOURCE.id
    assert server.count() == 1


def test_closed_comments_skip_only_that_post(
    server: FakeVkServer, wall: tuple[VkDataset, dict[str, int]]
) -> None:
    dataset, ids = wall
    dataset.walls[OWNER].posts[ids["old"]]["comments_closed"] = True  # answers 212
    stored: list[Batch] = []
    cursor = drain(make_collector(server).collect(SOURCE, None), stored)
    found = by_key(stored)
    assert vk(ids["old_head"]) not in found
    assert vk(ids["recent_head"]) in found
    assert cursor is not None and cursor["queue"] == []


def test_error_100_is_never_retried(server: FakeVkServer) -> None:
    server.fail("wall.get", 100)
    with pytest.raises(BadRequest):
        drain(make_collector(server).collect(SOURCE, None), [])
    assert server.count("wall.get") == 1


def test_fake_throttles_with_error_6_and_the_client_recovers(wall: tuple[VkDataset, dict[str, int]]) -> None:
    with serve_in_thread(wall[0], tokens=[TOKEN], rps_limit=3) as server:
        client = make_client(
            server, requests_per_second=50, backoff_initial=0.4, backoff_max=1.0, max_attempts=8
        )
        for _ in range(6):
            client.call("wall.get", owner_id=OWNER, count=1)
        assert server.count(error=6) >= 1, "the fake answered 'too many requests per second'"
        assert server.count(error=None) - server.count(error=6) >= 6

        # one client (so one limiter) per token, shared by two worker threads at the allowed rate
        polite = make_client(server, requests_per_second=3, max_attempts=1)
        time.sleep(1.1)  # let the window of the impolite client pass
        before, started = server.count(error=6), time.monotonic()
        workers = [
            threading.Thread(
                target=lambda: [polite.call("wall.get", owner_id=OWNER, count=1) for _ in range(3)]
            )
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert server.count(error=6) == before, "a client at the allowed rate is never throttled"
        assert polite.requests_made == 6
        assert time.monotonic() - started >= 5 / 3, "the two threads shared one limiter"


def test_token_never_leaks(
    server: FakeVkServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    collector = make_collector(server, max_attempts=2)
    stored: list[Batch] = []
    errors: list[BaseException] = []
    server.fail("wall.get", 6)  # retried, logged
    drain(collector.collect(SOURCE, None), stored)
    for code in (100, 5, 15, 29):
        server.fail("wall.getComments", code)
        cursor = {**stored[-1].cursor, "queue": [int(stored[0].posts[-1].post_id)], "scan": None}
        try:
            drain(collector.collect(SOURCE, cursor), stored)
        except Exception as exc:
            errors.append(exc)
    server.fail("wall.get", 10, times=5)
    with pytest.raises(TransientError) as raised:
        drain(collector.collect(SOURCE, None), stored)
    errors.append(raised.value)

    assert len(errors) >= 4
    for error in errors:
        chain: list[BaseException] = []
        link: BaseException | None = error
        while link is not None:
            chain.append(link)
            link = link.__cause__ or link.__context__
        for item in chain:
            assert TOKEN not in str(item) and TOKEN not in repr(item)
            assert TOKEN not in repr(vars(item))
    assert TOKEN not in caplog.text
    assert TOKEN not in capsys.readouterr().err
    for batch in stored:
        assert TOKEN not in json.dumps(batch.cursor)
        for raw in batch.raw:
            assert TOKEN not in raw.payload_json()
    assert TOKEN not in repr(collector.client)
    assert TOKEN not in repr(Settings(vk_token=TOKEN))


def test_collector_from_settings_uses_configured_base_url(server: FakeVkServer) -> None:
    settings = Settings(vk_api_url=server.url, vk_token=TOKEN, vk_requests_per_second=1000, author_salt="s")
    collector = VkWallCollector.from_settings(settings)
    batches = list(collector.collect(SOURCE, None))
    assert batches and server.count("wall.get") == 3


def test_comments_gone_without_a_placeholder_are_marked_deleted(
    server: FakeVkServer, wall: tuple[VkDataset, dict[str, int]], tmp_path: Path
) -> None:
    """VK drops a deleted comment nobody answered (no ``deleted`` placeholder): the re-read thread tells."""
    dataset, ids = wall
    store = PostStore(Database(f"sqlite:///{tmp_path / 'posts.db'}"))
    collector = make_collector(server)
    cursor = None
    for batch in collector.collect(SOURCE, None):
        store.save_batch(batch.posts, batch.raw, datetime.now(UTC), SOURCE.id, batch.cursor)
        cursor = batch.cursor
    reply = next(
        c for c in dataset.walls[OWNER].comments.values() if ids["recent_head"] in c["parents_stack"]
    )
    written = dataset.walls[OWNER].comments[ids["recent_c2"]]["date"]
    dataset.delete_comment(OWNER, ids["recent_c2"])  # nobody answered it: it vanishes
    dataset.delete_comment(OWNER, reply["id"])  # a thread reply: vanishes too
    page = make_client(server).call(
        "wall.getComments", owner_id=OWNER, post_id=ids["recent"], count=100, thread_items_count=10
    )
    assert "deleted" not in json.dumps(page), "no placeholder: the comments are simply not there"

    second: list[Batch] = []
    for batch in collector.collect(SOURCE, cursor):
        store.save_batch(batch.posts, batch.raw, datetime.now(UTC), SOURCE.id, batch.cursor)
        second.append(batch)
    found = by_key(second)
    deleted = {key for key, post in found.items() if post.is_deleted}
    assert deleted == {vk(ids["recent_c2"]), vk(reply["id"])}
    gone = found[vk(ids["recent_c2"])]
    assert gone.kind is PostKind.COMMENT and gone.parent_key == vk(ids["recent"])
    assert gone.published_at.timestamp() == written
    stored = store.get(vk(ids["recent_c2"]))
    assert stored is not None and stored.is_deleted and stored.text == "Подтверждаю"  # what was written stays
    assert [r.is_deleted for r in store.revisions(vk(ids["recent_c2"]))] == [False, True]
    # reported once: the next crawl does not tombstone it again
    third: list[Batch] = []
    drain(collector.collect(SOURCE, second[-1].cursor), third)
    assert not [post for post in by_key(third).values() if post.is_deleted]


def test_a_comment_pass_cut_short_marks_nothing_deleted(
    server: FakeVkServer, wall: tuple[VkDataset, dict[str, int]], now: int
) -> None:
    dataset, ids = wall
    for n in range(3):  # more top-level comments, so the pass takes several pages of two
        dataset.add_comment(OWNER, ids["recent"], f"И у нас {n}", from_id=900 + n, date=now - 6 * HOUR)
    config = WallCrawlConfig(
        rescan_window=timedelta(days=3), comments_recheck=timedelta(hours=1), comments_page_size=2
    )
    collector = VkWallCollector(make_client(server), salt="salt", config=config)
    cursor = drain(collector.collect(SOURCE, None), [])
    dataset.delete_comment(OWNER, ids["recent_c2"])

    stored: list[Batch] = []
    for batch in collector.collect(SOURCE, cursor):
        stored.append(batch)
        if batch.cursor["comments_after"] is not None:
            break  # the worker dies in the middle of the post's comment pass
    assert stored and stored[-1].cursor["queue"] == [ids["recent"]]
    assert not [post for post in by_key(stored).values() if post.is_deleted], "a partial pass marks nothing"

    # comments closed on the post: the pass is skipped, and a skipped pass marks nothing either
    dataset.walls[OWNER].posts[ids["recent"]]["comments_closed"] = True
    skipped: list[Batch] = []
    drain(collector.collect(SOURCE, stored[-1].cursor), skipped)
    assert not [post for post in by_key(skipped).values() if post.is_deleted]
    assert str(ids["recent_c2"]) in skipped[-1].cursor["comment_ids"][str(ids["recent"])]

    # the whole tree read again: now the deletion is certain
    del dataset.walls[OWNER].posts[ids["recent"]]["comments_closed"]
    dataset.add_comment(OWNER, ids["recent"], "Засыпали!", from_id=990)  # the count moves: re-read
    final: list[Batch] = []
    drain(collector.collect(SOURCE, skipped[-1].cursor), final)
    assert {key for key, post in by_key(final).items() if post.is_deleted} == {vk(ids["recent_c2"])}


def test_token_never_reaches_the_database(
    server: FakeVkServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing a worker stores (posts, raw payloads, cursors, errors, the shared limiter) holds the token."""
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "infopole.db"
    db = Database(f"sqlite:///{path}")
    store = PostStore(db)
    settings = Settings(vk_api_url=server.url, vk_token=TOKEN, vk_requests_per_second=1000, author_salt="s")
    client = VkClient.from_settings(settings, db=db, backoff_initial=0.01, backoff_max=0.02, max_attempts=2)
    collector = VkWallCollector(client, salt="s")
    server.fail("wall.get", 6)  # retried and logged
    for batch in collector.collect(SOURCE, None):
        store.save_batch(batch.posts, batch.raw, datetime.now(UTC), SOURCE.id, batch.cursor)
    for code in (5, 29, 10):
        server.fail("wall.get", code, times=2)
        try:
            list(collector.collect(SOURCE, None))
        except Exception as exc:  # what the flow records as the source's last error
            store.record_failure(SOURCE.id, datetime.now(UTC), f"{type(exc).__name__}: {exc}")
    db.close()

    assert store.count() > 200
    dump = "\n".join(sqlite3.connect(path).iterdump())
    assert "VK error 29" in dump and "wall.get" in dump  # the errors and the park were stored ...
    assert TOKEN not in dump  # ... without the token
    assert TOKEN not in caplog.text


def old_official_wall(now: int) -> tuple[VkDataset, dict[str, int]]:
    """Posts of 25, 20, 12 and 1 days ago, and rules pinned 60 days ago."""
    dataset = VkDataset()
    dataset.add_wall(OWNER, "Администрация", "adm")
    ids = {"pinned": dataset.add_post(OWNER, "Правила", date=now - 60 * DAY, is_pinned=True, from_id=OWNER)}
    for age in (25, 20, 12, 1):
        ids[f"d{age}"] = dataset.add_post(OWNER, f"Новость {age}", date=now - age * DAY, from_id=OWNER)
    ids["c12"] = dataset.add_comment(OWNER, ids["d12"], "Спасибо", from_id=501, date=now - 11 * DAY)
    return dataset, ids


def test_comments_under_older_official_posts_are_read_when_their_count_changes(now: int) -> None:
    dataset, ids = old_official_wall(now)
    official = SOURCE.model_copy(update={"official": True})
    config = WallCrawlConfig(backfill=timedelta(days=90), comments_recheck=timedelta(hours=1))
    with serve_in_thread(dataset, tokens=[TOKEN]) as server:
        collector = VkWallCollector(make_client(server), salt="salt", config=config)
        plain = drain(collector.collect(SOURCE, None), [])
        cursor = drain(collector.collect(official, None), [])
        assert cursor is not None
        assert set(cursor["window"]) == {str(ids[k]) for k in ("d25", "d20", "d12", "d1", "pinned")}
        complaint = dataset.add_comment(OWNER, ids["d20"], "Яму так и не засыпали!", from_id=502)
        answer = dataset.add_comment(OWNER, ids["d20"], "Передали в ЖКХ", from_id=OWNER, reply_to=complaint)
        dataset.delete_comment(OWNER, ids["c12"], placeholder=False)  # 12 days old: its count drops

        # an ordinary source: posts past the three-day window are not looked at again
        missed: list[Batch] = []
        drain(collector.collect(SOURCE, plain), missed)
        assert vk(complaint) not in by_key(missed)

        comments_before, calls_before = server.count("wall.getComments"), server.count()
        second: list[Batch] = []
        cursor = drain(collector.collect(official, cursor), second)
        found = by_key(second)
        assert found[vk(complaint)].parent_key == vk(ids["d20"])
        assert found[vk(answer)].reply_to_key == vk(complaint)
        assert found[vk(ids["c12"])].is_deleted  # the whole tree was read again: the deletion shows
        assert found[vk(ids["d20"])].metrics.comments == 2  # the stored counter follows
        assert vk(ids["d25"]) not in found  # its count did not change: neither it nor its comments
        # one wall.get page; comments of the two changed posts and the one-hour recheck of none
        assert server.count("wall.getComments") - comments_before == 2
        assert server.count() - calls_before <= 3

        third: list[Batch] = []
        drain(collector.collect(official, cursor), third)
        assert {p.key for p in by_key(third).values() if p.kind is PostKind.COMMENT} == set()


def test_an_unpinned_post_is_stored_unpinned(now: int) -> None:
    dataset, ids = old_official_wall(now)
    with serve_in_thread(dataset, tokens=[TOKEN]) as server:
        collector = VkWallCollector(
            make_client(server), salt="salt", config=WallCrawlConfig(backfill=timedelta(days=90))
        )
        first: list[Batch] = []
        cursor = drain(collector.collect(SOURCE, None), first)
        assert by_key(first)[vk(ids["pinned"])].is_pinned
        again: list[Batch] = []
        cursor = drain(collector.collect(SOURCE, cursor), again)
        assert by_key(again)[vk(ids["pinned"])].is_pinned  # current on every pass
        question = dataset.add_comment(OWNER, ids["pinned"], "Куда писать про яму?", from_id=503)
        asked: list[Batch] = []
        cursor = drain(collector.collect(SOURCE, cursor), asked)
        assert by_key(asked)[vk(question)].parent_key == vk(ids["pinned"])  # its comments are watched

        dataset.walls[OWNER].posts[ids["pinned"]].pop("is_pinned")
        unpinned: list[Batch] = []
        cursor = drain(collector.collect(SOURCE, cursor), unpinned)
        post = by_key(unpinned)[vk(ids["pinned"])]
        assert not post.is_pinned and not post.is_deleted and post.text == "Правила"

        quiet: list[Batch] = []
        drain(collector.collect(SOURCE, cursor), quiet)
        assert vk(ids["pinned"]) not in by_key(quiet)  # 60 days old and no longer pinned: left alone
