"""Storage: idempotent writes, revisions, cursors and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from infopole.domain.analysis import Analysis
from infopole.domain.post import Metrics, Platform, Post, PostKind, RawPayload
from infopole.storage import db as dbmod
from infopole.storage.db import Database
from infopole.storage.posts import PostStore
from infopole.storage.tables import Base

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[PostStore]:
    database = Database(db_url)
    yield PostStore(database)
    database.close()


def make_post(
    post_id: str = "1", text: str = "Нет горячей воды на ул. Ленина, 5 😡", **changes: object
) -> Post:
    post = Post(
        platform=Platform.VK,
        owner_id="-100003",
        post_id=post_id,
        text=text,
        published_at=datetime(2026, 11, 23, 18, 30, tzinfo=UTC),
        source_id="vk-podslushano-kingisepp",
        url=f"https://vk.com/wall-100003_{post_id}",
        author_id="vk-0123456789abcdef",
        metrics=Metrics(likes=3, views=120),
    )
    return post.with_(**changes) if changes else post


def test_same_post_twice_is_one_row(store: PostStore) -> None:
    first = store.save_batch([make_post()], [], NOW)
    second = store.save_batch([make_post()], [], NOW + timedelta(minutes=5))
    assert (first.new, first.unchanged) == (1, 0)
    assert (second.new, second.unchanged, second.edited) == (0, 1, 0)
    assert store.count() == 1
    assert [r.revision for r in store.revisions(make_post().key)] == [1]


def test_counters_update_without_new_revision(store: PostStore) -> None:
    store.save_batch([make_post()], [], NOW)
    report = store.save_batch([make_post(metrics=Metrics(likes=40, views=900))], [], NOW)
    assert report.unchanged == 1
    saved = store.get(make_post().key)
    assert saved is not None and saved.metrics == Metrics(likes=40, views=900)
    assert len(store.revisions(make_post().key)) == 1


def test_edit_is_a_new_revision_and_deletion_is_kept(store: PostStore) -> None:
    store.save_batch([make_post()], [], NOW)
    edited = make_post(text="Нет горячей воды на ул. Ленина, 5 уже четвёртый день", edited_at=NOW)
    report = store.save_batch([edited], [], NOW + timedelta(hours=1))
    assert report.edited == 1
    deleted = store.save_batch([edited.with_(is_deleted=True)], [], NOW + timedelta(hours=2))
    assert deleted.deleted == 1
    revisions = store.revisions(edited.key)
    assert [(r.revision, r.is_deleted) for r in revisions] == [(1, False), (2, False), (3, True)]
    assert revisions[0].text == "Нет горячей воды на ул. Ленина, 5 😡"
    tombstone = store.save_batch([edited.with_(is_deleted=True, text="")], [], NOW + timedelta(hours=3))
    assert tombstone.unchanged == 1  # an empty tombstone of a deleted post is not a new revision
    current = store.get(edited.key)
    assert current is not None and current.is_deleted and "четвёртый" in current.text
    assert current.edited_at == NOW


def test_round_trip_keeps_every_field(store: PostStore) -> None:
    comment = make_post(
        post_id="77",
        kind=PostKind.COMMENT,
        parent_key="vk:-100003:1",
        reply_to_key="vk:-100003:70",
        text="Ёлки, и у нас тоже 🙁",
        is_pinned=False,
    )
    store.save_batch([comment], [], NOW)
    assert store.get(comment.key) == comment


def test_duplicates_within_one_batch_collapse(store: PostStore) -> None:
    report = store.save_batch([make_post(), make_post(metrics=Metrics(likes=9))], [], NOW)
    assert report.new == 1 and store.count() == 1


def test_raw_payloads_are_kept_once_per_content(store: PostStore) -> None:
    post = make_post()
    raw = RawPayload(Platform.VK, post.source_id, post.key, NOW, {"id": 1, "text": post.text})
    store.save_batch([post], [raw], NOW)
    store.save_batch([post], [raw], NOW + timedelta(minutes=1))
    changed = RawPayload(Platform.VK, post.source_id, post.key, NOW, {"id": 1, "text": "правка"})
    store.save_batch([post], [changed], NOW + timedelta(minutes=2))
    assert [p["text"] for p in store.raw_payloads(post.key)] == [post.text, "правка"]


def test_cursor_is_saved_with_its_batch(store: PostStore) -> None:
    assert store.cursor("vk-podslushano-kingisepp") is None
    store.save_batch([make_post()], [], NOW, source_id="vk-podslushano-kingisepp", cursor={"max_id": 1})
    store.save_batch([], [], NOW, source_id="vk-podslushano-kingisepp", cursor={"max_id": 5})
    assert store.cursor("vk-podslushano-kingisepp") == {"max_id": 5}
    (state,) = store.source_states()
    assert state.last_success_at == NOW and state.items_total == 1


def test_analysis_follows_the_latest_revision(store: PostStore) -> None:
    post = make_post()
    store.save_batch([post], [], NOW)
    assert [p.key for p in store.posts_to_analyse()] == [post.key]
    analysis = Analysis(post_key=post.key, model_id="test", block="ЖКХ", is_incident=True)
    store.save_analyses([(post, analysis)], NOW)
    assert store.posts_to_analyse() == []
    assert [p.key for p, _ in store.to_index()] == [post.key]
    store.mark_indexed([post.key])
    assert store.to_index() == []
    edited = post.with_(text="Воду дали, спасибо")
    store.save_batch([edited], [], NOW)
    assert [p.text for p in store.posts_to_analyse()] == ["Воду дали, спасибо"]
    assert store.to_index() == []  # the stale analysis must not be indexed for the new text


def test_migrations_match_the_models(db_url: str) -> None:
    engine = dbmod.make_engine(db_url)
    dbmod.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    dbmod.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    dbmod.upgrade(engine)
    assert {"posts", "incidents", "audit_events"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrations_form_one_line() -> None:
    """Two branches adding migrations at once would leave two heads and ``upgrade head`` would fail."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(dbmod.alembic_config(dbmod.make_engine("sqlite://")))
    assert len(scripts.get_heads()) == 1, scripts.get_heads()
    revisions = list(scripts.walk_revisions())
    assert [r.revision for r in reversed(revisions)] == [f"{n:04d}" for n in range(1, len(revisions) + 1)]
