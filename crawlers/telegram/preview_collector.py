"""``TelegramPreviewCollector``: public channels through the t.me/s web preview, without credentials.

Why not run the Scrapy spider here: a ``CrawlerProcess`` owns the Twisted reactor, which
cannot be restarted in one process, so a worker could crawl once and never again, and
tests could run one crawl per session. Scrapy also pushes items to pipelines, while a
``Collector`` must hand the caller one batch per page, cursor included, so each page is
stored in one transaction and a crash resumes mid-channel. Running Scrapy in a
subprocess would give that up or need an IPC protocol for batches and cursors. So the
collector pulls pages itself with ``PreviewFetcher`` (one request at a time, spaced,
backoff on 429 and 5xx: the spider's ``custom_settings`` in plain code) and parses them
with ``crawlers.telegram.preview.parse_page``, the same function the spider's ``parse``
calls. The spider stays for ad-hoc and standalone Scrapy runs; both read pages identically.

One crawl walks the preview newest first, with ``?before=<id>`` paging, until it reaches
posts that are both already stored (id ≤ ``max_id``) and older than the re-scan window,
or the backfill horizon. Posts inside the window are yielded again on every crawl:
that is how edits (the «edited» marker, new text) and new view counts reach the store.
A post id stored from an earlier crawl that falls inside the id range a page covers but
is missing from it was deleted, and is yielded as a tombstone.

The cursor is plain JSON::

    {"version": 1, "max_id": 1234, "known": {"1230": published_unix, ...},
     "scan": null | {"before": id | null, "top": id, "stop_at": id, "pages": n, "seen": {...}}}
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlers.base import Batch, SourceUnavailable
from crawlers.telegram.fetch import PreviewFetcher
from crawlers.telegram.preview import TELEGRAM, channel_name, parse_page, post_url
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, RawPayload
from infopole.domain.source import Source, SourceKind

log = logging.getLogger(__name__)

CURSOR_VERSION = 1


@dataclass(frozen=True)
class PreviewCrawlConfig:
    """How deep a channel is read; t.me/s shows about 20 posts a page."""

    rescan_window: timedelta = timedelta(days=2)  # posts this young are re-read on every crawl
    backfill: timedelta = timedelta(days=14)  # how far back a first crawl reaches
    max_pages: int = 50  # a hard stop per crawl, whatever the dates say


@dataclass
class _Cursor:
    max_id: int = 0
    known: dict[str, int] = field(default_factory=dict)
    scan: dict[str, Any] | None = None

    @classmethod
    def load(cls, data: Mapping[str, Any] | None) -> _Cursor:
        if not data:
            return cls()
        if data.get("version") != CURSOR_VERSION:
            raise ValueError(f"unknown Telegram preview cursor version {data.get('version')!r}")
        scan = data.get("scan")
        return cls(
            max_id=int(data.get("max_id") or 0),
            known={str(k): int(v) for k, v in (data.get("known") or {}).items()},
            scan=dict(scan, seen=dict(scan.get("seen") or {})) if scan else None,
        )

    def dump(self) -> dict[str, Any]:
        scan = dict(self.scan, seen=dict(self.scan["seen"])) if self.scan is not None else None
        return {"version": CURSOR_VERSION, "max_id": self.max_id, "known": dict(self.known), "scan": scan}


class TelegramPreviewCollector:
    """Collects ``SourceKind.TG_CHANNEL`` sources; ``source.target`` is the channel username."""

    platform = Platform.TELEGRAM

    def __init__(
        self,
        fetcher: PreviewFetcher,
        *,
        salt: str,
        config: PreviewCrawlConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.fetcher = fetcher
        self.salt = salt
        self.config = config or PreviewCrawlConfig()
        self.clock = clock

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        fetcher: PreviewFetcher | None = None,
        config: PreviewCrawlConfig | None = None,
    ) -> TelegramPreviewCollector:
        return cls(
            fetcher or PreviewFetcher(settings.telegram_preview_url),
            salt=settings.author_salt.get_secret_value(),
            config=config,
        )

    def collect(self, source: Source, cursor: Mapping[str, Any] | None) -> Iterator[Batch]:
        if source.kind is not SourceKind.TG_CHANNEL:
            raise ValueError(f"TelegramPreviewCollector cannot collect a {source.kind.value} source")
        channel = channel_name(source.target)
        state = _Cursor.load(cursor)
        if state.scan is None:
            state.scan = {
                "before": None,
                "top": state.max_id,
                "stop_at": state.max_id,
                "pages": 0,
                "seen": {},
            }
        try:
            yield from self._scan(source, channel, state)
        except SourceUnavailable as exc:
            exc.source_id = source.id
            raise

    def _scan(self, source: Source, channel: str, state: _Cursor) -> Iterator[Batch]:
        assert state.scan is not None
        scan = state.scan
        now = self.clock()
        window_start = int((now - self.config.rescan_window).timestamp())
        backfill_start = int((now - self.config.backfill).timestamp())
        stop_at = int(scan["stop_at"])
        while True:
            before = scan["before"]
            response = self.fetcher.page(channel, before)
            fetched_at = self.clock()
            page = parse_page(
                response, channel=channel, source_id=source.id, salt=self.salt, fetched_at=fetched_at
            )
            if not page.is_channel:
                raise SourceUnavailable(
                    f"t.me/s/{channel}: no public preview (private, deleted or not a channel)"
                )
            posts: list[Post] = []
            raws: list[RawPayload] = []
            for post, raw in zip(page.posts, page.raw, strict=True):
                message_id, published = int(post.post_id), int(post.published_at.timestamp())
                if message_id <= stop_at and published < window_start:
                    continue  # stored before and no longer re-read
                if published < backfill_start:
                    continue
                posts.append(post)
                raws.append(raw)
                if published >= window_start:
                    scan["seen"][str(message_id)] = published
            lowest = page.lowest_id
            top_of_range = before - 1 if before is not None else None  # the newest page covers all above
            bottom_of_range = lowest if page.before is not None else 0  # the oldest page covers all below
            posts += self._tombstones(source, channel, state, page.ids, bottom_of_range, top_of_range)
            scan["top"] = max(int(scan["top"]), page.highest_id or 0)
            scan["pages"] = int(scan["pages"]) + 1
            scan["before"] = page.before
            oldest = min((int(post.published_at.timestamp()) for post in page.posts), default=None)
            done = (
                page.before is None
                or not page.ids
                or (lowest is not None and lowest <= stop_at and oldest is not None and oldest < window_start)
                or (oldest is not None and oldest < backfill_start)
                or int(scan["pages"]) >= self.config.max_pages
            )
            if done:
                # window posts below the scanned range (max_pages reached) stay known for the next crawl
                floor = lowest or 0
                kept = {k: v for k, v in state.known.items() if int(k) < floor and v >= window_start}
                state.known = {**kept, **scan["seen"]}
                state.max_id = max(stop_at, int(scan["top"]))
                state.scan = None
            yield Batch(source.id, tuple(posts), tuple(raws), state.dump())
            if done:
                return

    def _tombstones(
        self,
        source: Source,
        channel: str,
        state: _Cursor,
        ids: tuple[int, ...],
        low: int | None,
        high: int | None,
    ) -> list[Post]:
        """Known posts whose id the page's range covers but which the page no longer shows."""
        if low is None and high is None:
            return []
        present = set(ids)
        gone: list[Post] = []
        for key, published in sorted(state.known.items(), key=lambda item: int(item[0])):
            message_id = int(key)
            if message_id in present or (low is not None and message_id < low):
                continue
            if high is not None and message_id > high:
                continue
            gone.append(
                Post(
                    platform=TELEGRAM,
                    owner_id=channel,
                    post_id=key,
                    source_id=source.id,
                    url=post_url(channel, message_id),
                    text="",
                    published_at=datetime.fromtimestamp(published, tz=UTC),
                    is_deleted=True,
                )
            )
            del state.known[key]
        if gone:
            log.info("t.me/s/%s: %d posts deleted", channel, len(gone))
        return gone
