"""VK wall sources written as screen names or links, resolved with ``utils.resolveScreenName``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from crawlers.base import SourceUnavailable
from crawlers.fakes.vk_server import FakeVkServer, VkDataset, serve_in_thread
from crawlers.vk import VkClient, VkWallCollector
from crawlers.vk.resolve import parse_target
from infopole.domain.source import Source, SourceKind

TOKEN = "vk1.a.resolve-test-token"
ADMIN, PERSON = -100001, 700001


@pytest.fixture
def server() -> Iterator[FakeVkServer]:
    dataset = VkDataset()
    dataset.add_wall(ADMIN, "Администрация Кингисеппского района", "kingisepp_adm")
    dataset.add_wall(PERSON, "Иван Петров", "ivan.petrov")
    for n in range(3):
        dataset.add_post(ADMIN, f"Объявление №{n}: приём граждан")
    dataset.add_post(PERSON, "Во дворе на Октябрьской не горят фонари")
    with serve_in_thread(dataset, tokens=[TOKEN]) as running:
        yield running


def collector(server: FakeVkServer) -> VkWallCollector:
    return VkWallCollector(VkClient(TOKEN, api_url=server.url, requests_per_second=1000), salt="s")


def source(target: str, source_id: str = "vk-adm") -> Source:
    return Source(id=source_id, kind=SourceKind.VK_WALL, title="Администрация", target=target)


@pytest.mark.parametrize(
    ("target", "parsed"),
    [
        ("-100001", -100001),
        ("700001", 700001),
        ("club100001", -100001),
        ("public100001", -100001),
        ("event55", -55),
        ("id700001", 700001),
        ("https://vk.com/club100001", -100001),
        ("vk.com/kingisepp_adm", "kingisepp_adm"),
        ("https://m.vk.com/Kingisepp_Adm?w=wall-1_2", "kingisepp_adm"),
        ("http://vk.ru/ivan.petrov/", "ivan.petrov"),
        ("@kingisepp_adm", "kingisepp_adm"),
    ],
)
def test_targets_are_read_without_a_request_where_possible(target: str, parsed: int | str) -> None:
    assert parse_target(target) == parsed


@pytest.mark.parametrize("target", ["https://vk.com/wall-1_2/extra", "vk.com/", "кингисепп", "a"])
def test_unreadable_targets_are_refused(target: str) -> None:
    with pytest.raises(ValueError, match="not a VK wall"):
        parse_target(target)


def test_a_screen_name_is_resolved_once_and_kept_in_the_cursor(server: FakeVkServer) -> None:
    numeric = list(collector(server).collect(source(str(ADMIN)), None))
    assert server.count("utils.resolveScreenName") == 0
    named = collector(server)
    batches = list(named.collect(source("https://vk.com/kingisepp_adm"), None))
    assert server.count("utils.resolveScreenName") == 1
    keys = [post.key for batch in batches for post in batch.posts]
    assert keys == [post.key for batch in numeric for post in batch.posts] and len(keys) == 3
    assert all(key.startswith(f"vk:{ADMIN}:") for key in keys)
    cursor = json.loads(json.dumps(batches[-1].cursor))
    assert cursor["resolved"] == {"target": "https://vk.com/kingisepp_adm", "owner_id": ADMIN}
    # the cursor remembers the answer for any process; the collector remembers it for this one
    list(collector(server).collect(source("https://vk.com/kingisepp_adm"), cursor))
    list(named.collect(source("https://vk.com/kingisepp_adm", "vk-adm-2"), None))
    assert server.count("utils.resolveScreenName") == 1


def test_reserved_addresses_and_people(server: FakeVkServer) -> None:
    people = list(collector(server).collect(source("vk.com/ivan.petrov", "vk-ivan"), None))
    assert [post.key for batch in people for post in batch.posts] == [f"vk:{PERSON}:1"]
    clubs = list(collector(server).collect(source("club100001", "vk-club"), None))
    assert len([post for batch in clubs for post in batch.posts]) == 3
    assert server.count("utils.resolveScreenName") == 1  # only the screen name needed a request


def test_an_unknown_name_fails_that_source_only(server: FakeVkServer) -> None:
    shared = collector(server)
    with pytest.raises(SourceUnavailable, match="'no_such_group' does not exist") as raised:
        list(shared.collect(source("vk.com/no_such_group", "vk-missing"), None))
    assert raised.value.source_id == "vk-missing"
    assert server.count("wall.get") == 0
    with pytest.raises(SourceUnavailable, match="not a VK wall") as bad:
        list(shared.collect(source("https://vk.com/wall-1_2/extra", "vk-bad"), None))
    assert bad.value.source_id == "vk-bad"
    others = list(shared.collect(source("kingisepp_adm"), None))  # the next source goes on
    assert len([post for batch in others for post in batch.posts]) == 3
