"""``TelegramApiCollector``: channel posts and their discussion comments through a ``TelegramGateway``.

One crawl of a channel is two phases, both resumable from the cursor of any batch:

1. **Posts**: ``iter_messages(min_id=floor)`` newest first, where ``floor`` is just below
   the oldest post of the re-scan window (or the highest stored id when the window is
   empty); a first crawl reaches back to the backfill horizon. Every window post comes
   back, so edits (``edit_date``) and counters reach the store, and a window post that no
   longer comes back was deleted: it is yielded as a tombstone. A batch is yielded every
   ``batch_size`` messages; ``offset_id`` resumes an interrupted scan below the last one.
2. **Comments** of every post whose ``replies.max_id`` (the newest comment in its
   discussion thread) is above the comment id stored for it: ``iter_replies(min_id=…)``.
   A post younger than ``comments_recheck``, or whose ``replies.replies`` count fell below
   the number of its comments seen before, has its whole thread read again (``rescan``):
   edited comments come back (a new revision in the post store), and a comment seen before
   (``comment_ids``) that the thread no longer has was deleted and is yielded as such. A
   thread that could not be read to its end marks nothing.

A channel with a longer comment window (``crawlers.comment_window``: official pages, 30 days by
default) keeps its posts of that horizon in ``window``, so the scan reaches back to them; such an
older post is yielded again, and its thread read after the stored comment id, only when
``replies.max_id`` moved (or ``replies.replies`` fell, or its pin changed). Posts pinned on the
last pass (``pinned``) below the scan's floor are re-read one by one on every pass
(``iter_messages`` between the id's neighbours), so an un-pin reaches the store.

``FloodWaitError`` (and slow-mode waits) become ``RateLimited(retry_after=seconds)``: the
scheduler parks the source and comes back, nothing sleeps. The cursor is plain JSON::

    {"version": 1, "max_id": 1234, "window": {"1230": published_unix, ...},
     "scan": null | {"floor", "offset_id", "top", "seen": {...}},
     "comments": {"1230": last comment id, ...}, "queue": [post ids], "rescan": [post ids],
     "comment_ids": {"1230": {"<chat>:<comment id>": published_unix, ...}, ...},
     "pinned": {"1200": published_unix, ...}}
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telethon import errors
from telethon.tl import types

from crawlers.base import (
    AuthError,
    BadRequest,
    Batch,
    CollectorError,
    RateLimited,
    SourceUnavailable,
    TransientError,
)
from crawlers.comment_window import CommentWindows
from crawlers.telegram.convert import (
    comment_to_record,
    comment_tombstone,
    post_to_record,
    raw_payload,
    tombstone,
)
from crawlers.telegram.gateway import TelegramGateway, TelethonGateway
from crawlers.telegram.preview import channel_name
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, RawPayload
from infopole.domain.source import Source, SourceKind

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
SOURCE_ERRORS = (
    errors.ChannelPrivateError,
    errors.ChannelInvalidError,
    errors.ChannelBannedError,
    errors.UsernameNotOccupiedError,
    errors.UsernameInvalidError,
)


def translate(exc: Exception, method: str) -> CollectorError:
    """A Telethon error → the collector error that says what the caller should do."""
    name = type(exc).__name__
    if isinstance(exc, errors.FloodWaitError | errors.SlowModeWaitError | errors.FloodPremiumWaitError):
        seconds = float(getattr(exc, "seconds", 0) or 0)
        return RateLimited(
            f"{method}: {name}, wait {seconds:.0f} s", method=method, retry_after=seconds, code=420
        )
    if isinstance(exc, SOURCE_ERRORS):
        return SourceUnavailable(f"{method}: {name}", code=getattr(exc, "code", None))
    if isinstance(exc, ValueError) and "username" in str(exc).lower():
        return SourceUnavailable(f"{method}: no such channel")  # get_entity's "No user has … as username"
    if isinstance(exc, errors.UnauthorizedError | errors.AuthKeyError):
        return AuthError(f"{method}: {name}: the session is revoked or invalid", code=401)
    if isinstance(exc, errors.ServerError | errors.TimedOutError | ConnectionError | TimeoutError):
        return TransientError(f"{method}: {name}")
    if isinstance(exc, errors.RPCError):
        return BadRequest(f"{method}: {name}", code=getattr(exc, "code", None))
    raise exc


@dataclass(frozen=True)
class ApiCrawlConfig:
    rescan_window: timedelta = timedelta(days=2)
    comments_recheck: timedelta = timedelta(
        days=1
    )  # posts this young have their whole thread re-read; 0: never
    backfill: timedelta = timedelta(days=14)
    batch_size: int = 100
    # older posts whose comments are still watched (official channels: 30 days)
    comment_windows: CommentWindows = field(default_factory=CommentWindows)


@dataclass
class _Cursor:
    max_id: int = 0
    window: dict[str, int] = field(default_factory=dict)
    scan: dict[str, Any] | None = None
    comments: dict[str, int] = field(default_factory=dict)
    queue: list[int] = field(default_factory=list)
    rescan: list[int] = field(default_factory=list)
    comment_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    pinned: dict[str, int] = field(default_factory=dict)  # post id → published, pinned on the last pass

    @classmethod
    def load(cls, data: Mapping[str, Any] | None) -> _Cursor:
        if not data:
            return cls()
        if data.get("version") != CURSOR_VERSION:
            raise ValueError(f"unknown Telegram API cursor version {data.get('version')!r}")
        scan = data.get("scan")
        return cls(
            max_id=int(data.get("max_id") or 0),
            window={str(k): int(v) for k, v in (data.get("window") or {}).items()},
            scan=dict(scan, seen=dict(scan.get("seen") or {})) if scan else None,
            comments={str(k): int(v) for k, v in (data.get("comments") or {}).items()},
            queue=[int(post_id) for post_id in data.get("queue") or ()],
            rescan=[int(post_id) for post_id in data.get("rescan") or ()],
            comment_ids={
                str(post): {str(c): int(d) for c, d in ids.items()}
                for post, ids in (data.get("comment_ids") or {}).items()
            },
            pinned={str(k): int(v) for k, v in (data.get("pinned") or {}).items()},
        )

    def dump(self) -> dict[str, Any]:
        return {
            "version": CURSOR_VERSION,
            "max_id": self.max_id,
            "window": dict(self.window),
            "scan": dict(self.scan, seen=dict(self.scan["seen"])) if self.scan is not None else None,
            "comments": dict(self.comments),
            "queue": list(self.queue),
            "rescan": list(self.rescan),
            "comment_ids": {post: dict(ids) for post, ids in self.comment_ids.items()},
            "pinned": dict(self.pinned),
        }


class TelegramApiCollector:
    """Collects ``TG_CHANNEL`` (posts and comments) and ``TG_CHAT`` (messages) sources by username."""

    platform = Platform.TELEGRAM

    def __init__(
        self,
        gateway: TelegramGateway,
        *,
        salt: str,
        config: ApiCrawlConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.gateway = gateway
        self.salt = salt
        self.config = config or ApiCrawlConfig()
        self.clock = clock

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        gateway: TelegramGateway | None = None,
        config: ApiCrawlConfig | None = None,
    ) -> TelegramApiCollector:
        return cls(
            gateway or TelethonGateway.from_settings(settings),
            salt=settings.author_salt.get_secret_value(),
            config=config,
        )

    def collect(self, source: Source, cursor: Mapping[str, Any] | None) -> Iterator[Batch]:
        if source.kind not in (SourceKind.TG_CHANNEL, SourceKind.TG_CHAT):
            raise ValueError(f"TelegramApiCollector cannot collect a {source.kind.value} source")
        channel = channel_name(source.target)
        state = _Cursor.load(cursor)
        if state.scan is None and not state.queue:
            floor = min((int(k) for k in state.window), default=state.max_id + 1) - 1
            state.scan = {
                "floor": max(0, min(floor, state.max_id)),
                "offset_id": 0,
                "top": state.max_id,
                "seen": {},
                "pinned": {},
            }
        try:
            if state.scan is not None:
                yield from self._scan(source, channel, state)
            if source.kind is SourceKind.TG_CHANNEL:
                yield from self._comments(source, channel, state)
        except SourceUnavailable as exc:
            exc.source_id = source.id
            raise

    # ------------------------------------------------------------------ phase 1: posts

    def _scan(self, source: Source, channel: str, state: _Cursor) -> Iterator[Batch]:
        assert state.scan is not None
        scan = state.scan
        now = self.clock()
        window_start = int((now - self.config.rescan_window).timestamp())
        horizon_start = window_start
        if source.kind is SourceKind.TG_CHANNEL:  # a chat's messages have no comments to watch
            comment_window = self.config.comment_windows.for_source(source)
            horizon_start = min(window_start, int((now - comment_window).timestamp()))
        backfill_start = int((now - self.config.backfill).timestamp())
        recheck = self.config.comments_recheck
        recheck_start = int((now - recheck).timestamp()) if recheck else None
        messages = self.gateway.iter_messages(
            channel, min_id=int(scan["floor"]), offset_id=int(scan["offset_id"])
        )
        posts: list[Post] = []
        raws: list[RawPayload] = []
        queued = set(state.queue)
        while True:
            try:
                message = next(messages, None)
            except Exception as exc:
                raise translate(exc, "messages.getHistory") from None
            if message is not None and int(message.date.timestamp()) < backfill_start:
                message = None  # a first crawl stops at the backfill horizon
            if message is not None and isinstance(message, types.Message):
                post = post_to_record(message, channel=channel, source_id=source.id, salt=self.salt)
                published = int(post.published_at.timestamp())
                if published >= horizon_start:
                    scan["seen"][post.post_id] = published
                if message.pinned:
                    scan.setdefault("pinned", {})[post.post_id] = published
                scan["top"] = max(int(scan["top"]), message.id)
                scan["offset_id"] = message.id
                replies = message.replies
                last_seen = state.comments.get(post.post_id, 0)
                known = state.comment_ids.get(post.post_id, {})
                newer = bool(replies and replies.comments and (replies.max_id or 0) > last_seen)
                young = recheck_start is not None and published >= recheck_start
                fewer = (replies.replies if replies else 0) < len(known)
                full = bool(known) and (young or fewer)  # edits and deletions: the whole thread again
                pin_changed = bool(message.pinned) != (post.post_id in state.pinned)
                older = published < window_start and message.id <= state.max_id
                if not older or newer or full or pin_changed:  # an older post only when it changed
                    posts.append(post)
                    raws.append(raw_payload(post, message, self.clock()))
                if (newer or full) and message.id not in queued:
                    state.queue.append(message.id)
                    queued.add(message.id)
                    if full:
                        state.rescan.append(message.id)
            elif message is not None:
                scan["offset_id"] = message.id  # a service message: nothing to store
            done = message is None
            if done:
                posts += self._tombstones(source, channel, state, horizon_start)
                posts += self._unpinned(source, channel, state, raws)
                state.max_id = int(scan["top"])
                state.window = {k: v for k, v in scan["seen"].items() if v >= horizon_start}
                state.pinned = dict(scan.get("pinned") or {})
                kept = set(state.window) | set(state.pinned) | {str(post_id) for post_id in state.queue}
                state.comments = {k: v for k, v in state.comments.items() if k in kept}
                state.comment_ids = {k: v for k, v in state.comment_ids.items() if k in kept}
                state.scan = None
            if done or len(posts) >= self.config.batch_size:
                yield Batch(source.id, tuple(posts), tuple(raws), state.dump())
                posts, raws = [], []
            if done:
                return

    def _tombstones(self, source: Source, channel: str, state: _Cursor, window_start: int) -> list[Post]:
        assert state.scan is not None
        seen, floor = state.scan["seen"], int(state.scan["floor"])
        gone = [
            tombstone(channel, int(key), datetime.fromtimestamp(published, tz=UTC), source_id=source.id)
            for key, published in sorted(state.window.items(), key=lambda item: int(item[0]))
            if key not in seen and int(key) > floor and published >= window_start
        ]
        if gone:
            log.info("Telegram %s: %d posts deleted", channel, len(gone))
        return gone

    def _unpinned(self, source: Source, channel: str, state: _Cursor, raws: list[RawPayload]) -> list[Post]:
        """Posts pinned on the last pass that the scan did not reach, read again one by one: their
        pin (still there, or gone) is stored again; one no longer there is yielded as deleted."""
        assert state.scan is not None
        seen, pinned_now = state.scan["seen"], state.scan.setdefault("pinned", {})
        posts: list[Post] = []
        for key, published in sorted(state.pinned.items(), key=lambda item: int(item[0])):
            if key in seen or key in pinned_now:
                continue
            post_id = int(key)
            try:
                found = [
                    m
                    for m in self.gateway.iter_messages(channel, min_id=post_id - 1, offset_id=post_id + 1)
                    if isinstance(m, types.Message) and m.id == post_id
                ]
            except Exception as exc:
                raise translate(exc, "messages.getHistory") from None
            if not found:
                when = datetime.fromtimestamp(published, tz=UTC)
                posts.append(tombstone(channel, post_id, when, source_id=source.id))
                continue
            post = post_to_record(found[0], channel=channel, source_id=source.id, salt=self.salt)
            posts.append(post)
            raws.append(raw_payload(post, found[0], self.clock()))
            if found[0].pinned:
                pinned_now[key] = published
                replies = found[0].replies  # residents ask under pinned rules whatever their age
                newer = bool(
                    replies and replies.comments and (replies.max_id or 0) > state.comments.get(key, 0)
                )
                if newer and post_id not in state.queue:
                    state.queue.append(post_id)
        return posts

    # ------------------------------------------------------------------ phase 2: comments

    def _comments(self, source: Source, channel: str, state: _Cursor) -> Iterator[Batch]:
        while state.queue:
            post_id = state.queue[0]
            full = post_id in state.rescan
            after = 0 if full else state.comments.get(str(post_id), 0)
            newest = state.comments.get(str(post_id), 0)
            posts: list[Post] = []
            raws: list[RawPayload] = []
            complete = True
            try:
                for message in self.gateway.iter_replies(channel, post_id, min_id=after):
                    if not isinstance(message, types.Message):
                        continue
                    post = comment_to_record(
                        message, channel=channel, post_id=post_id, source_id=source.id, salt=self.salt
                    )
                    posts.append(post)
                    raws.append(raw_payload(post, message, self.clock()))
                    newest = max(newest, message.id)
            except errors.MsgIdInvalidError:
                log.info("Telegram %s: post %s has no discussion thread", channel, post_id)
                complete = False  # nothing read: nothing can be called deleted
            except Exception as exc:
                raise translate(exc, "messages.getReplies") from None
            seen = {f"{post.owner_id}:{post.post_id}": int(post.published_at.timestamp()) for post in posts}
            if full and complete:
                posts += self._vanished_comments(source, channel, post_id, state, seen)
            else:
                state.comment_ids.setdefault(str(post_id), {}).update(seen)
            state.comments[str(post_id)] = newest
            state.queue.pop(0)
            if post_id in state.rescan:
                state.rescan.remove(post_id)
            yield Batch(source.id, tuple(posts), tuple(raws), state.dump())

    def _vanished_comments(
        self, source: Source, channel: str, post_id: int, state: _Cursor, seen: dict[str, int]
    ) -> list[Post]:
        """Comments of the post seen before that its whole thread, just read, no longer has."""
        before = state.comment_ids.get(str(post_id), {})
        state.comment_ids[str(post_id)] = seen
        gone = []
        for key, published in sorted(before.items()):
            if key in seen:
                continue
            owner, _, comment_id = key.rpartition(":")
            gone.append(
                comment_tombstone(
                    owner,
                    int(comment_id),
                    channel=channel,
                    post_id=post_id,
                    published_at=datetime.fromtimestamp(published, tz=UTC),
                    source_id=source.id,
                )
            )
        if gone:
            log.info("Telegram %s: %d comments under post %s deleted", channel, len(gone), post_id)
        return gone
