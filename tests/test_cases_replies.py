"""Official answers detected in crawled comments, отписки flagged, reopening when the problem persists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from infopole.domain.incident import IncidentStatus, UpdateAction
from infopole.domain.post import Platform, Post, pseudonymise
from infopole.incidents.formal import is_formal_reply, says_problem_persists
from infopole.incidents.replies import ReplyKind, classify, official_authors
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from infopole.storage.replies import take_replies
from tests.case_fixtures import MUNICIPALITY, NOW, analysis, post

SALT = "test-salt"
OFFICIALS = official_authors(MUNICIPALITY, SALT)
ADMIN = pseudonymise(Platform.VK, "-100001", SALT)  # the administration's page, as the crawler names it


@pytest.mark.parametrize(
    ("text", "formal"),
    [
        ("Ваше обращение направлено в профильный отдел.", True),
        ("Информация принята к сведению, спасибо за обращение!", True),
        ("Ваше обращение направлено в МУП «Водоканал». Бригада устранит утечку до 25 ноября.", False),
        ("Яму засыпали щебнем 24.11, асфальт положат весной.", False),
        ("Добрый день! Ремонт дороги запланирован на июнь.", False),
    ],
)
def test_formal_replies(text: str, formal: bool) -> None:
    assert is_formal_reply(text) is formal


@pytest.mark.parametrize(
    ("text", "persists"),
    [("Воды до сих пор нет!", True), ("Так и не сделали ничего", True), ("Спасибо, починили", False)],
)
def test_the_citizen_says_it_persists(text: str, persists: bool) -> None:
    assert says_problem_persists(text) is persists


def test_who_is_official() -> None:
    under = post("1").key
    admin = post("2", "Бригада выехала", parent=under, author=ADMIN, community=True)
    known = post("3", "Работы выполнены 24.11", parent=under, author="vk-known-official")
    own_wall = post(
        "4", "Ответили в личку", owner="-100001", parent="vk:-100001:1", author="x", community=True
    )
    stranger = post("5", "Работы выполнены 24.11", parent=under, author="vk-someone", community=True)
    assert [OFFICIALS.wrote(p) for p in (admin, known, own_wall, stranger)] == [True, True, True, False]


@pytest.mark.parametrize(
    ("text", "author", "status", "kind", "reopen"),
    [
        (
            "Добрый день! Бригада выедет завтра, работы будут выполнены до 28.11",
            ADMIN,
            "assigned",
            "interim",
            False,
        ),
        ("Яму заделали 24.11", ADMIN, "assigned", "answer", False),
        ("Ваше обращение направлено в профильный отдел", ADMIN, "assigned", "formal", False),
        ("Яма до сих пор на месте!", "vk-resident-1", "answered", "persists", True),
        ("Яма до сих пор на месте!", "vk-resident-1", "assigned", "persists", False),
        ("Яма до сих пор на месте!", "vk-passer-by", "answered", "other", False),
        ("Спасибо!", "vk-resident-1", "answered", "other", False),
    ],
)
def test_classify(text: str, author: str, status: str, kind: str, reopen: bool) -> None:
    comment = post("9", text, parent=post("1").key, author=author, community=author == ADMIN)
    reply = classify(comment, IncidentStatus(status), {"vk-resident-1"}, OFFICIALS)
    assert (reply.kind, reply.reopen) == (ReplyKind(kind), reopen)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'replies.db'}")
    yield database
    database.close()


def test_crawled_comments_answer_flag_and_reopen_a_case(db: Database) -> None:
    first = post("1")
    hour = timedelta(hours=1)

    def comment(post_id: str, text: str, author: str, after: timedelta) -> Post:
        return post(post_id, text, parent=first.key, author=author, community=author == ADMIN, at=NOW + after)

    formal = comment("2", "Ваше обращение направлено в профильный отдел", ADMIN, hour)
    answer = comment("3", "Яму заделали 24.11, спасибо за сигнал", ADMIN, 2 * hour)
    persists = comment("4", "Яма до сих пор на месте, ничего не сделали!", "vk-resident-1", 30 * hour)
    chatter = comment("5", "Согласен, безобразие", "vk-passer-by", 31 * hour)
    PostStore(db).save_batch([first, formal, answer, persists, chatter], [], NOW)
    store = IncidentStore(db)
    store.take_incidents([(first, analysis(first))], MUNICIPALITY, NOW)
    (case,) = store.list()
    later = NOW + timedelta(days=2)
    report = take_replies(store, [persists, answer, chatter, formal], MUNICIPALITY, OFFICIALS, later)
    assert (report.formal, report.answers, report.reopened) == (1, 1, 1)
    again = take_replies(store, [formal, answer, persists, chatter], MUNICIPALITY, OFFICIALS, later)
    assert (again.formal, again.answers, again.reopened) == (0, 0, 0)  # each comment is taken once
    case = store.get(case.id or 0)
    assert case.status is IncidentStatus.REOPENED
    assert [u.action for u in case.updates] == [
        UpdateAction.ROUTED,
        UpdateAction.FORMAL_REPLY,
        UpdateAction.ANSWERED,
        UpdateAction.REOPENED,
    ]
    formal_update, answered = case.updates[1], case.updates[2]
    assert formal_update.formal and formal_update.at == formal.published_at
    assert answered.note == answer.text and answered.link == answer.url and answered.at == answer.published_at
    assert case.post_keys == [first.key, formal.key, answer.key, persists.key]
    assert case.due_at is not None and case.due_at > persists.published_at  # a new round, a new deadline
