"""A comment read under its post (``nlp.thread``): the rules, the analyzer, ``infopole analyze``
and the store that finds the posts."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from infopole.domain.post import Platform, Post, PostKind
from infopole.storage.db import Database
from infopole.storage.posts import PostStore
from nlp.analyzer import Analyzer
from nlp.incident import IncidentScore
from nlp.jsonl import analyze_stream
from nlp.thread import SUPPORT, incident_in_thread, joins, topics_in_thread
from nlp.topic import Topics
from tests.nlp_fixtures import small_municipality

MOMENT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
COMPLAINT = "Третий день нет горячей воды на Лесной 5, дети не могут помыться. Управляющая компания молчит!"
ANNOUNCEMENT = (
    "Уважаемые жители! 3 декабря с 9:00 до 17:00 в связи с плановым ремонтом будет отключено "
    "горячее водоснабжение домов по ул. Лесной."
)
JOINING = "присоединяюсь, у нас та же история"

LIVE = IncidentScore(0.97, True, "нет горячей воды")
QUIET = IncidentScore(0.08, False, "")


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(small_municipality(), batch_size=4)


@pytest.mark.parametrize(
    "text",
    [
        "и у нас 🤬",
        "у меня тоже так",
        "подтверждаю, вчера то же самое",
        "Поддерживаю!",
        "+1",
        "+++ дети мерзнут",
    ],
)
def test_joining_words(text: str) -> None:
    assert joins(text)


@pytest.mark.parametrize(
    "text", ["также сообщаем о графике", "ура, ёлка!", "2+2", "в понедельник было тепло"]
)
def test_not_joining(text: str) -> None:
    assert not joins(text)


def test_a_comment_joining_a_live_complaint_is_an_incident() -> None:
    joined = incident_in_thread("и у нас 🤬", QUIET, LIVE)
    assert joined.is_incident and joined.joined
    assert joined.score == LIVE.score and joined.problem == LIVE.problem


def test_joining_needs_a_complaint_above_it_and_a_comment_that_joins() -> None:
    assert incident_in_thread("и у нас 🤬", QUIET, QUIET) == QUIET  # under a notice or news: chatter
    assert incident_in_thread("когда будет концерт?", QUIET, LIVE) == QUIET  # does not join it


def test_an_unsure_comment_under_a_live_complaint_is_supported() -> None:
    """No joining word, but its own case of the post's problem: the pack was unsure, the thread is not."""
    unsure = IncidentScore(0.3, False, "")
    supported = incident_in_thread("садовая 3 кран сухой с утра", unsure, LIVE)
    assert supported.is_incident and supported.joined
    assert supported.score == unsure.score  # its own, not the post's
    assert incident_in_thread("садовая 3 кран сухой с утра", unsure, QUIET) == unsure  # under a notice
    low = IncidentScore(SUPPORT - 0.01, False, "")
    assert incident_in_thread("садовая 3 кран сухой с утра", low, LIVE) == low  # too unsure
    assert incident_in_thread("у нас уже дали, спасибо", unsure, LIVE) == unsure  # says it is over


def test_a_comment_saying_it_is_over_does_not_join() -> None:
    assert incident_in_thread("у нас тоже дали горячую воду, спасибо", QUIET, LIVE) == QUIET


def test_an_incident_comment_stays_as_it_is() -> None:
    own = IncidentScore(0.8, True, "не горит")
    assert incident_in_thread("у нас тоже не горит фонарь", own, LIVE) == own


def test_a_comment_without_a_block_takes_its_posts_blocks() -> None:
    post = Topics("ЖКХ", ("ЖКХ", "Благоустройство"), {"ЖКХ": 0.8, "Благоустройство": 0.3}, {"ЖКХ": ["вода"]})
    none = Topics(None, (), {"Дороги": 0.1}, {})
    taken = topics_in_thread(none, post)
    assert (taken.block, taken.blocks) == (post.block, post.blocks)
    assert taken.scores == {"ЖКХ": 0.8, "Благоустройство": 0.3}  # below its gate, the comment adds nothing
    assert taken.keywords == {}  # the comment's own keywords: none
    unsure = Topics(None, (), {"ЖКХ": 0.1}, {})
    assert topics_in_thread(none, unsure) == none  # under a post without a block: as alone


def test_a_comments_own_blocks_weigh_its_posts() -> None:
    post = Topics(
        "Здравоохранение/Медицина", ("Здравоохранение/Медицина",), {"Здравоохранение/Медицина": 0.7}, {}
    )
    leaning = Topics(
        "Дороги", ("Дороги", "Здравоохранение/Медицина"), {"Дороги": 0.5, "Здравоохранение/Медицина": 0.3}, {}
    )
    clear = Topics("Дороги", ("Дороги",), {"Дороги": 0.8, "Здравоохранение/Медицина": 0.05}, {})
    assert topics_in_thread(leaning, post).blocks == ("Здравоохранение/Медицина", "Дороги")
    assert topics_in_thread(clear, post).block == "Дороги"  # 0.8 against 0.05 + 0.7


