"""The post store: idempotent writes of crawled posts, their revisions, raw payloads and cursors.

A post crawled twice is one row; a changed text (or a deletion) is a new revision; changed
counters just update the row. A batch's posts and its cursor are committed together, so a
crawl that dies mid-way resumes from the last saved cursor with nothing lost or duplicated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from infopole.domain.analysis import Analysis
from infopole.domain.post import Attachment, Geo, Metrics, Post, RawPayload
from infopole.domain.spread import Spread
from infopole.storage.db import Database
from infopole.storage.tables import (
    AnalysisRow,
    PostRevisionRow,
    PostRow,
    RawPayloadRow,
    SourceState,
    SubscriberCountRow,
)


@dataclass
class SaveReport:
    new: int = 0
    edited: int = 0
    deleted: int = 0
    unchanged: int = 0
    new_keys: list[str] = field(default_factory=list)

    def add(self, other: SaveReport) -> None:
        self.new += other.new
        self.edited += other.edited
        self.deleted += other.deleted
        self.unchanged += other.unchanged
        self.new_keys.extend(other.new_keys)

    @property
    def total(self) -> int:
        return self.new + self.edited + self.deleted + self.unchanged


@dataclass
class CasesBatch:
    """Analysed posts awaiting the cases step, and when each analysis was written."""

    pairs: list[tuple[Post, Analysis]] = field(default_factory=list)
    written: dict[str, datetime] = field(default_factory=dict)


class PostStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- crawling -------------------------------------------------------------------------

    def save_batch(
        self,
        posts: Sequence[Post],
        raw: Sequence[RawPayload],
        now: datetime,
        source_id: str | None = None,
        cursor: Mapping[str, Any] | None = None,
    ) -> SaveReport:
        report = SaveReport()
        with self.db.session() as session:
            for post in _last_per_key(posts):
                _upsert_post(session, post, now, report)
            for payload in raw:
                _insert_raw(session, payload)
            if source_id is not None:
                state = session.get(SourceState, source_id) or SourceState(source_id=source_id)
                if cursor is not None:
                    state.cursor = dict(cursor)
                state.last_run_at = now
                state.last_success_at = now
                state.items_total = (state.items_total or 0) + report.new
                if posts:
                    newest = max(post.published_at for post in posts)
                    if state.last_item_at is None or newest > state.last_item_at:
                        state.last_item_at = newest
                session.add(state)
        return report

    def record_failure(self, source_id: str, now: datetime, error: str) -> None:
        with self.db.session() as session:
            state = session.get(SourceState, source_id) or SourceState(source_id=source_id)
            state.last_run_at = now
            state.last_error_at = now
            state.last_error = error[:2000]
            state.error_count = (state.error_count or 0) + 1
            session.add(state)

    def cursor(self, source_id: str) -> dict[str, Any] | None:
        with self.db.session() as session:
            state = session.get(SourceState, source_id)
            return dict(state.cursor) if state and state.cursor else None

    def source_states(self) -> list[SourceState]:
        with self.db.session() as session:
            return list(session.scalars(select(SourceState).order_by(SourceState.source_id)))

    # --- reading --------------------------------------------------------------------------

    def get(self, key: str) -> Post | None:
        with self.db.session() as session:
            row = session.get(PostRow, key)
            return _to_post(row) if row else None

    def count(self) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(PostRow)) or 0)

    def revisions(self, key: str) -> list[PostRevisionRow]:
        with self.db.session() as session:
            query = select(PostRevisionRow).where(PostRevisionRow.post_key == key)
            return list(session.scalars(query.order_by(PostRevisionRow.revision)))

    def raw_payloads(self, key: str) -> list[dict[str, Any]]:
        with self.db.session() as session:
            query = select(RawPayloadRow.payload).where(RawPayloadRow.item_key == key)
            return list(session.scalars(query.order_by(RawPayloadRow.id)))

    # --- analysis and indexing ------------------------------------------------------------

    def posts_to_analyse(self, limit: int = 1000) -> list[Post]:
        """Posts never analysed, or whose text changed since the last analysis."""
        with self.db.session() as session:
            query = (
                select(PostRow)
                .outerjoin(AnalysisRow, AnalysisRow.post_key == PostRow.key)
                .where((AnalysisRow.post_key.is_(None)) | (AnalysisRow.content_hash != PostRow.content_hash))
                .order_by(PostRow.published_at, PostRow.key)
                .limit(limit)
            )
            return [_to_post(row) for row in session.scalars(query)]

    def spreads(self, keys: Iterable[str]) -> dict[str, Spread]:
        """For the risk score, in one query: when each post's counters were read (``last_seen_at``,
        written with them by every crawl) and the latest audience of its source (``subscriber_counts``,
        0 when never counted). A search source has no audience: its posts live on other walls."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        audience = (
            select(SubscriberCountRow.count)
            .where(SubscriberCountRow.source_id == PostRow.source_id)
            .order_by(SubscriberCountRow.day.desc())
            .limit(1)
            .correlate(PostRow)
            .scalar_subquery()
        )
        query = select(PostRow.key, PostRow.last_seen_at, audience).where(PostRow.key.in_(wanted))
        with self.db.session() as session:
            return {
                key: Spread(observed_at=seen, audience=int(count or 0))
                for key, seen, count in session.execute(query)
            }

    def parents(self, posts: Iterable[Post]) -> dict[str, Post]:
        """The stored posts the comments among ``posts`` answer, by key: the analyzer reads a comment
        under its post (``nlp.thread``). A post not crawled (yet) is simply missing."""
        with self.db.session() as session:
            return posts_by_key(session, (post.parent_key for post in posts if post.parent_key))

    def save_analyses(self, pairs: Iterable[tuple[Post, Analysis]], now: datetime) -> int:
        count = 0
        with self.db.session() as session:
            for post, analysis in pairs:
                row = session.get(AnalysisRow, post.key) or AnalysisRow(post_key=post.key)
                row.content_hash = post.content_hash
                row.model_id = analysis.model_id
                row.analysed_at = now
                row.block = analysis.block
                row.sentiment = analysis.sentiment
                row.is_incident = analysis.is_incident
                row.incident_score = analysis.incident_score
                row.risk_score = analysis.risk_score
                row.settlement = analysis.settlement
                row.result = analysis.to_json()
                row.indexed = False
                row.cases_taken = False
                session.add(row)
                count += 1
        return count

    def analysed(
        self, keys: Sequence[str] | None = None, limit: int | None = None
    ) -> list[tuple[Post, Analysis]]:
        with self.db.session() as session:
            query = select(PostRow, AnalysisRow).join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
            if keys is not None:
                query = query.where(PostRow.key.in_(list(keys)))
            query = query.order_by(PostRow.published_at.desc(), PostRow.key)
            if limit is not None:
                query = query.limit(limit)
            return [(_to_post(p), Analysis.from_json(a.result)) for p, a in session.execute(query)]

    def awaiting_cases(self, limit: int = 5000) -> CasesBatch:
        """Analyses the cases step has not taken yet, oldest publication first (posts before their
        comments), with the moment each was written, for ``cases_taken``."""
        with self.db.session() as session:
            query = (
                select(PostRow, AnalysisRow)
                .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
                .where(AnalysisRow.cases_taken.is_(False))
                .order_by(PostRow.published_at, PostRow.key)
                .limit(limit)
            )
            batch = CasesBatch()
            for p, a in session.execute(query):
                batch.pairs.append((_to_post(p), Analysis.from_json(a.result)))
                batch.written[p.key] = a.analysed_at
            return batch

    def cases_taken(self, batch: CasesBatch) -> None:
        """Mark the batch's analyses taken by the cases step; one rewritten since it was read keeps
        waiting (its ``analysed_at`` differs), so a re-analysis is never skipped."""
        if not batch.written:
            return
        table = cast(Table, AnalysisRow.__table__)  # Core: an executemany by key and time, no ORM bulk
        statement = (
            update(table)
            .where(
                table.c.post_key == bindparam("taken_key"),
                table.c.analysed_at == bindparam("taken_at", type_=table.c.analysed_at.type),
            )
            .values(cases_taken=True)
        )
        with self.db.session() as session:
            session.connection().execute(
                statement, [{"taken_key": k, "taken_at": at} for k, at in batch.written.items()]
            )

    def to_index(self, limit: int = 1000) -> list[tuple[Post, Analysis]]:
        """Analysed posts whose latest state has not reached the index yet."""
        with self.db.session() as session:
            query = (
                select(PostRow, AnalysisRow)
                .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
                .where(AnalysisRow.indexed.is_(False), AnalysisRow.content_hash == PostRow.content_hash)
                .order_by(PostRow.published_at, PostRow.key)
                .limit(limit)
            )
            return [(_to_post(p), Analysis.from_json(a.result)) for p, a in session.execute(query)]

    def mark_indexed(self, keys: Iterable[str]) -> None:
        with self.db.session() as session:
            for key in keys:
                row = session.get(AnalysisRow, key)
                if row is not None:
                    row.indexed = True


