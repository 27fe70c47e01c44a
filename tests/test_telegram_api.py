"""The Telethon path: real ``telethon.tl.types`` objects from the fake gateway in, ``Post``s out.

The fake gateway builds the same ``Message``/``PeerChannel``/``MessageReplies`` objects
Telethon deserialises from Telegram, and raises Telethon's real errors, so the
conversion and the error mapping run exactly as in production.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from telethon.tl import types

from crawlers.base import AuthError, Batch, RateLimited, SourceUnavailable
from crawlers.fakes.telegram_gateway import FakeTelegramGateway
from crawlers.telegram.api_collector import ApiCrawlConfig, TelegramApiCollector
from crawlers.telegram.convert import comment_to_record, post_to_record
from crawlers.telegram.gateway import TelethonGateway
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, PostKind, pseudonymise
from infopole.domain.source import Source, SourceKind

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
    built = collector(gateway, rescan_window=timedelta(days=2))
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
