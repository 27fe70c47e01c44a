"""Telethon ``Message`` objects → the canonical ``Post``; the only module that reads Telethon types.

Channel posts are keyed by the channel username (``telegram:<channel>:<id>``), as the
t.me/s collector keys them, so both paths store one post once. Comments live in the
channel's linked discussion group, a separate chat with its own id space, so they are
keyed by that chat as ``c<chat id>`` (Telegram's own ``t.me/c/<id>`` form) and link
to their post with ``parent_key``. A comment that answers another comment (its
``reply_to`` has a ``reply_to_top_id``) links to it with ``reply_to_key``.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from telethon.tl import types

from infopole.domain.post import Metrics, Platform, Post, PostKind, RawPayload, post_key, pseudonymise

TELEGRAM = Platform.TELEGRAM
TELEGRAM_WEB = "https://t.me"


def chat_owner(chat_id: int) -> str:
    return f"c{chat_id}"


def _peer_id(peer: Any) -> tuple[str, int] | None:
    if isinstance(peer, types.PeerUser):
        return "user", peer.user_id
    if isinstance(peer, types.PeerChannel):
        return "channel", peer.channel_id
    if isinstance(peer, types.PeerChat):
        return "chat", peer.chat_id
    return None


def _likes(message: types.Message) -> int:
    reactions = getattr(message, "reactions", None)
    return sum(result.count for result in reactions.results) if reactions is not None else 0


def _metrics(message: types.Message) -> Metrics:
    replies = message.replies
    return Metrics(
        likes=_likes(message),
        reposts=message.forwards or 0,
        views=message.views or 0,
        comments=replies.replies if replies is not None else 0,
    )


def _edited(message: types.Message) -> datetime | None:
    # edit_hide: an edit Telegram itself does not show (a bot's button change); not a content edit
    return None if message.edit_hide or message.edit_date is None else message.edit_date


def _forward_key(message: types.Message) -> str | None:
    header = message.fwd_from
    if header is None or header.channel_post is None:
        return None
    peer = _peer_id(header.from_id)
    if peer is None or peer[0] != "channel":
        return None
    return post_key(TELEGRAM, chat_owner(peer[1]), str(header.channel_post))


def post_to_record(message: types.Message, *, channel: str, source_id: str, salt: str) -> Post:
    """A post of the channel (or a message of a public chat) ``channel``."""
    reply = message.reply_to
    reply_id = reply.reply_to_msg_id if isinstance(reply, types.MessageReplyHeader) else None
    author = _peer_id(message.from_id)
    if author is None or message.post:
        author_id, is_community = pseudonymise(TELEGRAM, channel, salt), True
    else:
        author_id, is_community = pseudonymise(TELEGRAM, author[1], salt), author[0] != "user"
    return Post(
        platform=TELEGRAM,
        owner_id=channel,
        post_id=str(message.id),
        source_id=source_id,
        url=f"{TELEGRAM_WEB}/{channel}/{message.id}",
        text=message.message or "",
        published_at=message.date or datetime.fromtimestamp(0, tz=UTC),
        edited_at=_edited(message),
        is_pinned=bool(message.pinned),
        author_id=author_id,
        author_is_community=is_community,
        reply_to_key=post_key(TELEGRAM, channel, str(reply_id)) if reply_id else None,
        copy_of_key=_forward_key(message),
        metrics=_metrics(message),
    )


def comment_to_record(
    message: types.Message, *, channel: str, post_id: int, source_id: str, salt: str
) -> Post:
    """A comment in the discussion group under channel post ``post_id``."""
    peer = _peer_id(message.peer_id)
    owner = chat_owner(peer[1]) if peer else channel
    reply = message.reply_to
    answers: int | None = None
    if isinstance(reply, types.MessageReplyHeader) and reply.reply_to_top_id is not None:
        answers = reply.reply_to_msg_id  # a reply inside the thread, to another comment
    author = _peer_id(message.from_id)
    return Post(
        platform=TELEGRAM,
        owner_id=owner,
        post_id=str(message.id),
        kind=PostKind.COMMENT,
        source_id=source_id,
        url=f"{TELEGRAM_WEB}/{channel}/{post_id}?comment={message.id}",
        text=message.message or "",
        published_at=message.date or datetime.fromtimestamp(0, tz=UTC),
        edited_at=_edited(message),
        author_id=pseudonymise(TELEGRAM, author[1], salt) if author else "",
        author_is_community=bool(author and author[0] != "user"),
        parent_key=post_key(TELEGRAM, channel, str(post_id)),
        reply_to_key=post_key(TELEGRAM, owner, str(answers)) if answers else None,
        metrics=Metrics(likes=_likes(message)),
    )


def tombstone(channel: str, message_id: int, published_at: datetime, *, source_id: str) -> Post:
    return Post(
        platform=TELEGRAM,
        owner_id=channel,
        post_id=str(message_id),
        source_id=source_id,
        url=f"{TELEGRAM_WEB}/{channel}/{message_id}",
        text="",
        published_at=published_at,
        is_deleted=True,
    )


def comment_tombstone(
    owner: str, comment_id: int, *, channel: str, post_id: int, published_at: datetime, source_id: str
) -> Post:
    """A comment the discussion thread no longer has: its key (``owner`` is ``c<chat id>``), deleted."""
    return Post(
        platform=TELEGRAM,
        owner_id=owner,
        post_id=str(comment_id),
        kind=PostKind.COMMENT,
        source_id=source_id,
        url=f"{TELEGRAM_WEB}/{channel}/{post_id}?comment={comment_id}",
        text="",
        published_at=published_at,
        is_deleted=True,
        parent_key=post_key(TELEGRAM, channel, str(post_id)),
    )


def jsonable(value: Any) -> Any:
    """``Message.to_dict()`` → plain JSON: datetimes as ISO strings, bytes as base64."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def raw_payload(post: Post, message: types.Message, fetched_at: datetime) -> RawPayload:
    return RawPayload(
        platform=TELEGRAM,
        source_id=post.source_id,
        item_key=post.key,
        fetched_at=fetched_at,
        payload=jsonable(message.to_dict()),
    )
