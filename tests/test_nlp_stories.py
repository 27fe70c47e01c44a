"""Duplicates and stories: copy-paste campaigns, reposts, posts about one event, across batches and runs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows import steps
from infopole.config.municipality import load_municipality
from infopole.domain.post import Platform, Post
from infopole.storage.db import Database
from infopole.storage.posts import PostStore
from nlp.analyzer import Analyzer, Document
from nlp.lemmas import lemma_text
from nlp.stories import StoryIndex

STORIES = Path(__file__).parent / "data" / "nlp_stories.jsonl"
KINGISEPP = Path(__file__).parents[1] / "infopole" / "municipalities" / "kingisepp.yaml"
T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
CAMPAIGN = (
    "Жители Кингисеппа! Требуем остановить вырубку сквера на улице Иванова. "
    "Подпишите обращение к главе района, сквер — последнее зелёное место в центре."
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(load_municipality(KINGISEPP))


@pytest.fixture()
def fresh(analyzer: Analyzer) -> Iterator[Analyzer]:
    analyzer.forget()
    yield analyzer
    analyzer.forget()


def doc(key: str, text: str, hours: float = 0) -> Document:
    return Document(key, text, published_at=T0 + timedelta(hours=hours))


def test_a_copy_paste_campaign_points_to_its_first_post(fresh: Analyzer) -> None:
    analyses = fresh.map_documents(
        [
            doc("c1", CAMPAIGN),
            doc("c2", CAMPAIGN.upper().replace("!", "!!!") + " https://vk.com/wall-1_2", 1),
            doc("c3", "Репост. " + CAMPAIGN.replace("главе района", "главе администрации") + " 👍", 2),
            doc("other", "Третий день нет горячей воды на Октябрьской 12, управляющая компания молчит", 3),
        ]
    )
    first, copy, edited, other = analyses
    assert first.duplicate_of is None
    assert copy.duplicate_of == "c1" and edited.duplicate_of == "c1"
    assert other.duplicate_of is None
    assert first.story_id and first.story_id == copy.story_id == edited.story_id != other.story_id


def test_a_later_batch_and_a_later_run_meet_the_earlier_posts(fresh: Analyzer) -> None:
    (first,) = fresh.map([post("1", CAMPAIGN, 0)])
    (again,) = fresh.map([post("2", CAMPAIGN, 5)])  # the next batch
    assert again.duplicate_of == "vk:-1:1" and again.story_id == first.story_id
    fresh.forget()  # a new process: it knows the stored analyses only
    stored = zip([post("1", CAMPAIGN, 0), post("2", CAMPAIGN, 5)], [first, again], strict=True)
    assert fresh.remember(stored) == 2
    (third,) = fresh.map([post("3", CAMPAIGN + " Поддержите!", 30)])
    assert third.duplicate_of == "vk:-1:1" and third.story_id == first.story_id


def test_a_copy_outside_the_window_starts_anew(fresh: Analyzer) -> None:
    first, late = fresh.map_documents([doc("c1", CAMPAIGN), doc("c2", CAMPAIGN, 24 * 5)])
    assert late.duplicate_of is None and late.story_id != first.story_id


def test_short_greetings_are_neither_duplicates_nor_stories(fresh: Analyzer) -> None:
    analyses = fresh.map_documents([doc(f"t{i}", "Спасибо!", i) for i in range(3)])
    assert [(a.duplicate_of, a.story_id) for a in analyses] == [(None, None)] * 3


def story_pairs() -> tuple[int, int, int]:
    rows = sorted(
        (json.loads(line) for line in STORIES.read_text("utf-8").splitlines()), key=lambda r: r["date"]
    )
    index = StoryIndex()
    found = {
        row["id"]: index.add(
            row["id"], row["text"], lemma_text(row["text"]), datetime.fromisoformat(row["date"])
        )
        for row in rows
    }
    right = wrong = missed = 0
    for a, b in itertools.combinations(rows, 2):
        same = bool(a["story"]) and a["story"] == b["story"]
        joined = found[a["id"]].story_id is not None and found[a["id"]].story_id == found[b["id"]].story_id
        right += same and joined
        wrong += joined and not same
        missed += same and not joined
    return right, wrong, missed


def test_posts_about_one_event_share_a_story() -> None:
    """Hand-written posts of 7 events and 8 unrelated ones: pairwise precision ≥ 0.9, recall ≥ 0.8."""
    right, wrong, missed = story_pairs()
    assert right / (right + wrong) >= 0.9
    assert right / (right + missed) >= 0.8


def post(key: str, text: str, hours: float) -> Post:
    return Post(
        platform=Platform.VK,
        owner_id="-1",
        post_id=key,
        url=f"https://vk.com/wall-1_{key}",
        text=text,
        published_at=T0 + timedelta(hours=hours),
    )


def test_the_analyse_step_compares_a_new_batch_with_stored_posts(fresh: Analyzer, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'posts.db'}")
    store = PostStore(db)
    store.save_batch([post("1", CAMPAIGN, 0)], [], T0)
    assert steps.analyse(store, fresh, clock=lambda: T0) == 1
    fresh.forget()  # the next run is another process
    store.save_batch([post("2", CAMPAIGN + " Не молчите!", 2)], [], T0 + timedelta(hours=2))
    assert steps.analyse(store, fresh, clock=lambda: T0 + timedelta(hours=2)) == 1
    (first_post, first), (_, second) = sorted(store.analysed(), key=lambda pair: pair[0].published_at)
    assert second.duplicate_of == first_post.key
    assert second.story_id == first.story_id is not None


def test_analyses_without_stories_joined_later_equal_analyses_with_them(fresh: Analyzer) -> None:
    """The analyse flow caches analyses without their stories (``map(stories=False)``) and joins
    them to the story index in order (``join_stories``): the result must be what one pass gives, and
    the story-free pass must leave the index alone."""
    posts = [
        post("vk:1_1", CAMPAIGN, 0),
        post("vk:1_2", "Репост: " + CAMPAIGN, 1),
        post("vk:1_3", "На улице Иванова вырубают сквер, техника уже стоит, жители против вырубки", 2),
        post("vk:1_4", "Спасибо всем, кто пришёл на субботник в парке у школы номер три", 3),
    ]
    together = fresh.map(posts)
    fresh.forget()
    bare = fresh.map(posts, stories=False)
    assert len(fresh.stories) == 0 and all(a.story_id is None and a.duplicate_of is None for a in bare)
    joined = fresh.join_stories(posts, bare)
    assert joined == together
    assert together[1].duplicate_of == posts[0].key and together[0].story_id == together[1].story_id