def test_a_listed_block_beyond_the_top_scores_still_ranks() -> None:
    """``Topics.scores`` keeps a text's top five; its ``blocks`` may list more."""
    post = Topics("Культура", ("Культура",), {"Культура": 0.6}, {})
    many = Topics("ЖКХ", ("ЖКХ", "Экология"), {"ЖКХ": 0.4}, {})
    assert topics_in_thread(many, post).blocks == ("Культура", "ЖКХ", "Экология")


def _post(i: int, text: str, kind: PostKind = PostKind.POST, parent: Post | None = None) -> Post:
    return Post(Platform.VK, "-1", str(i), text, MOMENT, kind=kind, parent_key=parent.key if parent else None)


def test_the_analyzer_reads_a_comment_under_its_post(analyzer: Analyzer) -> None:
    complaint, notice = _post(1, COMPLAINT), _post(2, ANNOUNCEMENT)
    under_complaint = _post(3, JOINING, PostKind.COMMENT, complaint)
    under_notice = _post(4, JOINING, PostKind.COMMENT, notice)
    parents = {complaint.key: complaint, notice.key: notice}

    alone = analyzer.map([under_complaint], stories=False)[0]
    assert not alone.is_incident and alone.block is None  # the premise: alone it says nothing

    joined, chatter = analyzer.map([under_complaint, under_notice], stories=False, parents=parents)
    assert joined.is_incident and joined.block == "ЖКХ"
    assert joined.incident_reason.startswith("присоединяется к жалобе поста")
    assert joined.incident_score >= analyzer.incident.threshold
    assert not chatter.is_incident  # the same words under a notice join nothing
    notice_block = analyzer.map([notice], stories=False)[0].block
    assert notice_block is not None and chatter.block == notice_block  # but they are in its subject


def test_a_post_in_the_same_batch_is_not_scored_again(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crawl often brings a post and its comments together: the post's reading in the batch serves
    its comments, with the same result as a post read outside the batch."""
    complaint = _post(1, COMPLAINT)
    comment = _post(3, JOINING, PostKind.COMMENT, complaint)
    parents = {complaint.key: complaint}
    apart = analyzer.map([comment], stories=False, parents=parents)[0]
    read: list[list[str]] = []
    original = analyzer.incident.map

    def recording(texts: Any, *args: Any, **kwargs: Any) -> Any:
        read.append(list(texts))
        return original(texts, *args, **kwargs)

    monkeypatch.setattr(analyzer.incident, "map", recording)
    together = analyzer.map([complaint, comment], stories=False, parents=parents)[1]
    assert together == apart and together.is_incident
    assert len(read) == 1 and len(read[0]) == 2  # one pass over the batch; no second one for the post


def test_a_page_joining_its_own_thread_is_still_not_an_incident(analyzer: Analyzer) -> None:
    complaint = _post(1, COMPLAINT)
    reply = _post(5, "Подтверждаю, у нас тоже", PostKind.COMMENT, complaint)
    reply = Post(
        Platform.VK, "-1", "5", reply.text, MOMENT, kind=PostKind.COMMENT, parent_key=complaint.key,
        author_is_community=True,
    )  # fmt: skip
    analysis = analyzer.map([reply], stories=False, parents={complaint.key: complaint})[0]
    assert not analysis.is_incident and analysis.incident_reason == ""


def _analyze(analyzer: Analyzer, records: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    failed = analyze_stream([json.dumps(r, ensure_ascii=False) for r in records], out, analyzer)
    return failed, [json.loads(line) for line in out.getvalue().splitlines()]


def test_infopole_analyze_reads_parent_id_and_parent_text(analyzer: Analyzer) -> None:
    records = [
        {"id": "p1", "text": COMPLAINT},
        {"id": "p2", "text": ANNOUNCEMENT},
        {"id": "c1", "text": JOINING, "parent_id": "p1"},
        {"id": "c2", "text": JOINING, "parent_id": "p2"},
        {"id": "c3", "text": JOINING, "parent_text": COMPLAINT},
        {"id": "c4", "text": JOINING, "parent_id": "not-seen"},  # read alone
        {"id": "c5", "text": JOINING, "parent_text": 5},
        {"id": "c6", "text": JOINING, "parent_id": ["p1"]},
    ]
    failed, out = _analyze(analyzer, records)
    assert failed == 2
    by_id = {record["id"]: record for record in out}
    assert [record["id"] for record in out] == [record["id"] for record in records]
    assert by_id["c1"]["is_incident"] and by_id["c3"]["is_incident"]
    assert not by_id["c2"]["is_incident"] and not by_id["c4"]["is_incident"]
    assert by_id["c5"]["error"] == "parent_text must be a string"
    assert by_id["c6"]["error"] == "parent_id must be a string or an integer"


@pytest.fixture
def store(db_url: str) -> Iterator[PostStore]:
    database = Database(db_url)
    yield PostStore(database)
    database.close()


def test_the_store_finds_the_posts_comments_answer(store: PostStore) -> None:
    complaint = _post(1, COMPLAINT)
    comment = _post(3, JOINING, PostKind.COMMENT, complaint)
    orphan = _post(4, JOINING, PostKind.COMMENT, _post(99, "не сохранён"))
    store.save_batch([complaint, comment, orphan], [], MOMENT)
    parents = store.parents([comment, orphan, complaint])
    assert list(parents) == [complaint.key]
    assert parents[complaint.key].text == COMPLAINT
    assert store.parents([]) == {}