def _last_per_key(posts: Sequence[Post]) -> list[Post]:
    by_key: dict[str, Post] = {}
    for post in posts:
        by_key[post.key] = post
    return list(by_key.values())


def _upsert_post(session: Session, post: Post, now: datetime, report: SaveReport) -> None:
    row = session.get(PostRow, post.key)
    if row is None:
        row = PostRow(key=post.key, first_seen_at=now, revision=1)
        _fill(row, post, now)
        session.add(row)
        session.flush()  # the revision's foreign key needs the post row first
        session.add(_revision(post, 1, now))
        report.new += 1
        report.new_keys.append(post.key)
        return
    if post.is_deleted and not post.text and not post.title:
        # platforms return an empty tombstone for a deleted item: keep what the resident wrote
        post = post.with_(text=row.text, title=row.title)
    changed = row.content_hash != post.content_hash
    was_deleted = row.is_deleted
    _fill(row, post, now)
    if not changed:
        report.unchanged += 1
        return
    row.revision += 1
    session.add(_revision(post, row.revision, now))
    if post.is_deleted and not was_deleted:
        report.deleted += 1
    else:
        report.edited += 1


def _fill(row: PostRow, post: Post, now: datetime) -> None:
    row.platform = post.platform.value
    row.owner_id = post.owner_id
    row.post_id = post.post_id
    row.kind = post.kind.value
    row.source_id = post.source_id or row.source_id or ""
    row.url = post.url
    row.title = post.title
    row.text = post.text
    row.author_id = post.author_id
    row.author_is_community = post.author_is_community
    row.parent_key = post.parent_key
    row.reply_to_key = post.reply_to_key
    row.copy_of_key = post.copy_of_key
    row.published_at = post.published_at
    row.edited_at = post.edited_at
    row.is_deleted = post.is_deleted
    row.is_pinned = post.is_pinned
    row.likes = post.metrics.likes
    row.reposts = post.metrics.reposts
    row.views = post.metrics.views
    row.comments = post.metrics.comments
    row.lat = post.geo.lat if post.geo else None
    row.lon = post.geo.lon if post.geo else None
    row.attachments = [{"kind": a.kind, "url": a.url, "title": a.title} for a in post.attachments]
    row.content_hash = post.content_hash
    row.last_seen_at = now


