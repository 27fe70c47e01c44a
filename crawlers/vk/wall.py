"""``VkWallCollector``: posts, comments and threads of a community or user wall, incrementally.

One crawl of a wall is two phases, both resumable from the cursor of any batch:

1. **Scan** ``wall.get`` newest first (100 per page, offset paging) until a post that is
   both already known (id ≤ ``max_post_id``) and older than the re-scan window. Pinned
   posts sit on top whatever their age, so they never stop the scan. Posts inside the
   window are yielded again: that is how edits (``edited``) and new counters reach the
   store. Window posts that VK no longer lists are looked up with ``wall.getById`` and
   yielded as deleted. A source with a longer comment window (``crawlers.comment_window``:
   official pages, 30 days by default) is scanned back to that horizon; its older known
   posts are yielded again (and their comments queued) only when ``comments.count`` changed.
   The pinned post is yielded on every pass, whatever its age, and a post pinned on the last
   pass that no longer is is re-read with ``wall.getById``, so an un-pin reaches the store.
2. **Comments** of every new post, and of window posts whose comment count changed (or
   that are younger than ``comments_recheck``, to catch edits and likes), with
   ``wall.getComments`` (``sort=asc``, ``start_comment_id`` paging) and each thread in full.

The cursor is plain JSON::

    {"version": 1, "max_post_id": 1234, "window": {"1234": [date, comments], ...},
     "scan": null | {"stop_at", "offset", "lo", "hi", "top", "pinned_done", "window"},
     "queue": [post ids whose comments are due], "comments_after": null | comment id,
     "comment_ids": {"1234": {"<comment id>": date, ...}, ...}, "pass": {"<comment id>": date, ...},
     "resolved": null | {"target": "kingisepp_adm", "owner_id": -123},
     "pinned": {"1234": date, ...}}

``comment_ids`` are the comments (threads included) last seen under each window post, and
``pass`` those seen so far by the comment pass in progress. A comment that was there and is
missing when a pass has read a post's whole comment tree again was deleted without VK's
``deleted`` placeholder (VK keeps the placeholder only while the comment has replies): it
is yielded as a deleted comment. A pass cut short (an error, closed comments) marks nothing.

``source.target`` may be a screen name or a vk.com link (``crawlers.vk.resolve``); the
resolved owner id is kept in ``resolved`` so later crawls do not ask again.

A scan interrupted mid-way resumes a few items before its offset and skips ids it has
already yielded (``lo``..``hi``), so posts that arrive or vanish meanwhile shift nothing
out of reach.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlers.base import BadRequest, Batch, SourceUnavailable
from crawlers.comment_window import CommentWindows
from crawlers.vk.client import VkClient
from crawlers.vk.convert import (
    comment_to_post,
    comment_tombstone,
    raw_payload,
    tombstone,
    wall_item_to_records,
)
from crawlers.vk.execute import ApiCall, CallResult, Executor
from crawlers.vk.resolve import ScreenNameResolver, parse_target
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, RawPayload
from infopole.domain.source import Source, SourceKind

log = logging.getLogger(__name__)

CURSOR_VERSION = 1


@dataclass(frozen=True)
class WallCrawlConfig:
    """How deep and how often a wall is read; defaults suit a district's dozen walls at 3 req/s."""

    page_size: int = 100  # wall.get cap
    comments_page_size: int = 100  # wall.getComments cap
    thread_items_count: int = 10  # replies embedded per top comment (VK max); longer threads are paged
    rescan_window: timedelta = timedelta(days=3)  # posts this young are re-read on every crawl
    comments_recheck: timedelta = timedelta(days=1)  # their comments too, even if the count is unchanged
    backfill: timedelta = timedelta(days=14)  # how far back a first crawl (or a long outage) reaches
    resume_overlap: int = 10  # items re-read before the stored offset when a scan resumes
    execute_batch: int = 25  # first comment pages of this many posts per ``execute`` request; 1: none
    # older posts whose comments are still watched (official pages: 30 days)
    comment_windows: CommentWindows = field(default_factory=CommentWindows)


