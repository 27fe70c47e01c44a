"""The Telethon path: real ``telethon.tl.types`` objects from the fake gateway in, ``Post``s out.

The fake gateway builds the same ``Message``/``PeerChannel``/``MessageReplies`` objects
Telethon deserialises from Telegram, and raises Telethon's real errors, so the
conversion and the error mapping run exactly as in production.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from telethon import errors
from telethon.tl import types

from crawlers.base import AuthError, BadRequest, Batch, RateLimited, SourceUnavailable, TransientError
from crawlers.fakes.telegram_gateway import FakeTelegramGateway
from crawlers.telegram.api_collector import ApiCrawlConfig, TelegramApiCollector, translate
from crawlers.telegram.convert import comment_to_record, post_to_record
from crawlers.telegram.gateway import TelethonGateway
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, PostKind, pseudonymise
from infopole.domain.source import Source, SourceKind
from infopole.storage.db import Database
from infopole.storage.posts import PostStore

SALT = "test-salt"
CHANNEL = "kingisepp_online"
NOW = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)


def source() -> Source:
    return Source(id="tg-api-kingisepp", kind=SourceKind.TG_CHANNEL, title="Кингисепп Онлайн", target=CHANNEL)


def build() -> tuple[FakeTelegramGateway, dict[str, int]]:
    """30 posts, one every 12 hours up to now; comments (with a reply) under the newest and an old one."""
    gateway = FakeTelegramGateway()
    gateway.add_channel(CHANNEL, "Кингисепп Онлайн", first_id=1201)
    ids: dict[str, int] = {}
    for n in range(30):
        ids[f"p{n}"] = gateway.post(
            CHANNEL,
            f"Пост №{n}: отключение воды на Воровского 💧",
            date=NOW - timedelta(hours=12 * (29 - n)),
            views=100 * n,
            forwards=n // 5,
        )
    ids["newest"], ids["old"] = ids["p29"], ids["p20"]
    for key in ("newest", "old"):
        head = gateway.comment(CHANNEL, ids[key], "Когда дадут воду?! 😡", user_id=777001, date=NOW)
        ids[f"{key}_head"] = head
        ids[f"{key}_reply"] = gateway.comment(
            CHANNEL, ids[key], "Обещают к вечеру", user_id=777002, date=NOW, reply_to=head
        )
    return gateway, ids


def collector(gateway: FakeTelegramGateway, **config: Any) -> TelegramApiCollector:
    built = TelegramApiCollector.from_settings(
        Settings(author_salt=SALT), gateway=gateway, config=ApiCrawlConfig(**config) if config else None
    )
    built.clock = lambda: NOW  # the fake's posts are dated around NOW
    return built


def crawl(built: TelegramApiCollector, cursor: dict[str, Any] | None) -> tuple[list[Batch], dict[str, Any]]:
    batches = list(built.collect(source(), cursor))
    return batches, json.loads(json.dumps(batches[-1].cursor))


def posts_of(batches: list[Batch]) -> dict[str, Post]:
    return {post.key: post for batch in batches for post in batch.posts}


def test_conversion_of_real_telethon_types_field_by_field() -> None:
    gateway, ids = build()
    chan = gateway.channels[CHANNEL]
    message = chan.posts[ids["newest"]]
    assert isinstance(message, types.Message) and isinstance(message.replies, types.MessageReplies)
    message.edit_date = NOW + timedelta(minutes=5)
    post = post_to_record(message, channel=CHANNEL, source_id="s", salt=SALT)
    assert post.platform is Platform.TELEGRAM
    assert post.key == f"telegram:{CHANNEL}:{ids['newest']}"  # the same key as the t.me/s collector
    assert post.url == f"https://t.me/{CHANNEL}/{ids['newest']}"
    assert post.text == "Пост №29: отключение воды на Воровского 💧"
    assert post.published_at == NOW
    assert post.edited_at == NOW + timedelta(minutes=5)
    assert (post.metrics.views, post.metrics.reposts, post.metrics.comments) == (2900, 5, 2)
    assert post.author_id == pseudonymise(Platform.TELEGRAM, CHANNEL, SALT) and post.author_is_community

    head, reply = chan.comments[ids["newest"]]
    comment = comment_to_record(head, channel=CHANNEL, post_id=ids["newest"], source_id="s", salt=SALT)
    answer = comment_to_record(reply, channel=CHANNEL, post_id=ids["newest"], source_id="s", salt=SALT)
    discussion = f"c{chan.discussion.id}"
    assert comment.kind is PostKind.COMMENT
    assert comment.key == f"telegram:{discussion}:{ids['newest_head']}"
    assert comment.url == f"https://t.me/{CHANNEL}/{ids['newest']}?comment={ids['newest_head']}"
    assert comment.parent_key == post.key and comment.reply_to_key is None
    assert (
        comment.author_id == pseudonymise(Platform.TELEGRAM, 777001, SALT) and not comment.author_is_community
    )
    assert comment.text == "Когда дадут воду?! 😡"
    assert answer.reply_to_key == comment.key


def test_forwards_link_to_the_original() -> None:
    gateway = FakeTelegramGateway()
    gateway.add_channel(CHANNEL, "Кингисепп Онлайн")
    message_id = gateway.post(CHANNEL, "Репост", date=NOW, forwarded_from=(1_555_000, 455))
    post = post_to_record(
        gateway.channels[CHANNEL].posts[message_id], channel=CHANNEL, source_id="s", salt=SALT
    )
    assert post.copy_of_key == "telegram:c1555000:455"


def test_first_crawl_posts_comments_and_cursors() -> None:
    gateway, ids = build()
    batches, cursor = crawl(collector(gateway, backfill=timedelta(days=10)), None)
    posts = posts_of(batches)
    channel_posts = [post for post in posts.values() if post.kind is PostKind.POST]
    comments = [post for post in posts.values() if post.kind is PostKind.COMMENT]
    assert len(channel_posts) == 21  # ten days back at two posts a day, both ends included
    assert len(comments) == 4
    assert all(len(batch.posts) == len(batch.raw) for batch in batches)
    assert cursor["max_id"] == ids["p29"] and cursor["scan"] is None and cursor["queue"] == []
    assert cursor["comments"][str(ids["newest"])] == ids["newest_reply"]
    raw = next(raw for batch in batches for raw in batch.raw if raw.item_key.endswith(f":{ids['newest']}"))
    assert raw.payload["_"] == "Message" and raw.payload["replies"]["max_id"] == ids["newest_reply"]
    json.dumps(raw.payload)  # JSON-safe


def test_incremental_crawl_new_posts_new_comments_edits_and_deletions() -> None:
    gateway, ids = build()
    # comments_recheck 0: no thread is read again in full, only comments after the stored id
    built = collector(gateway, rescan_window=timedelta(days=2), comments_recheck=timedelta(0))
    _, cursor = crawl(built, None)
    fresh = gateway.post(CHANNEL, "Воду дали ✅", date=NOW + timedelta(minutes=1))
    late = gateway.comment(
        CHANNEL, ids["newest"], "Спасибо!", user_id=777003, date=NOW + timedelta(minutes=2)
    )
    gateway.edit(
        CHANNEL, ids["p28"], "Пост №28 (уточнение): воду дадут в 18:00", at=NOW + timedelta(minutes=3)
    )
    gateway.delete(CHANNEL, ids["p27"])
    gateway.calls.clear()
    batches, cursor = crawl(built, cursor)
    posts = posts_of(batches)
    by_id = {post.post_id: post for post in posts.values()}
    assert by_id[str(fresh)].text == "Воду дали ✅"
    assert by_id[str(late)].kind is PostKind.COMMENT and by_id[str(late)].text == "Спасибо!"
    assert by_id[str(ids["p28"])].edited_at == NOW + timedelta(minutes=3)
    assert by_id[str(ids["p28"])].text == "Пост №28 (уточнение): воду дадут в 18:00"
    assert by_id[str(ids["p27"])].is_deleted
    # the window (two days: p25..p29) came back; nothing older, and comments only after the stored id
    assert {int(p.post_id) for p in posts.values() if p.kind is PostKind.POST} == {
        ids["p25"],
        ids["p26"],
        ids["p27"],
        ids["p28"],
        ids["p29"],
        fresh,
    }
    assert (
        "iter_replies",
        CHANNEL,
        {"post_id": ids["newest"], "min_id": ids["newest_reply"]},
    ) in gateway.calls
    assert [call for call in gateway.calls if call[0] == "iter_replies"] == [
        ("iter_replies", CHANNEL, {"post_id": ids["newest"], "min_id": ids["newest_reply"]})
    ]
    assert cursor["max_id"] == fresh


def test_flood_wait_reschedules_and_the_cursor_resumes() -> None:
    gateway, _ = build()
    built = collector(gateway, backfill=timedelta(days=30), batch_size=10)
    gateway.flood("iter_messages", 42, after=15)
    stored: dict[str, Any] | None = None
    seen: list[str] = []
    with pytest.raises(RateLimited) as caught:
        for batch in built.collect(source(), None):
            seen += [post.key for post in batch.posts]
            stored = json.loads(json.dumps(batch.cursor))
    assert caught.value.retry_after == 42 and caught.value.code == 420
    assert stored is not None and len(seen) == 10  # one full batch was stored before the flood
    batches, _ = crawl(built, stored)
    seen += list(posts_of(batches))
    assert len(seen) == len(set(seen)) == 30 + 4


def test_flood_wait_in_comments_keeps_the_queue() -> None:
    gateway, ids = build()
    built = collector(gateway, backfill=timedelta(days=30))
    gateway.flood("iter_replies", 7)
    generator = cast(Generator[Batch, None, None], built.collect(source(), None))
    stored: dict[str, Any] = {}
    with pytest.raises(RateLimited) as caught:
        for batch in generator:
            stored = json.loads(json.dumps(batch.cursor))
    assert caught.value.retry_after == 7
    assert stored["queue"] == [ids["newest"], ids["old"]]
    batches, cursor = crawl(built, stored)
    assert sum(post.kind is PostKind.COMMENT for post in posts_of(batches).values()) == 4
    assert cursor["queue"] == []


def test_private_and_missing_channels_are_unavailable() -> None:
    gateway, _ = build()
    gateway.channels[CHANNEL].private = True
    with pytest.raises(SourceUnavailable) as caught:
        list(collector(gateway).collect(source(), None))
    assert caught.value.source_id == "tg-api-kingisepp"
    gateway.channels.clear()
    with pytest.raises(SourceUnavailable, match="UsernameNotOccupied"):
        list(collector(gateway).collect(source(), None))


def test_telethon_gateway_refuses_to_start_without_a_session() -> None:
    with pytest.raises(AuthError, match=r"crawlers\.telegram\.login"):
        TelethonGateway.from_settings(Settings(telegram_api_id=12345, telegram_api_hash="0123abcd"))
    with pytest.raises(AuthError, match="API_ID"):
        TelethonGateway.from_settings(Settings(telegram_session="1BVtsOK4Bu..."))


# ------------------------------------------------------------------ comment edits and deletions


def edit_comment(gateway: FakeTelegramGateway, post_id: int, comment_id: int, text: str) -> None:
    """As Telegram shows an edited comment: new text and ``edit_date``."""
    message = next(c for c in gateway.channels[CHANNEL].comments[post_id] if c.id == comment_id)
    message.message, message.edit_date = text, NOW + timedelta(minutes=4)


def delete_comment(gateway: FakeTelegramGateway, post_id: int, comment_id: int) -> None:
    """As Telegram deletes a comment: gone from the thread, ``replies.replies`` one less, ``max_id`` kept."""
    channel = gateway.channels[CHANNEL]
    channel.comments[post_id] = [c for c in channel.comments[post_id] if c.id != comment_id]
    replies = channel.posts[post_id].replies
    assert replies is not None
    replies.replies -= 1


def comment_key(gateway: FakeTelegramGateway, comment_id: int) -> str:
    return f"telegram:c{gateway.channels[CHANNEL].discussion.id}:{comment_id}"


def test_comment_edits_and_deletions_in_young_threads(tmp_path: Path) -> None:
    gateway, ids = build()
    store = PostStore(Database(f"sqlite:///{tmp_path / 'posts.db'}"))
    built = collector(gateway, rescan_window=timedelta(days=2))  # comments_recheck: one day
    for batch in built.collect(source(), None):
        store.save_batch(batch.posts, batch.raw, NOW, batch.source_id, batch.cursor)
    edit_comment(gateway, ids["newest"], ids["newest_head"], "Когда дадут воду?! Третий день без воды 😡")
    delete_comment(gateway, ids["newest"], ids["newest_reply"])
    gateway.calls.clear()
    batches = list(built.collect(source(), store.cursor(source().id)))
    for batch in batches:
        store.save_batch(batch.posts, batch.raw, NOW, batch.source_id, batch.cursor)

    found = posts_of(batches)
    head, reply = comment_key(gateway, ids["newest_head"]), comment_key(gateway, ids["newest_reply"])
    assert {key for key, post in found.items() if post.is_deleted} == {reply}
    assert found[reply].kind is PostKind.COMMENT and found[reply].published_at == NOW
    assert found[reply].parent_key == f"telegram:{CHANNEL}:{ids['newest']}"
    assert found[head].edited_at == NOW + timedelta(minutes=4)
    assert [r.text for r in store.revisions(head)] == [
        "Когда дадут воду?! 😡",
        "Когда дадут воду?! Третий день без воды 😡",
    ]
    stored = store.get(reply)
    assert stored is not None and stored.is_deleted and stored.text == "Обещают к вечеру"
    # the young post's thread was read from its start; the old post (out of the window) not at all
    replies = [call for call in gateway.calls if call[0] == "iter_replies"]
    assert replies == [("iter_replies", CHANNEL, {"post_id": ids["newest"], "min_id": 0})]
    # reported once
    later = list(built.collect(source(), store.cursor(source().id)))
    assert not [post for post in posts_of(later).values() if post.is_deleted]


def test_a_deletion_under_an_older_post_is_found_by_its_count() -> None:
    gateway, ids = build()
    built = collector(gateway, rescan_window=timedelta(days=5), comments_recheck=timedelta(hours=1))
    _, cursor = crawl(built, None)
    delete_comment(gateway, ids["old"], ids["old_reply"])  # 2 → 1 replies, max_id unchanged
    gateway.calls.clear()
    batches, cursor = crawl(built, cursor)
    assert [key for key, post in posts_of(batches).items() if post.is_deleted] == [
        comment_key(gateway, ids["old_reply"])
    ]
    # the old post's whole thread for its count; the newest one's because it is under an hour old
    assert [call for call in gateway.calls if call[0] == "iter_replies"] == [
        ("iter_replies", CHANNEL, {"post_id": ids["newest"], "min_id": 0}),
        ("iter_replies", CHANNEL, {"post_id": ids["old"], "min_id": 0}),
    ]
    assert cursor["rescan"] == []


def test_a_thread_that_could_not_be_read_marks_nothing() -> None:
    gateway, ids = build()
    built = collector(gateway, rescan_window=timedelta(days=2))
    _, cursor = crawl(built, None)
    delete_comment(gateway, ids["newest"], ids["newest_reply"])
    gateway.flood("iter_replies", 30)
    stored: dict[str, Any] = {}
    seen: list[Post] = []
    with pytest.raises(RateLimited):
        for batch in built.collect(source(), cursor):
            seen += batch.posts
            stored = json.loads(json.dumps(batch.cursor))
    assert not [post for post in seen if post.is_deleted], "a thread cut short marks nothing"
    assert stored["rescan"] == [ids["newest"]]
    batches, _ = crawl(built, stored)
    assert [key for key, post in posts_of(batches).items() if post.is_deleted] == [
        comment_key(gateway, ids["newest_reply"])
    ]


def test_a_crash_mid_crawl_resumes_without_loss_or_duplicates() -> None:
    gateway, _ = build()
    built = collector(gateway, backfill=timedelta(days=30), batch_size=7)
    stored: dict[str, Any] | None = None
    keys: list[str] = []
    for number, batch in enumerate(built.collect(source(), None), start=1):
        keys += [post.key for post in batch.posts]
        stored = json.loads(json.dumps(batch.cursor))
        if number == 2:
            break  # the worker died after storing two batches, mid-scan
    assert stored is not None and stored["scan"] is not None and len(keys) == 14
    gateway.post(CHANNEL, "Пока воркер лежал: авария на водоводе", date=NOW + timedelta(minutes=1))
    batches, cursor = crawl(built, stored)
    keys += list(posts_of(batches))
    assert len(keys) == len(set(keys)), "nothing was yielded twice across the crash"
    assert len(keys) == 30 + 4, "and nothing was lost (the newcomer is above the scan: the next crawl)"
    later, _ = crawl(built, cursor)
    assert [post.text for post in posts_of(later).values() if post.post_id == str(cursor["max_id"] + 1)] == [
        "Пока воркер лежал: авария на водоводе"
    ]


@pytest.mark.parametrize(
    ("error", "expected", "code"),
    [
        (errors.FloodWaitError(request=None, capture=90), RateLimited, 420),
        (errors.AuthKeyUnregisteredError(request=None), AuthError, 401),
        (errors.SessionRevokedError(request=None), AuthError, 401),
        (errors.ChannelPrivateError(request=None), SourceUnavailable, 400),
        (errors.UsernameNotOccupiedError(request=None), SourceUnavailable, 400),
        (errors.ServerError(request=None, message="INTERNAL"), TransientError, None),
        (errors.ChatAdminRequiredError(request=None), BadRequest, 400),
    ],
)
def test_telethon_errors_say_what_the_caller_does(
    error: Exception, expected: type[Exception], code: int | None
) -> None:
    translated = translate(error, "messages.getHistory")
    assert type(translated) is expected
    assert getattr(translated, "code", None) == code


def test_telethon_gateway_keeps_its_secrets() -> None:
    session, api_hash = "1BVtsOK4Bu-SECRET-session-string", "0123456789abcdef-SECRET"
    gateway = TelethonGateway(12345, api_hash, session)
    settings = Settings(telegram_api_id=12345, telegram_api_hash=api_hash, telegram_session=session)
    for text in (repr(gateway), str(gateway), repr(settings), repr(TelethonGateway.from_settings(settings))):
        assert session not in text and api_hash not in text


def test_the_login_command_needs_the_api_credentials_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from crawlers.commands import app

    for name in ("INFOPOLE_TELEGRAM_API_ID", "INFOPOLE_TELEGRAM_API_HASH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no .env with credentials here
    result = CliRunner().invoke(app, ["telegram-login"])
    assert result.exit_code == 2
    assert "INFOPOLE_TELEGRAM_API_ID" in result.output


def old_official_channel() -> tuple[FakeTelegramGateway, dict[str, int]]:
    """Posts of 25, 20, 12 and 1 days ago, and rules pinned 60 days ago."""
    gateway = FakeTelegramGateway()
    gateway.add_channel(CHANNEL, "Администрация", first_id=501)
    ids = {"pinned": gateway.post(CHANNEL, "Правила", date=NOW - timedelta(days=60), pinned=True)}
    for age in (25, 20, 12, 1):
        ids[f"d{age}"] = gateway.post(CHANNEL, f"Новость {age}", date=NOW - timedelta(days=age))
    return gateway, ids


def tg_key(post_id: int) -> str:
    return f"telegram:{CHANNEL}:{post_id}"


def test_comments_under_older_official_posts_are_read_when_their_thread_moves() -> None:
    gateway, ids = old_official_channel()
    built = collector(gateway, backfill=timedelta(days=90))
    official = source().model_copy(update={"official": True})
    plain = list(built.collect(source(), None))[-1].cursor
    cursor = list(built.collect(official, None))[-1].cursor
    assert set(cursor["window"]) == {str(ids[f"d{a}"]) for a in (25, 20, 12, 1)}
    complaint = gateway.comment(CHANNEL, ids["d20"], "Яму не засыпали!", user_id=777, date=NOW)
    answer = gateway.comment(
        CHANNEL, ids["d20"], "Передали в ЖКХ", as_channel=True, date=NOW, reply_to=complaint
    )

    missed = posts_of(list(built.collect(source(), plain)))  # an ordinary channel: not looked at
    assert not [p for p in missed.values() if p.kind is PostKind.COMMENT]

    gateway.calls.clear()
    batches = list(built.collect(official, cursor))
    found = posts_of(batches)
    comments = {p.post_id: p for p in found.values() if p.kind is PostKind.COMMENT}
    assert set(comments) == {str(complaint), str(answer)}
    assert comments[str(answer)].reply_to_key == comments[str(complaint)].key
    assert found[tg_key(ids["d20"])].metrics.comments == 2
    assert tg_key(ids["d25"]) not in found and tg_key(ids["d12"]) not in found  # unchanged: not yielded
    assert [call[0] for call in gateway.calls].count("iter_replies") == 1  # only the changed thread
    again = posts_of(list(built.collect(official, batches[-1].cursor)))
    assert not [p for p in again.values() if p.kind is PostKind.COMMENT]


def test_an_unpinned_post_is_stored_unpinned() -> None:
    gateway, ids = old_official_channel()
    built = collector(gateway, backfill=timedelta(days=90))
    batches, cursor = crawl(built, None)
    assert posts_of(batches)[tg_key(ids["pinned"])].is_pinned
    batches, cursor = crawl(built, cursor)
    assert posts_of(batches)[tg_key(ids["pinned"])].is_pinned  # read again on every pass
    question = gateway.comment(CHANNEL, ids["pinned"], "Куда писать про яму?", user_id=778, date=NOW)
    batches, cursor = crawl(built, cursor)
    assert str(question) in {p.post_id for p in posts_of(batches).values() if p.kind is PostKind.COMMENT}
    batches, cursor = crawl(built, cursor)
    assert not [p for p in posts_of(batches).values() if p.kind is PostKind.COMMENT]  # read once

    gateway.pin(CHANNEL, ids["pinned"], pinned=False)
    batches, cursor = crawl(built, cursor)
    post = posts_of(batches)[tg_key(ids["pinned"])]
    assert not post.is_pinned and not post.is_deleted and post.text == "Правила"
    batches, cursor = crawl(built, cursor)
    assert tg_key(ids["pinned"]) not in posts_of(batches)  # 60 days old, no longer pinned: left alone