def _revision(post: Post, revision: int, now: datetime) -> PostRevisionRow:
    return PostRevisionRow(
        post_key=post.key,
        revision=revision,
        content_hash=post.content_hash,
        title=post.title,
        text=post.text,
        is_deleted=post.is_deleted,
        edited_at=post.edited_at,
        seen_at=now,
    )


def _insert_raw(session: Session, payload: RawPayload) -> None:
    digest = hashlib.sha256(payload.payload_json().encode()).hexdigest()[:32]
    exists = session.scalar(
        select(RawPayloadRow.id).where(
            RawPayloadRow.item_key == payload.item_key, RawPayloadRow.payload_hash == digest
        )
    )
    if exists is None:
        session.add(
            RawPayloadRow(
                platform=payload.platform.value,
                source_id=payload.source_id,
                item_key=payload.item_key,
                payload_hash=digest,
                fetched_at=payload.fetched_at,
                payload=json.loads(payload.payload_json()),
            )
        )
        session.flush()


def posts_by_key(session: Session, keys: Iterable[str]) -> dict[str, Post]:
    """The stored posts among ``keys``, by key, in queries of at most 1,000 keys; missing keys absent."""
    wanted = sorted(set(keys))
    found: dict[str, Post] = {}
    for start in range(0, len(wanted), 1000):
        query = select(PostRow).where(PostRow.key.in_(wanted[start : start + 1000]))
        found.update((row.key, _to_post(row)) for row in session.scalars(query))
    return found


def _to_post(row: PostRow) -> Post:
    return Post(
        platform=row.platform,  # type: ignore[arg-type]
        owner_id=row.owner_id,
        post_id=row.post_id,
        text=row.text,
        published_at=row.published_at,
        kind=row.kind,  # type: ignore[arg-type]
        source_id=row.source_id,
        url=row.url,
        title=row.title,
        author_id=row.author_id,
        author_is_community=row.author_is_community,
        parent_key=row.parent_key,
        reply_to_key=row.reply_to_key,
        copy_of_key=row.copy_of_key,
        edited_at=row.edited_at,
        is_deleted=row.is_deleted,
        is_pinned=row.is_pinned,
        metrics=Metrics(row.likes, row.reposts, row.views, row.comments),
        geo=Geo(row.lat, row.lon) if row.lat is not None and row.lon is not None else None,
        attachments=tuple(Attachment(**item) for item in row.attachments or ()),
    )
