"""History: collect a source's posts published between two dates (``infopole backfill``).

A backfill keeps its own cursor, stored as the state of ``<source id>#backfill:<from>:<to>``, so
it never moves the live crawl's cursor, and a backfill that was interrupted resumes where it
stopped when started again with the same dates. Posts go through the same idempotent store as
the live crawl: a post both crawls see is one row.

- **VK walls** are read newest first back to ``from`` (the wall collector's ``backfill`` depth
  set to reach that date); posts newer than ``to`` are not stored, nor are comments under them.
- **Other sources** are read from a fresh cursor as far back as their collector goes on a first
  crawl, and the same date filter applies.

Posts saved are left for the analyse/index/cases flows like any others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from crawlers.base import Collector
from flows import recovery, steps
from infopole.domain.post import Post, PostKind
from infopole.domain.source import Source, SourceKind
from infopole.storage.posts import PostStore

Advance = Callable[[str, int, datetime | None], None]  # (source id, posts stored, oldest date reached)


@dataclass
class BackfillReport:
    saved: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def window(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the municipality's time zone, as UTC."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    since = datetime.combine(start, time(0), zone).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC)
    return since, until


def state_id(source: Source, start: date, end: date) -> str:
    return f"{source.id}#backfill:{start.isoformat()}:{end.isoformat()}"


def collector_for(source: Source, collector: Collector, since: datetime, now: datetime) -> Collector:
    """A VK wall collector that reaches back to ``since``; other collectors as they are."""
    if source.kind is SourceKind.VK_WALL:
        from crawlers.vk.wall import VkWallCollector

        if isinstance(collector, VkWallCollector):
            depth = max(now - since, collector.config.backfill) + timedelta(days=1)
            return VkWallCollector(
                collector.client,
                salt=collector.salt,
                config=replace(collector.config, backfill=depth),
                clock=collector.clock,
            )
    return collector


def backfill_source(
    source: Source,
    collector: Collector,
    store: PostStore,
    since: datetime,
    until: datetime,
    start: date,
    end: date,
    *,
    now: datetime,
    advance: Advance | None = None,
) -> int:
    """Store the posts of ``source`` published in ``[since, until)`` and their comments."""
    state = state_id(source, start, end)
    reader = collector_for(source, collector, since, now)
    saved = 0
    known: dict[str, bool] = {}  # parent key → within the window
    for batch in reader.collect(source, store.cursor(state)):
        kept: list[Post] = []
        for post in batch.posts:
            if post.kind is PostKind.POST or post.parent_key is None:
                inside = since <= post.published_at < until
                known[post.key] = inside
                if inside:
                    kept.append(post)
            elif _parent_inside(post.parent_key, known, store, since, until):
                kept.append(post)
        keys = {post.key for post in kept}
        raw = [payload for payload in batch.raw if payload.item_key in keys]
        store.save_batch(kept, raw, datetime.now(UTC), source_id=state, cursor=batch.cursor)
        saved += len(kept)
        oldest = min((post.published_at for post in batch.posts), default=None)
        if advance is not None:
            advance(source.id, len(kept), oldest)
        recovery.crash_point("backfill", saved)
    return saved


def _parent_inside(
    parent_key: str, known: dict[str, bool], store: PostStore, since: datetime, until: datetime
) -> bool:
    if parent_key not in known:
        parent = store.get(parent_key)
        known[parent_key] = parent is not None and since <= parent.published_at < until
    return known[parent_key]


def backfill(
    sources: list[Source],
    collectors: Mapping[SourceKind, Collector],
    store: PostStore,
    start: date,
    end: date,
    tz: str,
    *,
    now: datetime | None = None,
    advance: Advance | None = None,
) -> BackfillReport:
    from crawlers.base import CollectorError

    now = now or steps.utc_now()
    since, until = window(start, end, tz)
    report = BackfillReport()
    for source in sources:
        collector = collectors.get(source.kind)
        if collector is None:
            report.skipped[source.id] = f"нет настроенного сборщика для {source.kind.value}"
            continue
        try:
            report.saved[source.id] = backfill_source(
                source, collector, store, since, until, start, end, now=now, advance=advance
            )
        except CollectorError as error:
            report.failed[source.id] = f"{type(error).__name__}: {error}"
    return report
