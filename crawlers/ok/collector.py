"""``OkGroupCollector``: topics of an OK group and their comments, incrementally.

Methods used (the documented ones for reading a group's feed with an app token):

* ``mediatopic.getTopics`` (``gid``, ``anchor``, ``direction=FORWARD``, ``count``): the
  group's topics newest first, paged by an opaque ``anchor``. ``stream.get`` is a user's
  news feed, not a group's, and needs the user's own session, so it is not used.
* ``mediatopic.getByIds`` (``topic_ids``): re-reads window topics the scan did not see
  again, to tell deleted ones (absent) from moved ones.
* ``discussions.getComments`` (``entityId``, ``entityType=GROUP_TOPIC``, ``anchor``,
  ``direction=FORWARD``, ``count``): comments oldest first; the anchor after the last one
  is kept per topic, so the next crawl asks only for comments after it.

One crawl is two phases, both resumable from the cursor of any batch, like the VK wall
collector: (1) scan topics until one that is already stored (created ≤ ``max_created_ms``)
and older than the re-scan window, re-yielding window topics (edits, counters) and
tombstoning window topics that vanished; (2) comments of new topics and of window topics
whose comment count changed, after the stored anchor.

A group with a longer comment window (``crawlers.comment_window``: official pages, 30 days by
default) is scanned back to that horizon; its older known topics are yielded again, and their
comments read after the stored anchor, only when the topic's comment count changed. The pinned
topic is yielded on every pass, whatever its age, and a topic pinned on the last pass that no
longer is gets re-read with ``mediatopic.getByIds``, so an un-pin reaches the store.

Comment edits and deletions: a window topic younger than ``comments_recheck``, or whose
comment count went down, has its whole discussion read again from the start (``rescan``).
Its comments come back (an edited text becomes a new revision in the post store), and a
comment seen under it before (``comment_ids``) that the finished pass did not see again
was deleted: it is yielded as a deleted comment. A pass cut short marks nothing. The
cursor is plain JSON::

    {"version": 1, "max_created_ms": ms, "window": {"<topic>": [created_ms, comments], ...},
     "scan": null | {"anchor", "stop_ms", "top_ms", "window", "pinned_done"},
     "queue": ["<topic>", ...], "comment_anchors": {"<topic>": "<anchor>", ...},
     "comment_ids": {"<topic>": {"<comment>": unix date, ...}, ...},
     "rescan": ["<topic>", ...], "pass": {"<comment>": unix date, ...}, "pass_anchor": null | "<anchor>",
     "pinned": {"<topic>": created_ms, ...}}
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlers.base import Batch, SourceUnavailable
from crawlers.comment_window import CommentWindows
from crawlers.ok.client import OkClient
from crawlers.ok.convert import (
    GROUP_TOPIC,
    comment_to_post,
    comment_tombstone,
    raw_payload,
    tombstone,
    topic_to_post,
)
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, RawPayload
from infopole.domain.source import Source, SourceKind

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
TOPIC_FIELDS = "media_topic.*"


@dataclass(frozen=True)
class OkCrawlConfig:
    page_size: int = 50  # mediatopic.getTopics cap
    comments_page_size: int = 100
    rescan_window: timedelta = timedelta(days=3)
    comments_recheck: timedelta = timedelta(days=1)  # topics this young have every comment re-read
    backfill: timedelta = timedelta(days=14)
    # older topics whose comments are still watched (official pages: 30 days)
    comment_windows: CommentWindows = field(default_factory=CommentWindows)


@dataclass
class _Cursor:
    max_created_ms: int = 0
    window: dict[str, list[int]] = field(default_factory=dict)
    scan: dict[str, Any] | None = None
    queue: list[str] = field(default_factory=list)
    comment_anchors: dict[str, str] = field(default_factory=dict)
    comment_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    rescan: list[str] = field(default_factory=list)
    seen_in_pass: dict[str, int] = field(default_factory=dict)
    pass_anchor: str | None = None
    pinned: dict[str, int] = field(default_factory=dict)  # topic → created_ms, pinned on the last pass

    @classmethod
    def load(cls, data: Mapping[str, Any] | None) -> _Cursor:
        if not data:
            return cls()
        if data.get("version") != CURSOR_VERSION:
            raise ValueError(f"unknown OK group cursor version {data.get('version')!r}")
        scan = data.get("scan")
        return cls(
            max_created_ms=int(data.get("max_created_ms") or 0),
            window={str(k): [int(v[0]), int(v[1])] for k, v in (data.get("window") or {}).items()},
            scan=dict(scan, window=dict(scan.get("window") or {})) if scan else None,
            queue=[str(topic) for topic in data.get("queue") or ()],
            comment_anchors={str(k): str(v) for k, v in (data.get("comment_anchors") or {}).items()},
            comment_ids={
                str(topic): {str(c): int(d) for c, d in ids.items()}
                for topic, ids in (data.get("comment_ids") or {}).items()
            },
            rescan=[str(topic) for topic in data.get("rescan") or ()],
            seen_in_pass={str(c): int(d) for c, d in (data.get("pass") or {}).items()},
            pass_anchor=data.get("pass_anchor"),
            pinned={str(k): int(v) for k, v in (data.get("pinned") or {}).items()},
        )

    def dump(self) -> dict[str, Any]:
        return {
            "version": CURSOR_VERSION,
            "max_created_ms": self.max_created_ms,
            "window": {k: list(v) for k, v in self.window.items()},
            "scan": dict(self.scan, window=dict(self.scan["window"])) if self.scan is not None else None,
            "queue": list(self.queue),
            "comment_anchors": dict(self.comment_anchors),
            "comment_ids": {topic: dict(ids) for topic, ids in self.comment_ids.items()},
            "rescan": list(self.rescan),
            "pass": dict(self.seen_in_pass),
            "pass_anchor": self.pass_anchor,
            "pinned": dict(self.pinned),
        }


class OkGroupCollector:
    """Collects ``SourceKind.OK_GROUP`` sources; ``source.target`` is the numeric group id."""

    platform = Platform.OK

    def __init__(
        self,
        client: OkClient,
        *,
        salt: str,
        config: OkCrawlConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.salt = salt
        self.config = config or OkCrawlConfig()
        self.clock = clock

    @classmethod
    def from_settings(
        cls, settings: Settings, *, client: OkClient | None = None, config: OkCrawlConfig | None = None
    ) -> OkGroupCollector:
        return cls(
            client or OkClient.from_settings(settings),
            salt=settings.author_salt.get_secret_value(),
            config=config,
        )

    def collect(self, source: Source, cursor: Mapping[str, Any] | None) -> Iterator[Batch]:
        if source.kind is not SourceKind.OK_GROUP:
            raise ValueError(f"OkGroupCollector cannot collect a {source.kind.value} source")
        group_id = source.target.strip()
        if not group_id.isdigit():
            raise ValueError(f"source {source.id}: target must be a numeric OK group id")
        state = _Cursor.load(cursor)
        if state.scan is None and not state.queue:
            state.scan = {
                "anchor": None,
                "stop_ms": state.max_created_ms,
                "top_ms": state.max_created_ms,
                "window": {},
                "pinned_done": False,
                "pinned": {},
            }
        try:
            if state.scan is not None:
                yield from self._scan(source, group_id, state)
            yield from self._comments(source, group_id, state)
        except SourceUnavailable as exc:
            exc.source_id = source.id
            raise

    # ------------------------------------------------------------------ phase 1: topics

    def _scan(self, source: Source, group_id: str, state: _Cursor) -> Iterator[Batch]:
        assert state.scan is not None
        scan = state.scan
        now = self.clock()
        window_start = int((now - self.config.rescan_window).timestamp() * 1000)
        comment_window = self.config.comment_windows.for_source(source)
        horizon_start = min(window_start, int((now - comment_window).timestamp() * 1000))
        recheck_start = int((now - self.config.comments_recheck).timestamp() * 1000)
        backfill_start = int((now - self.config.backfill).timestamp() * 1000)
        stop_ms = int(scan["stop_ms"])
        queued = set(state.queue)
        while True:
            response = self.client.call(
                "mediatopic.getTopics",
                gid=group_id,
                anchor=scan["anchor"],
                direction="FORWARD",
                count=self.config.page_size,
                fields=TOPIC_FIELDS,
            )
            topics = response.get("media_topics") or []
            fetched_at = self.clock()
            posts: list[Post] = []
            raws: list[RawPayload] = []
            done = not topics or not response.get("has_more")
            for topic in topics:
                topic_id, created = str(topic["id"]), int(topic["created_ms"])
                post = topic_to_post(topic, group_id=group_id, source_id=source.id, salt=self.salt)
                comments = post.metrics.comments
                known = state.window.get(topic_id)
                if topic.get("is_pinned"):
                    # on top whatever its age: yielded on every pass so the stored pin stays current
                    # (``_vanished`` re-reads a topic un-pinned since)
                    if scan["pinned_done"]:
                        continue
                    scan["pinned_done"] = True
                    scan.setdefault("pinned", {})[topic_id] = created
                    scan["window"][topic_id] = [created, comments]  # residents ask under it whatever its age
                elif created < window_start:
                    if created < horizon_start and (created <= stop_ms or created < backfill_start):
                        done = True
                        break
                    if created > stop_ms and created < backfill_start:
                        continue  # never seen and older than the backfill: out of reach, as ever
                    if created <= stop_ms:
                        # a known topic past the re-scan window, inside the comment window
                        scan["window"][topic_id] = [created, comments]
                        if known is None or known[1] == comments:
                            continue
                posts.append(post)
                raws.append(raw_payload(post, topic, fetched_at))
                scan["top_ms"] = max(int(scan["top_ms"]), created)
                if created >= horizon_start:
                    scan["window"][topic_id] = [created, comments]
                had = bool(state.comment_ids.get(topic_id))  # all of them may be gone now
                fewer = known is not None and comments < known[1]
                full = had and (created >= recheck_start or fewer)  # edits and deletions: read it all
                due = full or known is None or known[1] != comments or topic_id not in state.comment_anchors
                if (
                    (comments or had)
                    and due
                    and topic_id not in queued
                    and not topic.get("is_commenting_denied")
                ):
                    state.queue.append(topic_id)
                    queued.add(topic_id)
                    if full:
                        state.rescan.append(topic_id)
            scan["anchor"] = response.get("anchor") or scan["anchor"]
            if done:
                gone_posts, gone_raws = self._vanished(source, group_id, state, horizon_start, fetched_at)
                posts += gone_posts
                raws += gone_raws
                state.max_created_ms = max(stop_ms, int(scan["top_ms"]))
                state.window = scan["window"]
                state.pinned = dict(scan.get("pinned") or {})
                state.comment_anchors = {
                    topic: anchor
                    for topic, anchor in state.comment_anchors.items()
                    if topic in state.window or topic in queued
                }
                state.comment_ids = {
                    topic: ids
                    for topic, ids in state.comment_ids.items()
                    if topic in state.window or topic in queued
                }
                state.scan = None
            yield Batch(source.id, tuple(posts), tuple(raws), state.dump())
            if done:
                return

    def _vanished(
        self, source: Source, group_id: str, state: _Cursor, window_start: int, fetched_at: datetime
    ) -> tuple[list[Post], list[RawPayload]]:
        """Window topics the scan did not see again: deleted (tombstones) or still there (re-yielded);
        and topics pinned on the last pass that are not pinned now (their ``is_pinned`` is stale)."""
        assert state.scan is not None
        seen = state.scan["window"]
        missing = {k: v for k, v in state.window.items() if k not in seen and v[0] >= window_start}
        pinned_now = state.scan.get("pinned") or {}
        for topic_id, created in state.pinned.items():
            if topic_id not in pinned_now and topic_id not in seen:
                missing.setdefault(topic_id, [created, 0])
        if not missing:
            return [], []
        response = self.client.call("mediatopic.getByIds", topic_ids=sorted(missing), fields=TOPIC_FIELDS)
        found = {str(topic["id"]): topic for topic in response.get("media_topics") or ()}
        posts: list[Post] = []
        raws: list[RawPayload] = []
        for topic_id in sorted(missing):
            topic = found.get(topic_id)
            if topic is None:
                published = datetime.fromtimestamp(missing[topic_id][0] / 1000, tz=UTC)
                posts.append(tombstone(group_id, topic_id, published, source_id=source.id))
                continue
            post = topic_to_post(topic, group_id=group_id, source_id=source.id, salt=self.salt)
            posts.append(post)
            raws.append(raw_payload(post, topic, fetched_at))
            seen[topic_id] = [int(topic["created_ms"]), post.metrics.comments]
        log.info(
            "OK group %s: %d window topics re-read, %d deleted",
            group_id,
            len(missing),
            len(posts) - len(raws),
        )
        return posts, raws

    # ------------------------------------------------------------------ phase 2: comments

    def _comments(self, source: Source, group_id: str, state: _Cursor) -> Iterator[Batch]:
        while state.queue:
            topic_id = state.queue[0]
            full = topic_id in state.rescan  # the whole discussion again, from its first comment
            try:
                response = self.client.call(
                    "discussions.getComments",
                    entityId=topic_id,
                    entityType=GROUP_TOPIC,
                    anchor=state.pass_anchor if full else state.comment_anchors.get(topic_id),
                    direction="FORWARD",
                    count=self.config.comments_page_size,
                )
            except SourceUnavailable as exc:
                # the topic (not the group) is gone or closed since the scan: skip it alone;
                # a pass cut short proves nothing about deleted comments
                log.info("OK group %s: comments of topic %s skipped (error %s)", group_id, topic_id, exc.code)
                self._end_pass(state, topic_id)
                yield Batch(source.id, (), (), state.dump())
                continue
            fetched_at = self.clock()
            posts: list[Post] = []
            raws: list[RawPayload] = []
            for comment in response.get("comments") or ():
                post = comment_to_post(
                    comment, group_id=group_id, topic_id=topic_id, source_id=source.id, salt=self.salt
                )
                posts.append(post)
                raws.append(raw_payload(post, comment, fetched_at))
            dates = {post.post_id: int(post.published_at.timestamp()) for post in posts}
            if full:
                state.seen_in_pass.update(dates)
                state.pass_anchor = str(response["anchor"]) if response.get("anchor") else state.pass_anchor
            else:
                state.comment_ids.setdefault(topic_id, {}).update(dates)
            if response.get("anchor"):
                state.comment_anchors[topic_id] = str(response["anchor"])
            if not response.get("has_more") or not posts:
                if full:
                    posts += self._vanished_comments(source, group_id, topic_id, state)
                self._end_pass(state, topic_id)
            yield Batch(source.id, tuple(posts), tuple(raws), state.dump())

    @staticmethod
    def _end_pass(state: _Cursor, topic_id: str) -> None:
        state.queue.pop(0)
        if topic_id in state.rescan:
            state.rescan.remove(topic_id)
        state.seen_in_pass, state.pass_anchor = {}, None

    def _vanished_comments(self, source: Source, group_id: str, topic_id: str, state: _Cursor) -> list[Post]:
        """Comments seen under the topic before that its finished full pass did not see again: deleted."""
        before = state.comment_ids.get(topic_id, {})
        state.comment_ids[topic_id] = dict(state.seen_in_pass)
        gone = [
            comment_tombstone(
                group_id, topic_id, comment_id, datetime.fromtimestamp(date, tz=UTC), source_id=source.id
            )
            for comment_id, date in sorted(before.items())
            if comment_id not in state.seen_in_pass
        ]
        if gone:
            log.info("OK group %s: %d comments of topic %s deleted", group_id, len(gone), topic_id)
        return gone
