"""``execute`` batching: the VKScript we send, VK's answer shape with ``execute_errors``, and the
wall collector reading first comment pages 25 posts per request, against the local fake."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from crawlers.base import AuthError, BadRequest, Batch, TransientError
from crawlers.fakes.vk_server import FakeVkServer, VkDataset, parse_vkscript, serve_in_thread
from crawlers.vk import VkClient, VkWallCollector, WallCrawlConfig
from crawlers.vk.execute import ApiCall, vkscript
from infopole.domain.source import Source, SourceKind

TOKEN = "vk1.a.execute-SECRET-41d2"
OWNER = -100002
SOURCE = Source(id="vk-online", kind=SourceKind.VK_WALL, title="Кингисепп Онлайн", target=str(OWNER))
POSTS = 30


def build_wall() -> tuple[VkDataset, list[int]]:
    """30 recent posts, each with two comments (one with a short thread), so each is queued for comments."""
    now = int(time.time())
    dataset = VkDataset()
    dataset.add_wall(OWNER, "Кингисепп Онлайн", "kingisepp_online")
    post_ids = []
    for n in range(POSTS):
        post_id = dataset.add_post(OWNER, f"Новость {n}: ремонт на ул. Воровского 🚧", date=now - 5000 + n)
        head = dataset.add_comment(OWNER, post_id, f"Когда закончат? №{n}", from_id=300 + n, date=now - 100)
        dataset.add_comment(OWNER, post_id, "Обещали к пятнице", from_id=7, reply_to=head, date=now - 90)
        dataset.add_comment(OWNER, post_id, "Спасибо 👍", from_id=8, date=now - 80)
        post_ids.append(post_id)
    return dataset, post_ids


@pytest.fixture
def wall() -> tuple[VkDataset, list[int]]:
    return build_wall()


@pytest.fixture
def server(wall: tuple[VkDataset, list[int]]) -> Iterator[FakeVkServer]:
    with serve_in_thread(wall[0], tokens=[TOKEN]) as running:
        yield running


def client(server: FakeVkServer) -> VkClient:
    return VkClient(
        TOKEN, api_url=server.url, requests_per_second=1000, backoff_initial=0.01, backoff_max=0.02
    )


def collector(server: FakeVkServer, execute_batch: int = 25, **options: Any) -> VkWallCollector:
    config = WallCrawlConfig(
        rescan_window=timedelta(days=3), comments_recheck=timedelta(hours=1), execute_batch=execute_batch
    )
    return VkWallCollector(client(server), salt="salt", config=config, **options)


def drain(batches: Iterator[Batch], store: list[Batch]) -> dict[str, Any] | None:
    cursor = None
    for batch in batches:
        store.append(batch)
        cursor = batch.cursor
    return cursor


def keys(batches: list[Batch]) -> list[str]:
    return [post.key for batch in batches for post in batch.posts]


def test_vkscript_wire_format() -> None:
    code = vkscript(
        [
            ApiCall("wall.getComments", {"owner_id": -1, "post_id": 5, "need_likes": True, "x": None}),
            ApiCall("groups.getById", {"group_ids": [1, 2], "fields": "city"}),
        ]
    )
    assert code == (
        'return [API.wall.getComments({"owner_id":-1,"post_id":5,"need_likes":1}),'
        'API.groups.getById({"group_ids":"1,2","fields":"city"})];'
    )
    assert parse_vkscript(code) == [
        ("wall.getComments", {"owner_id": "-1", "post_id": "5", "need_likes": "1"}),
        ("groups.getById", {"group_ids": "1,2", "fields": "city"}),
    ]
    with pytest.raises(ValueError):
        vkscript([ApiCall("wall.get")] * 26)


def test_execute_answers_false_and_execute_errors_like_vk(
    server: FakeVkServer, wall: tuple[VkDataset, list[int]]
) -> None:
    dataset, post_ids = wall
    dataset.walls[OWNER].posts[post_ids[1]]["comments_closed"] = True
    calls = [ApiCall("wall.getComments", {"owner_id": OWNER, "post_id": p, "count": 1}) for p in post_ids[:3]]
    body = client(server).call_raw("execute", code=vkscript(calls))
    assert [answer is False for answer in body["response"]] == [False, True, False]
    assert body["response"][0]["items"][0]["text"] == "Когда закончат? №0"
    assert body["execute_errors"] == [
        {"method": "wall.getComments", "error_code": 212, "error_msg": "Access to post comments denied"}
    ]
    assert server.count() == 1 and server.count("wall.getComments") == 3  # one request, three calls


def test_execute_refuses_more_than_25_calls_and_other_vkscript(server: FakeVkServer) -> None:
    vk = client(server)
    too_many = "return [" + ",".join(['API.wall.get({"owner_id":-100002,"count":1})'] * 26) + "];"
    for code in (too_many, 'var a = API.wall.get({"owner_id": -100002}); return a;'):
        with pytest.raises(BadRequest) as raised:
            vk.call_raw("execute", code=code)
        assert raised.value.code in (12, 13)


def test_collector_batches_first_comment_pages_and_collects_the_same(server: FakeVkServer) -> None:
    single: list[Batch] = []
    drain(collector(server, execute_batch=1).collect(SOURCE, None), single)
    requests_single = server.count()
    assert server.count("execute") == 0

    batched: list[Batch] = []
    cursor = drain(collector(server).collect(SOURCE, None), batched)
    requests_batched = server.count() - requests_single

    assert sorted(keys(batched)) == sorted(keys(single))
    assert len(keys(batched)) == len(set(keys(batched))) == POSTS * 4
    assert cursor is not None and cursor["queue"] == []
    assert server.count("execute") == 2  # 30 posts: 25 + 5
    # wall.get once; 30 first comment pages in 2 requests instead of 30
    assert requests_single == 1 + POSTS
    assert requests_batched == 1 + 2


def test_a_failed_call_inside_execute_is_repeated_singly(
    server: FakeVkServer, wall: tuple[VkDataset, list[int]]
) -> None:
    dataset, post_ids = wall
    dataset.walls[OWNER].posts[post_ids[4]]["comments_closed"] = True  # 212: that post only is skipped
    server.fail("wall.getComments", 10, after=7)  # a transient error of one inner call: retried singly
    stored: list[Batch] = []
    cursor = drain(collector(server).collect(SOURCE, None), stored)
    found = set(keys(stored))
    closed = {f"vk:{OWNER}:{c}" for c in _comments_of(dataset, post_ids[4])}
    assert found.isdisjoint(closed)
    assert len(found) == POSTS * 4 - 3
    assert cursor is not None and cursor["queue"] == []
    assert server.count("wall.getComments", error=212) == 2  # inside execute, then alone
    assert server.count("wall.getComments", error=10) == 1


def _comments_of(dataset: VkDataset, post_id: int) -> set[int]:
    return {c["id"] for c in dataset.walls[OWNER].comments_of(post_id)}


def test_execute_failing_as_a_whole_falls_back_to_single_calls(server: FakeVkServer) -> None:
    server.fail("execute", 13)
    stored: list[Batch] = []
    drain(collector(server).collect(SOURCE, None), stored)
    assert len(set(keys(stored))) == POSTS * 4
    assert server.count("execute", error=13) == 1
    assert server.count("execute") == 2  # the second chunk of five went through execute again


def test_auth_error_on_execute_stops_the_token(server: FakeVkServer) -> None:
    server.fail("execute", 5)
    with pytest.raises(AuthError):
        drain(collector(server).collect(SOURCE, None), [])
    assert server.count("wall.getComments") == 0, "no single calls after the token was refused"


def test_crash_after_execute_resumes_without_loss_or_duplicates(server: FakeVkServer) -> None:
    reference: list[Batch] = []
    drain(collector(server, execute_batch=1).collect(SOURCE, None), reference)

    vk = VkClient(TOKEN, api_url=server.url, requests_per_second=1000, backoff_initial=0.01, max_attempts=1)
    config = WallCrawlConfig(rescan_window=timedelta(days=3), comments_recheck=timedelta(hours=1))
    crashing = VkWallCollector(vk, salt="salt", config=config)
    stored: list[Batch] = []
    server.fail("execute", 10, after=1)  # the second execute (posts 26..30) fails: single calls instead
    server.fail("wall.getComments", 10, after=25 + 2)  # …and the third of those fails for good
    with pytest.raises(TransientError):
        drain(crashing.collect(SOURCE, None), stored)
    assert stored and stored[-1].cursor["queue"], "the crash left posts queued"
    drain(collector(server).collect(SOURCE, stored[-1].cursor), stored)
    assert sorted(set(keys(stored))) == sorted(set(keys(reference)))
    assert len(keys(stored)) == len(set(keys(stored))), "nothing stored twice across the crash"
    json.dumps(stored[-1].cursor)
