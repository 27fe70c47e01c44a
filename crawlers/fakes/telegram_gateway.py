"""A ``TelegramGateway`` for tests and the demo that returns REAL ``telethon.tl.types`` objects.

Telethon speaks MTProto over an encrypted connection, so there is no local wire fake for
it; the seam is the gateway. This fake builds the same ``Message``, ``PeerChannel``,
``PeerUser``, ``MessageReplies`` and ``MessageReplyHeader`` objects Telegram's servers
deserialise into, keeps a channel's linked discussion group (its own id space) with
``replies.max_id`` maintained as Telegram does, and raises Telethon's real errors
(``FloodWaitError``, ``ChannelPrivateError``, ``UsernameNotOccupiedError``) on demand.

Every post, comment, edit and deletion is also pushed to the ``stream`` subscribers as the real
update object (``UpdateNewChannelMessage``, ``UpdateEditChannelMessage``,
``UpdateDeleteChannelMessages``); with nobody subscribed the update is gone, as when the streaming
service is down.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telethon import errors
from telethon.tl import types


@dataclass
class FakeChannel:
    entity: types.Channel
    discussion: types.Channel
    posts: dict[int, types.Message] = field(default_factory=dict)
    comments: dict[int, list[types.Message]] = field(default_factory=dict)  # post id -> its comments
    next_post: int = 1
    next_comment: int = 1
    private: bool = False
    participants: int = 0  # ``ChannelFull.participants_count``: the channel's subscribers


class FakeTelegramGateway:
    """Channels keyed by username; mutable between crawls; ``calls`` records every request."""

    def __init__(self) -> None:
        self.channels: dict[str, FakeChannel] = {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self._flood: list[tuple[str, int]] = []  # (method, seconds) for the next calls of that method
        self._flood_after: dict[str, int] = {}
        self._lock = threading.Lock()
        self._next_chat_id = 1_800_000_000
        self._subscribers: list[queue.Queue[Any]] = []
        self._pts = 0

    # ------------------------------------------------------------------ building

    def add_channel(self, username: str, title: str, *, first_id: int = 1) -> FakeChannel:
        self._next_chat_id += 2
        date = datetime(2020, 1, 1, tzinfo=UTC)
        entity = types.Channel(
            id=self._next_chat_id,
            title=title,
            photo=types.ChatPhotoEmpty(),
            date=date,
            broadcast=True,
            username=username,
            access_hash=7_001 + self._next_chat_id,
            has_link=True,
        )
        discussion = types.Channel(
            id=self._next_chat_id + 1,
            title=f"{title} — обсуждение",
            photo=types.ChatPhotoEmpty(),
            date=date,
            megagroup=True,
            access_hash=9_001 + self._next_chat_id,
        )
        channel = FakeChannel(entity, discussion, next_post=first_id)
        self.channels[username.lower()] = channel
        return channel

    def post(
        self,
        username: str,
        text: str,
        *,
        date: datetime,
        views: int = 0,
        forwards: int = 0,
        forwarded_from: tuple[int, int] | None = None,
        pinned: bool = False,
    ) -> int:
        channel = self.channels[username]
        message_id = channel.next_post
        channel.next_post += 1
        fwd = (
            types.MessageFwdHeader(
                date=date, from_id=types.PeerChannel(forwarded_from[0]), channel_post=forwarded_from[1]
            )
            if forwarded_from
            else None
        )
        channel.posts[message_id] = types.Message(
            id=message_id,
            peer_id=types.PeerChannel(channel.entity.id),
            date=date,
            message=text,
            post=True,
            views=views,
            forwards=forwards,
            fwd_from=fwd,
            pinned=pinned or None,
            replies=types.MessageReplies(
                replies=0, replies_pts=1, comments=True, channel_id=channel.discussion.id
            ),
        )
        channel.comments[message_id] = []
        self._publish(types.UpdateNewChannelMessage, channel.posts[message_id])
        return message_id

    def comment(
        self,
        username: str,
        post_id: int,
        text: str,
        *,
        user_id: int = 0,
        date: datetime,
        reply_to: int | None = None,
        as_channel: bool = False,
        as_group: bool = False,
    ) -> int:
        """A comment in the discussion group; ``reply_to`` (a comment id) answers another comment.

        An administrator answers as the channel itself (``as_channel``: ``from_id`` is the channel's
        ``PeerChannel``) or anonymously in the group (``as_group``: ``from_id`` is the discussion
        group's own ``PeerChannel``), as Telegram sends both."""
        channel = self.channels[username]
        sender: types.PeerUser | types.PeerChannel = types.PeerUser(user_id)
        if as_channel:
            sender = types.PeerChannel(channel.entity.id)
        elif as_group:
            sender = types.PeerChannel(channel.discussion.id)
        comment_id = channel.next_comment
        channel.next_comment += 1
        thread_head = -post_id  # the discussion group's copy of the post; its id is private to the group
        header = (
            types.MessageReplyHeader(reply_to_msg_id=reply_to, reply_to_top_id=thread_head)
            if reply_to
            else types.MessageReplyHeader(reply_to_msg_id=thread_head)
        )
        channel.comments[post_id].append(
            types.Message(
                id=comment_id,
                peer_id=types.PeerChannel(channel.discussion.id),
                date=date,
                message=text,
                from_id=sender,
                reply_to=header,
            )
        )
        replies = channel.posts[post_id].replies
        assert replies is not None
        replies.replies += 1
        replies.max_id = comment_id
        self._publish(types.UpdateNewChannelMessage, channel.comments[post_id][-1])
        return comment_id

    def pin(self, username: str, message_id: int, pinned: bool = True) -> None:
        self.channels[username].posts[message_id].pinned = pinned or None

    def edit(self, username: str, message_id: int, text: str, *, at: datetime) -> None:
        message = self.channels[username].posts[message_id]
        message.message = text
        message.edit_date = at
        self._publish(types.UpdateEditChannelMessage, message)

    def delete(self, username: str, message_id: int) -> None:
        channel = self.channels[username]
        del channel.posts[message_id]
        self._publish_deleted(channel.entity.id, message_id)

    def edit_comment(self, username: str, post_id: int, comment_id: int, text: str, *, at: datetime) -> None:
        message = next(c for c in self.channels[username].comments[post_id] if c.id == comment_id)
        message.message = text
        message.edit_date = at
        self._publish(types.UpdateEditChannelMessage, message)

    def delete_comment(self, username: str, post_id: int, comment_id: int) -> None:
        channel = self.channels[username]
        channel.comments[post_id] = [c for c in channel.comments[post_id] if c.id != comment_id]
        self._publish_deleted(channel.discussion.id, comment_id)

    def _publish(self, kind: type[Any], message: types.Message) -> None:
        with self._lock:
            self._pts += 1
            update = kind(message=message, pts=self._pts, pts_count=1)
            for subscriber in self._subscribers:
                subscriber.put(update)

    def _publish_deleted(self, chat_id: int, message_id: int) -> None:
        with self._lock:
            self._pts += 1
            update = types.UpdateDeleteChannelMessages(
                channel_id=chat_id, messages=[message_id], pts=self._pts, pts_count=1
            )
            for subscriber in self._subscribers:
                subscriber.put(update)

    def flood(self, method: str, seconds: int, *, after: int = 0) -> None:
        """The next call of ``method`` (after ``after`` items were returned) raises ``FloodWaitError``."""
        with self._lock:
            self._flood.append((method, seconds))
            self._flood_after[method] = after

    # ------------------------------------------------------------------ the gateway

    def _channel(self, username: str) -> FakeChannel:
        channel = self.channels.get(username)
        if channel is None:
            raise errors.UsernameNotOccupiedError(request=None)
        if channel.private:
            raise errors.ChannelPrivateError(request=None)
        return channel

    def _check_flood(self, method: str, returned: int) -> None:
        with self._lock:
            for index, (name, seconds) in enumerate(self._flood):
                if name == method and returned >= self._flood_after.get(method, 0):
                    del self._flood[index]
                    raise errors.FloodWaitError(request=None, capture=seconds)

    def iter_messages(self, channel: str, *, min_id: int = 0, offset_id: int = 0) -> Iterator[types.Message]:
        self.calls.append(("iter_messages", channel, {"min_id": min_id, "offset_id": offset_id}))
        chan = self._channel(channel)
        ids = sorted((i for i in chan.posts if i > min_id and (not offset_id or i < offset_id)), reverse=True)
        for returned, message_id in enumerate(ids):
            self._check_flood("iter_messages", returned)
            yield chan.posts[message_id]
        self._check_flood("iter_messages", len(ids))

    def full_channel(self, channel: str) -> types.messages.ChatFull:
        """``channels.GetFullChannelRequest``: the channel's ``ChannelFull`` (``participants_count``,
        ``linked_chat_id``) with the channel and its discussion group in ``chats``."""
        self.calls.append(("full_channel", channel, {}))
        chan = self._channel(channel)
        self._check_flood("full_channel", 0)
        full = types.ChannelFull(
            id=chan.entity.id,
            about="",
            read_inbox_max_id=0,
            read_outbox_max_id=0,
            unread_count=0,
            chat_photo=types.PhotoEmpty(id=0),
            notify_settings=types.PeerNotifySettings(),
            bot_info=[],
            pts=1,
            participants_count=chan.participants,
            linked_chat_id=chan.discussion.id,
        )
        return types.messages.ChatFull(full_chat=full, chats=[chan.entity, chan.discussion], users=[])

    def iter_replies(self, channel: str, post_id: int, *, min_id: int = 0) -> Iterator[types.Message]:
        self.calls.append(("iter_replies", channel, {"post_id": post_id, "min_id": min_id}))
        chan = self._channel(channel)
        if post_id not in chan.posts:
            raise errors.MsgIdInvalidError(request=None)
        self._check_flood("iter_replies", 0)
        yield from sorted((c for c in chan.comments[post_id] if c.id > min_id), key=lambda c: -c.id)

    def chat_ids(self, channel: str) -> tuple[int, int | None]:
        self.calls.append(("chat_ids", channel, {}))
        chan = self._channel(channel)
        return chan.entity.id, chan.discussion.id

    def thread_post(self, channel: str, head_id: int) -> int | None:
        self.calls.append(("thread_post", channel, {"head_id": head_id}))
        chan = self._channel(channel)
        return -head_id if -head_id in chan.posts else None  # the group's copy of post n is -n here

    def stream(self, stop: threading.Event, *, poll_s: float = 0.5) -> Iterator[Any]:
        received: queue.Queue[Any] = queue.Queue()
        with self._lock:
            self._subscribers.append(received)
        try:
            while not stop.is_set():
                try:
                    yield received.get(timeout=poll_s)
                except queue.Empty:
                    continue
        finally:
            with self._lock:
                self._subscribers.remove(received)

    @property
    def streaming(self) -> int:
        """How many ``stream`` subscribers are listening."""
        with self._lock:
            return len(self._subscribers)