@dataclass
class _Cursor:
    max_post_id: int = 0
    window: dict[str, list[int]] = field(default_factory=dict)
    scan: dict[str, Any] | None = None
    queue: list[int] = field(default_factory=list)
    comments_after: int | None = None
    comment_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    seen_in_pass: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, Any] | None = None
    pinned: dict[str, int] = field(default_factory=dict)  # post id → date, pinned on the last pass

    @classmethod
    def load(cls, data: Mapping[str, Any] | None) -> _Cursor:
        if not data:
            return cls()
        if data.get("version") != CURSOR_VERSION:
            raise ValueError(f"unknown VK wall cursor version {data.get('version')!r}")
        return cls(
            max_post_id=int(data.get("max_post_id") or 0),
            window={str(k): [int(v[0]), int(v[1])] for k, v in (data.get("window") or {}).items()},
            scan=dict(data["scan"]) if data.get("scan") else None,
            queue=[int(post_id) for post_id in data.get("queue") or ()],
            comments_after=data.get("comments_after"),
            comment_ids={
                str(post): {str(c): int(d) for c, d in ids.items()}
                for post, ids in (data.get("comment_ids") or {}).items()
            },
            seen_in_pass={str(c): int(d) for c, d in (data.get("pass") or {}).items()},
            resolved=dict(data["resolved"]) if data.get("resolved") else None,
            pinned={str(k): int(v) for k, v in (data.get("pinned") or {}).items()},
        )

    def dump(self) -> dict[str, Any]:
        return {
            "version": CURSOR_VERSION,
            "max_post_id": self.max_post_id,
            "window": {k: list(v) for k, v in self.window.items()},
            "scan": _copy(self.scan) if self.scan is not None else None,
            "queue": list(self.queue),
            "comments_after": self.comments_after,
            "comment_ids": {post: dict(ids) for post, ids in self.comment_ids.items()},
            "pass": dict(self.seen_in_pass),
            "resolved": dict(self.resolved) if self.resolved else None,
            "pinned": dict(self.pinned),
        }


def _copy(scan: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in scan.items()}


