"""``VkSearchCollector``: keyword and geo search over all of VK with ``newsfeed.search``.

VK answers at most 1,000 results per query, whatever the time range. When a window's
``total_count`` is above that cap, the window is split in halves (recursively) until each
half fits, so nothing is silently cut off. Each window is then paged with
``start_from``/``next_from`` (200 per page).

The cursor is plain JSON::

    {"version": 1, "until": unix end of the last finished crawl,
     "crawl_end": unix end of the crawl in progress, "pending": [[start, end], ...],
     "next_from": null | VK's paging token inside pending[-1]}

A crawl covers ``until - overlap`` .. now (``backfill`` on the first crawl); the overlap
catches posts VK indexes late. Comments of search hits are not fetched here: a hit's
community becomes a candidate ``vk_wall`` source instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlers.base import Batch
from crawlers.vk.client import VkClient
from crawlers.vk.convert import wall_item_to_records
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, RawPayload
from infopole.domain.source import Source, SourceKind

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
SEARCH_CAP = 1000


@dataclass(frozen=True)
class SearchCrawlConfig:
    page_size: int = 200  # newsfeed.search cap
    backfill: timedelta = timedelta(days=14)  # the first crawl's reach
    overlap: timedelta = timedelta(minutes=15)  # re-read before the previous end: late indexing
    min_window: timedelta = timedelta(minutes=1)  # never split below this; log instead


class VkSearchCollector:
    """Collects ``SourceKind.VK_SEARCH`` sources (``source.query`` and/or ``source.geo``)."""

    platform = Platform.VK

    def __init__(
        self,
        client: VkClient,
        *,
        salt: str,
        config: SearchCrawlConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.salt = salt
        self.config = config or SearchCrawlConfig()
        self.clock = clock

    @classmethod
    def from_settings(
        cls, settings: Settings, *, client: VkClient | None = None, config: SearchCrawlConfig | None = None
    ) -> VkSearchCollector:
        return cls(
            client or VkClient.from_settings(settings),
            salt=settings.author_salt.get_secret_value(),
            config=config,
        )

    def collect(self, source: Source, cursor: Mapping[str, Any] | None) -> Iterator[Batch]:
        if source.kind is not SourceKind.VK_SEARCH:
            raise ValueError(f"VkSearchCollector cannot collect a {source.kind.value} source")
        state = self._load(cursor)
        if not state["pending"]:
            now = int(self.clock().timestamp())
            if state["until"]:
                start = int(state["until"]) - int(self.config.overlap.total_seconds())
            else:
                start = now - int(self.config.backfill.total_seconds())
            state.update(crawl_end=now, pending=[[start, now]], next_from=None)
        params: dict[str, Any] = {"q": source.query or None, "count": self.config.page_size}
        if source.geo is not None:
            params.update(latitude=source.geo.lat, longitude=source.geo.lon)
        min_window = int(self.config.min_window.total_seconds())

        while state["pending"]:
            start, end = state["pending"][-1]
            response = self.client.call(
                "newsfeed.search", start_time=start, end_time=end, start_from=state["next_from"], **params
            )
            total = int(response.get("total_count") or response.get("count") or 0)
            if state["next_from"] is None and total > SEARCH_CAP:
                if end - start > min_window:
                    middle = (start + end) // 2
                    # newest half on top of the stack, so results come newest first overall
                    state["pending"][-1:] = [[start, middle], [middle + 1, end]]
                    continue
                log.warning(
                    "VK search %s: %d results in %d s exceed the %d cap; the rest is unreachable",
                    source.id,
                    total,
                    end - start,
                    SEARCH_CAP,
                )
            items = response.get("items") or []
            fetched_at = self.clock()
            posts: list[Post] = []
            raws: list[RawPayload] = []
            for item in items:
                item_posts, item_raws = wall_item_to_records(
                    item, source_id=source.id, salt=self.salt, fetched_at=fetched_at
                )
                posts += item_posts
                raws += item_raws
            next_from = response.get("next_from")
            if next_from and items:
                state["next_from"] = str(next_from)
            else:
                state["pending"].pop()
                state["next_from"] = None
            if not state["pending"]:
                state["until"] = state["crawl_end"]
            yield Batch(source.id, tuple(posts), tuple(raws), _dump(state))

    @staticmethod
    def _load(cursor: Mapping[str, Any] | None) -> dict[str, Any]:
        if not cursor:
            return {"version": CURSOR_VERSION, "until": 0, "crawl_end": 0, "pending": [], "next_from": None}
        if cursor.get("version") != CURSOR_VERSION:
            raise ValueError(f"unknown VK search cursor version {cursor.get('version')!r}")
        return _dump(cursor)


def _dump(state: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "version": CURSOR_VERSION,
        "until": int(state.get("until") or 0),
        "crawl_end": int(state.get("crawl_end") or 0),
        "pending": [[int(start), int(end)] for start, end in state.get("pending") or ()],
        "next_from": state.get("next_from"),
    }
