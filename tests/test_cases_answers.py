"""Answers checked against what the crawler really saw (the VK fake): verified, not found, removed,
flagged in time; citizens' reactions under the answer, and a case reopened when they say it persists."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawlers.fakes.vk_server import FakeVkServer, VkDataset, serve_in_thread
from crawlers.vk import VkClient, VkWallCollector, WallCrawlConfig
from infopole.domain.incident import IncidentStatus, UpdateAction
from infopole.domain.post import Platform, Post, PostKind, pseudonymise
from infopole.domain.source import Source, SourceKind
from infopole.incidents.answer_checks import check_answers, flagged_answers
from infopole.incidents.reaction import Reaction, ThreadComment, react
from infopole.incidents.replies import official_authors
from infopole.incidents.verification import Verification, is_flagged, resolve_link
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from infopole.storage.replies import take_replies
from infopole.storage.reply_checks import ReplyCheckStore
from infopole.storage.tables import ReplyCheckRow
from tests.case_fixtures import MUNICIPALITY, NOW, analysis

TOKEN = "vk1.a.answers-test-token"
SALT = "answers-salt"
OFFICIALS = official_authors(MUNICIPALITY, SALT)
WALL, ADMIN = -100003, -100001  # a residents' group, and the administration's page (official: true)
SOURCE = Source(id="vk-podslushano", kind=SourceKind.VK_WALL, title="Подслушано", target=str(WALL))
HOUR = 3600


@pytest.mark.parametrize(
    ("link", "key"),
    [
        ("https://vk.com/wall-100003_17?reply=42&thread=40", "vk:-100003:42"),
        ("https://vk.com/wall-100003_17", "vk:-100003:17"),
        ("vk.com/wall-100003_17", "vk:-100003:17"),
        ("https://m.vk.com/wall-100003_17?reply=42", "vk:-100003:42"),
        ("https://vk.com/podslushano?w=wall-100003_17", "vk:-100003:17"),
        ("https://ok.ru/group/5700/topic/1500", "ok:5700:1500"),
        ("https://t.me/kingisepp_adm/812", "telegram:kingisepp_adm:812"),
        ("https://t.me/s/kingisepp_adm/812", "telegram:kingisepp_adm:812"),
        ("https://t.me/kingisepp_adm/812?comment=5", "telegram:kingisepp_adm:812"),
        ("vk:-100003:42", "vk:-100003:42"),
        ("https://kingisepp.ru/news/123", None),
        ("https://vk.com/podslushano", None),
        ("позвонили по телефону", None),
    ],
)
def test_links_resolve_to_crawled_keys(link: str, key: str | None) -> None:
    assert resolve_link(link) == key


def _comment(
    post_id: str, text: str, at: datetime, author: str = "vk-r2", sentiment: str = "neutral"
) -> ThreadComment:
    item = Post(
        Platform.VK,
        "-100003",
        post_id,
        text,
        at,
        kind=PostKind.COMMENT,
        parent_key="vk:-100003:1",
        author_id=author,
    )
    return ThreadComment(item, sentiment)


@pytest.mark.parametrize(
    ("thread", "reaction", "persists"),
    [
        ([], Reaction.NONE, False),
        ([("Спасибо, сделали! Теперь можно ходить", "neutral")], Reaction.POSITIVE, False),
        ([("Ничего не изменилось, яма на месте", "neutral")], Reaction.NEGATIVE, True),
        ([("Проблема не решена", "positive")], Reaction.NEGATIVE, True),
        (
            [("Спасибо, сделали", "neutral"), ("Через день опять провалилось", "neutral")],
            Reaction.NEGATIVE,
            True,
        ),
        (
            [("Ну посмотрим", "negative"), ("Отлично", "positive"), ("Супер", "positive")],
            Reaction.POSITIVE,
            False,
        ),
        ([("Сомнительно", "negative"), ("Ага", "neutral")], Reaction.NEGATIVE, False),
        ([("Хм", "negative"), ("Ок", "positive")], Reaction.NONE, False),
    ],
)
def test_reaction_words_before_moods_latest_word_wins(
    thread: list[tuple[str, str]], reaction: Reaction, persists: bool
) -> None:
    replied = NOW
    comments = [
        _comment(str(10 + n), text, replied + timedelta(hours=n + 1), sentiment=s)
        for n, (text, s) in enumerate(thread)
    ]
    before = _comment("9", "Ничего не изменилось", replied - timedelta(hours=1))  # before the answer: ignored
    official = _comment("8", "Ничего не изменилось", replied + timedelta(hours=1), author=OFFICIALS_ID)
    verdict = react(replied, [before, official, *comments], OFFICIALS)
    assert (verdict.reaction, verdict.persists) == (reaction, persists)


OFFICIALS_ID = pseudonymise(Platform.VK, str(ADMIN), SALT)


def test_flags_removed_at_once_not_found_after_the_configured_time() -> None:
    assert is_flagged(Verification.REMOVED, NOW, NOW, 24)
    assert not is_flagged(Verification.NOT_FOUND, NOW, NOW + timedelta(hours=23), 24)
    assert is_flagged(Verification.NOT_FOUND, NOW, NOW + timedelta(hours=24), 24)
    assert not is_flagged(Verification.VERIFIED, NOW, NOW + timedelta(days=9), 24)


# --- against the VK fake ------------------------------------------------------------------------


@pytest.fixture
def vk() -> Iterator[tuple[FakeVkServer, dict[str, int], int]]:
    now = int(time.time())
    data = VkDataset()
    data.add_wall(WALL, "Подслушано Кингисепп", "podslushano_kingisepp")
    ids: dict[str, Any] = {}
    ids["pit"] = data.add_post(
        WALL, "Яма на улице Ленина у школы, колесо пробил", date=now - 30 * HOUR, from_id=1001
    )
    ids["pit_answer"] = data.add_comment(
        WALL, ids["pit"], "Яму заделали 23.11, спасибо за сигнал", from_id=ADMIN, date=now - 20 * HOUR
    )
    data.add_comment(
        WALL, ids["pit"], "Ничего не изменилось, яма на месте", from_id=1002, date=now - 10 * HOUR
    )
    ids["light"] = data.add_post(
        WALL, "Не горят фонари на улице Гагарина неделю", date=now - 30 * HOUR, from_id=1003
    )
    data.add_comment(
        WALL, ids["light"], "Фонари заменены бригадой 23.11", from_id=ADMIN, date=now - 20 * HOUR
    )
    data.add_comment(WALL, ids["light"], "Спасибо, сделали! Светло", from_id=1003, date=now - 10 * HOUR)
    ids["trash"] = data.add_post(
        WALL, "Не вывозят мусор на Садовой, баки переполнены", date=now - 30 * HOUR, from_id=1004
    )
    with serve_in_thread(data, tokens=[TOKEN]) as server:
        yield server, ids, now


def _crawl(server: FakeVkServer, posts: PostStore, at: datetime) -> list[Post]:
    client = VkClient(
        TOKEN, api_url=server.url, requests_per_second=1000.0, backoff_initial=0.01, backoff_max=0.05
    )
    config = WallCrawlConfig(rescan_window=timedelta(days=3), comments_recheck=timedelta(hours=1))
    collector = VkWallCollector(client, salt=SALT, config=config)
    found: list[Post] = []
    for batch in collector.collect(SOURCE, posts.cursor(SOURCE.id)):
        posts.save_batch(batch.posts, batch.raw, at, source_id=SOURCE.id, cursor=batch.cursor)
        found.extend(batch.posts)
    return found


def test_answers_are_verified_against_the_crawl_and_reactions_reopen(
    tmp_path: Path, vk: tuple[FakeVkServer, dict[str, int], int]
) -> None:
    server, ids, started = vk
    now = datetime.fromtimestamp(started, UTC)
    db = Database(f"sqlite:///{tmp_path / 'answers.db'}")
    posts, store, checks = PostStore(db), IncidentStore(db), ReplyCheckStore(db)
    crawled = _crawl(server, posts, now)
    by_key = {post.key: post for post in crawled}
    streets = {"pit": "Ленина", "light": "Гагарина", "trash": "Садовая"}
    blocks = {"pit": "Дороги", "light": "ЖКХ", "trash": "ЖКХ"}
    for name, street in streets.items():
        item = by_key[f"vk:{WALL}:{ids[name]}"]
        store.take_incidents([(item, analysis(item, block=blocks[name], street=street))], MUNICIPALITY, now)
    case_of = {
        name: next(c for c in store.list() if f"vk:{WALL}:{ids[name]}" in c.post_keys) for name in streets
    }
    comments = [post for post in crawled if post.kind is PostKind.COMMENT]
    replies = take_replies(store, comments, MUNICIPALITY, OFFICIALS, now)
    assert replies.answers == 2 and replies.reopened == 0  # the complaint under "pit" is not its author's
    trash_id = case_of["trash"].id or 0
    store.change(  # entered by hand: "answered under the post", but nobody has yet
        trash_id,
        lambda c: c.answer("Мусор вывезли", now, "zhkh", link=f"https://vk.com/wall{WALL}_{ids['trash']}"),
        municipality=MUNICIPALITY,
        now=now,
        actor="zhkh",
    )

    report = check_answers(checks, store, MUNICIPALITY, OFFICIALS, now)
    assert (report.checked, report.verified, report.not_found, report.removed) == (3, 2, 1, 0)
    assert (report.positive, report.negative, report.reopened) == (1, 1, 1)
    states = {s.incident_id: s for s in checks.states()}
    assert states[case_of["pit"].id or 0].state is Verification.VERIFIED
    assert states[case_of["light"].id or 0].reaction is Reaction.POSITIVE
    assert states[trash_id].state is Verification.NOT_FOUND
    pit = store.get(case_of["pit"].id or 0)
    assert pit.status is IncidentStatus.REOPENED and pit.updates[-1].action is UpdateAction.REOPENED
    assert "Ничего не изменилось" in pit.updates[-1].note
    assert store.get(case_of["light"].id or 0).status is IncidentStatus.ANSWERED
    assert check_answers(checks, store, MUNICIPALITY, OFFICIALS, now).reopened == 0  # once
    assert flagged_answers(checks, MUNICIPALITY, now) == {}
    assert set(flagged_answers(checks, MUNICIPALITY, now + timedelta(hours=25))) == {trash_id}

    # the administration deletes its answer under "pit" and finally answers under "trash"
    server.dataset.delete_comment(WALL, ids["pit_answer"], placeholder=False)
    trash_answer = server.dataset.add_comment(
        WALL, ids["trash"], "Мусор вывезен 24.11", from_id=ADMIN, date=started + 60
    )
    later = now + timedelta(hours=2)
    _crawl(server, posts, later)
    again = check_answers(checks, store, MUNICIPALITY, OFFICIALS, later)
    assert (again.verified, again.removed, again.not_found) == (2, 1, 0)
    states = {s.incident_id: s for s in checks.states()}
    assert states[case_of["pit"].id or 0].state is Verification.REMOVED
    assert states[trash_id].state is Verification.VERIFIED and states[trash_id].checked_at == later
    assert set(flagged_answers(checks, MUNICIPALITY, later)) == {case_of["pit"].id}
    assert checks.reactions([trash_id]) == {trash_id: [Reaction.NONE]}
    assert f"vk:{WALL}:{trash_answer}" in {s.post_key for s in _rows(db)}
    db.close()


def _rows(db: Database) -> list[ReplyCheckRow]:
    with db.session() as session:
        return list(session.scalars(select(ReplyCheckRow)))