class VkWallCollector:
    """Collects ``SourceKind.VK_WALL`` sources; ``source.target`` is the owner id (negative: community)."""

    platform = Platform.VK

    def __init__(
        self,
        client: VkClient,
        *,
        salt: str,
        config: WallCrawlConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.salt = salt
        self.config = config or WallCrawlConfig()
        self.clock = clock
        self.executor = Executor(client, batch_size=self.config.execute_batch)
        self.resolver = ScreenNameResolver(client)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, client: VkClient | None = None, config: WallCrawlConfig | None = None
    ) -> VkWallCollector:
        return cls(
            client or VkClient.from_settings(settings),
            salt=settings.author_salt.get_secret_value(),
            config=config,
        )

    def collect(self, source: Source, cursor: Mapping[str, Any] | None) -> Iterator[Batch]:
        if source.kind is not SourceKind.VK_WALL:
            raise ValueError(f"VkWallCollector cannot collect a {source.kind.value} source")
        state = _Cursor.load(cursor)
        owner_id = self._owner_id(source, state)
        if state.scan is None and not state.queue:
            state.scan = {
                "stop_at": state.max_post_id,
                "offset": 0,
                "lo": None,
                "hi": None,
                "top": state.max_post_id,
                "pinned_done": False,
                "window": {},
                "pinned": {},
            }
        try:
            if state.scan is not None:
                yield from self._scan(source, owner_id, state)
            yield from self._comments(source, owner_id, state)
        except SourceUnavailable as exc:
            exc.source_id = source.id
            raise

    def _owner_id(self, source: Source, state: _Cursor) -> int:
        """The wall's owner id: from the target itself, the cursor, or ``utils.resolveScreenName``."""
        resolved = state.resolved
        if resolved and resolved.get("target") == source.target:
            return int(resolved["owner_id"])
        try:
            owner_id = self.resolver.owner_id(source.target)
        except ValueError as exc:
            raise SourceUnavailable(f"source {source.id}: {exc}", source_id=source.id) from None
        except SourceUnavailable as exc:
            exc.source_id = source.id
            raise
        if not isinstance(parse_target(source.target), int):
            state.resolved = {"target": source.target, "owner_id": owner_id}
        return owner_id

    # ------------------------------------------------------------------ phase 1: the wall

    def _scan(self, source: Source, owner_id: int, state: _Cursor) -> Iterator[Batch]:
        assert state.scan is not None
        scan = state.scan
        now = self.clock()
        window_start = int((now - self.config.rescan_window).timestamp())
        horizon_start = min(
            window_start, int((now - self.config.comment_windows.for_source(source)).timestamp())
        )
        recheck_start = int((now - self.config.comments_recheck).timestamp())
        backfill_start = int((now - self.config.backfill).timestamp())
        stop_at = int(scan["stop_at"])
        offset = max(0, int(scan["offset"]) - self.config.resume_overlap) if scan["lo"] is not None else 0
        queued = set(state.queue)
        while True:
            response = self.client.call(
                "wall.get", owner_id=owner_id, offset=offset, count=self.config.page_size
            )
            items = response.get("items") or []
            fetched_at = self.clock()
            posts: list[Post] = []
            raws: list[RawPayload] = []
            done = not items
            for item in items:
                post_id, date, pinned = (
                    int(item["id"]),
                    int(item.get("date") or 0),
                    bool(item.get("is_pinned")),
                )
                comments = int((item.get("comments") or {}).get("count") or 0)
                known = state.window.get(str(post_id))
                changed = known is not None and known[1] != comments
                if pinned:
                    # on top whatever its age: never stops the scan, and yielded on every pass so
                    # the stored pin stays current (``_vanished`` re-reads a post un-pinned since)
                    if scan["pinned_done"]:
                        continue
                    scan["pinned_done"] = True
                    scan.setdefault("pinned", {})[str(post_id)] = date
                    scan["window"][str(post_id)] = [date, comments]  # residents ask under it whatever its age
                else:
                    if scan["lo"] is not None and scan["lo"] <= post_id <= scan["hi"]:
                        continue  # yielded before the scan was interrupted
                    old = date < window_start
                    if old and date < horizon_start and (post_id <= stop_at or date < backfill_start):
                        done = True
                        break
                    if old and date < backfill_start and post_id > stop_at:
                        continue  # never seen and older than the backfill: out of reach, as ever
                    scan["lo"] = post_id if scan["lo"] is None else min(scan["lo"], post_id)
                    scan["hi"] = post_id if scan["hi"] is None else max(scan["hi"], post_id)
                    if old and post_id <= stop_at:
                        # a known post past the re-scan window, inside the comment window
                        scan["window"][str(post_id)] = [date, comments]
                        if not changed:
                            continue
                new_posts, new_raws = wall_item_to_records(
                    item, source_id=source.id, salt=self.salt, fetched_at=fetched_at
                )
                posts += new_posts
                raws += new_raws
                scan["top"] = max(int(scan["top"]), post_id)
                if date >= horizon_start:
                    scan["window"][str(post_id)] = [date, comments]
                due = post_id > stop_at or date >= recheck_start or changed
                had_comments = bool(state.comment_ids.get(str(post_id)))  # all of them may be gone now
                if (comments or had_comments) and due and post_id not in queued:
                    state.queue.append(post_id)
                    queued.add(post_id)
            offset += len(items)
            if offset >= int(response.get("count") or 0):
                done = True
            scan["offset"] = offset
            if done:
                gone_posts, gone_raws = self._vanished(source, owner_id, state, horizon_start, fetched_at)
                posts += gone_posts
                raws += gone_raws
                state.max_post_id = max(stop_at, int(scan["top"]))
                state.window = scan["window"]
                state.pinned = dict(scan.get("pinned") or {})
                kept = set(state.window) | {str(post_id) for post_id in state.queue}
                state.comment_ids = {k: v for k, v in state.comment_ids.items() if k in kept}
                state.scan = None
            yield Batch(source.id, tuple(posts), tuple(raws), state.dump())
            if done:
                return

    def _vanished(
        self, source: Source, owner_id: int, state: _Cursor, window_start: int, fetched_at: datetime
    ) -> tuple[list[Post], list[RawPayload]]:
        """Window posts the scan did not see again: deleted (tombstones) or, rarely, just moved;
        and posts pinned on the last pass that are not pinned now (their ``is_pinned`` is stale)."""
        assert state.scan is not None
        seen = state.scan["window"]
        missing = {int(k): v for k, v in state.window.items() if k not in seen and v[0] >= window_start}
        pinned_now = state.scan.get("pinned") or {}
        for k, date in state.pinned.items():
            if k not in pinned_now and not (k in seen and seen[k][0] >= window_start):
                missing.setdefault(int(k), [date, 0])
        posts: list[Post] = []
        raws: list[RawPayload] = []
        ids = sorted(missing)
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            response = self.client.call("wall.getById", posts=[f"{owner_id}_{post_id}" for post_id in chunk])
            items = response.get("items", []) if isinstance(response, Mapping) else response
            found = {
                int(item["id"]): item for item in items if int(item.get("owner_id", owner_id)) == owner_id
            }
            for post_id in chunk:
                item = found.get(post_id)
                if item is None:
                    published = datetime.fromtimestamp(missing[post_id][0], tz=UTC)
                    posts.append(tombstone(owner_id, post_id, published, source_id=source.id))
                    continue
                item_posts, item_raws = wall_item_to_records(
                    item, source_id=source.id, salt=self.salt, fetched_at=fetched_at
                )
                posts += item_posts
                raws += item_raws
                if not item.get("is_deleted"):
                    comments = int((item.get("comments") or {}).get("count") or 0)
                    seen[str(post_id)] = [int(item.get("date") or missing[post_id][0]), comments]
        if posts:
            log.info("VK %s: %d window posts changed or deleted", source.id, len(posts))
        return posts, raws

    # ------------------------------------------------------------------ phase 2: comments

    def _comments(self, source: Source, owner_id: int, state: _Cursor) -> Iterator[Batch]:
        prefetched: dict[int, CallResult] = {}
        while state.queue:
            post_id = state.queue[0]
            if state.comments_after is None:
                state.seen_in_pass = {}  # a fresh pass over this post's comments
            if not prefetched and state.comments_after is None and len(state.queue) > 1:
                prefetched = self._first_pages(owner_id, state.queue[: self.executor.batch_size])
            first = prefetched.pop(post_id, None)
            try:
                if first is not None and first.error is not None:
                    raise first.error
                for posts, raws, last_id, finished in self._comment_pages(
                    source, owner_id, post_id, state.comments_after, first=first.response if first else None
                ):
                    state.seen_in_pass.update(
                        (post.post_id, int(post.published_at.timestamp())) for post in posts
                    )
                    if finished:
                        posts += self._vanished_comments(source, owner_id, post_id, state)
                        state.queue.pop(0)
                        state.comments_after = None
                    else:
                        state.comments_after = last_id
                    yield Batch(source.id, tuple(posts), tuple(raws), state.dump())
            except (SourceUnavailable, BadRequest) as exc:
                # 212: comments closed on this post; 100: the post vanished since the scan.
                # Both concern one post only, so skip it; anything else is the whole source's problem.
                if exc.code not in (212, 100):
                    raise
                log.info("VK %s: comments of post %s skipped (VK error %s)", source.id, post_id, exc.code)
                state.queue.pop(0)
                state.comments_after = None
                state.seen_in_pass = {}  # a pass cut short proves nothing about what is gone
                yield Batch(source.id, (), (), state.dump())

    def _vanished_comments(self, source: Source, owner_id: int, post_id: int, state: _Cursor) -> list[Post]:
        """Comments seen under ``post_id`` before that the finished pass did not see: deleted.

        Called only when the pass has read the post's whole comment tree, threads included.
        """
        before = state.comment_ids.get(str(post_id), {})
        seen, state.seen_in_pass = state.seen_in_pass, {}
        state.comment_ids[str(post_id)] = seen
        gone = [
            comment_tombstone(
                owner_id,
                post_id,
                int(comment_id),
                datetime.fromtimestamp(date, tz=UTC),
                source_id=source.id,
            )
            for comment_id, date in sorted(before.items(), key=lambda item: int(item[0]))
            if comment_id not in seen
        ]
        if gone:
            log.info("VK %s: %d comments under post %s deleted", source.id, len(gone), post_id)
        return gone

    def _first_pages(self, owner_id: int, post_ids: list[int]) -> dict[int, CallResult]:
        """The first comment page of each post, up to 25 posts per ``execute`` request.

        Only the cursor's queue decides what is stored, so a crash loses nothing fetched
        here: the posts not yet yielded are still queued and are fetched again.
        """
        if self.executor.batch_size <= 1:
            return {}
        calls = [ApiCall("wall.getComments", self._comments_params(owner_id, p, None)) for p in post_ids]
        return dict(zip(post_ids, self.executor.run(calls), strict=True))

    def _comments_params(self, owner_id: int, post_id: int, after: int | None) -> dict[str, Any]:
        return {
            "owner_id": owner_id,
            "post_id": post_id,
            "count": self.config.comments_page_size,
            "sort": "asc",
            "need_likes": True,
            "thread_items_count": self.config.thread_items_count,
            "start_comment_id": after,
        }

    def _comment_pages(
        self,
        source: Source,
        owner_id: int,
        post_id: int,
        after: int | None,
        *,
        first: Mapping[str, Any] | None = None,
    ) -> Iterator[tuple[list[Post], list[RawPayload], int | None, bool]]:
        """Pages of top-level comments with their complete threads; ``after`` is the last one stored.

        ``first``: the first page, already fetched (by ``execute``) with the same parameters.
        """
        page_size = self.config.comments_page_size
        while True:
            if first is not None:
                response, first = first, None
            else:
                response = self.client.call(
                    "wall.getComments", **self._comments_params(owner_id, post_id, after)
                )
            items = response.get("items") or []
            fresh = [item for item in items if after is None or int(item["id"]) != after]
            fetched_at = self.clock()
            posts: list[Post] = []
            raws: list[RawPayload] = []
            for item in fresh:
                self._add_comment(source, owner_id, post_id, item, fetched_at, posts, raws)
                thread = item.get("thread") or {}
                replies = thread.get("items") or []
                if int(thread.get("count") or 0) > len(replies):
                    replies = self._thread(owner_id, post_id, int(item["id"]))
                for reply in replies:
                    self._add_comment(source, owner_id, post_id, reply, fetched_at, posts, raws)
            finished = len(items) < page_size or not fresh
            last_id = int(fresh[-1]["id"]) if fresh else after
            yield posts, raws, last_id, finished
            if finished:
                return
            after = last_id

    def _thread(self, owner_id: int, post_id: int, comment_id: int) -> list[dict[str, Any]]:
        """Every reply under one top-level comment, paged with ``start_comment_id``."""
        replies: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            response = self.client.call(
                "wall.getComments",
                owner_id=owner_id,
                post_id=post_id,
                comment_id=comment_id,
                count=self.config.comments_page_size,
                sort="asc",
                need_likes=True,
                start_comment_id=after,
            )
            items = response.get("items") or []
            fresh = [item for item in items if after is None or int(item["id"]) != after]
            replies += fresh
            if len(items) < self.config.comments_page_size or not fresh:
                return replies
            after = int(fresh[-1]["id"])

    def _add_comment(
        self,
        source: Source,
        owner_id: int,
        post_id: int,
        item: Mapping[str, Any],
        fetched_at: datetime,
        posts: list[Post],
        raws: list[RawPayload],
    ) -> None:
        post = comment_to_post(item, owner_id=owner_id, post_id=post_id, source_id=source.id, salt=self.salt)
        posts.append(post)
        raws.append(raw_payload(post, item, fetched_at))
