"""What the pipeline still has to do and how far behind it is, read from the database.

These are the numbers behind backpressure (analysis waits while the index backlog is full) and
behind the Prometheus metrics. They come from the database, not from process memory, so every
process — a flow run, a worker on another machine, the dashboard — sees the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Integer, and_, cast, func, or_, select, update

from infopole.domain.lifecycle import IncidentStatus
from infopole.storage.db import Database
from infopole.storage.tables import AnalysisRow, IncidentRow, PostRow, SourceState

LAG_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 24 * 3600.0, 3 * 86400.0)


@dataclass
class QueueSizes:
    pending_analyse: int
    pending_index: int
    oldest_pending_analyse: datetime | None
    oldest_pending_index: datetime | None


@dataclass
class SourceFigures:
    stored: int = 0
    analysed: int = 0
    indexed: int = 0
    collected_total: int = 0
    errors_total: int = 0
    last_success_at: datetime | None = None


@dataclass
class LagHistogram:
    """Publication → analysis-and-index, for posts that reached the index in the last ``since``."""

    buckets: list[tuple[float, int]] = field(default_factory=list)  # (upper bound s, cumulative count)
    count: int = 0
    sum_seconds: float = 0.0


def _pending_analyse() -> ColumnElement[bool]:
    return or_(AnalysisRow.post_key.is_(None), AnalysisRow.content_hash != PostRow.content_hash)


def _pending_index() -> ColumnElement[bool]:
    return and_(AnalysisRow.indexed.is_(False), AnalysisRow.content_hash == PostRow.content_hash)


def queue_sizes(db: Database) -> QueueSizes:
    with db.session() as session:
        analyse = session.execute(
            select(func.count(), func.min(PostRow.published_at))
            .select_from(PostRow)
            .outerjoin(AnalysisRow, AnalysisRow.post_key == PostRow.key)
            .where(_pending_analyse())
        ).one()
        index = session.execute(
            select(func.count(), func.min(PostRow.published_at))
            .select_from(PostRow)
            .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
            .where(_pending_index())
        ).one()
    return QueueSizes(int(analyse[0]), int(index[0]), _aware(analyse[1]), _aware(index[1]))


def pending_index_count(db: Database) -> int:
    return queue_sizes(db).pending_index


def indexed_keys(db: Database, keys: Iterable[str]) -> list[str]:
    """Those of ``keys`` whose latest analysis has reached the index."""
    wanted = list(keys)
    found: list[str] = []
    with db.session() as session:
        for start in range(0, len(wanted), 500):
            query = select(AnalysisRow.post_key).where(
                AnalysisRow.post_key.in_(wanted[start : start + 500]), AnalysisRow.indexed.is_(True)
            )
            found += session.scalars(query)
    return found


def per_source(db: Database) -> dict[str, SourceFigures]:
    figures: dict[str, SourceFigures] = {}
    with db.session() as session:
        stored = select(PostRow.source_id, func.count()).group_by(PostRow.source_id)
        for source_id, n in session.execute(stored):
            figures.setdefault(source_id, SourceFigures()).stored = int(n)
        analysed = (
            select(PostRow.source_id, func.count(), func.sum(cast(AnalysisRow.indexed, Integer)))
            .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
            .group_by(PostRow.source_id)
        )
        for source_id, n, indexed in session.execute(analysed):
            item = figures.setdefault(source_id, SourceFigures())
            item.analysed = int(n)
            item.indexed = int(indexed or 0)
        for state in session.scalars(select(SourceState)):
            item = figures.setdefault(state.source_id, SourceFigures())
            item.collected_total = int(state.items_total or 0)
            item.errors_total = int(state.error_count or 0)
            item.last_success_at = state.last_success_at
    return figures


def lag_histogram(db: Database, now: datetime, since: timedelta = timedelta(hours=24)) -> LagHistogram:
    """Seconds from publication to analysis for posts analysed since ``now - since`` and indexed
    since (the index step follows analysis within the same schedule tick)."""
    with db.session() as session:
        rows = session.execute(
            select(PostRow.published_at, AnalysisRow.analysed_at)
            .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
            .where(AnalysisRow.indexed.is_(True), AnalysisRow.analysed_at >= now - since)
        ).all()
    lags = sorted(max(0.0, (analysed - published).total_seconds()) for published, analysed in rows)
    histogram = LagHistogram(count=len(lags), sum_seconds=sum(lags))
    position = 0
    for bound in LAG_BUCKETS:
        while position < len(lags) and lags[position] <= bound:
            position += 1
        histogram.buckets.append((bound, position))
    return histogram


def open_cases(db: Database) -> int:
    states = [status.value for status in IncidentStatus if status.is_open]
    with db.session() as session:
        query = select(func.count()).select_from(IncidentRow).where(IncidentRow.status.in_(states))
        return int(session.scalar(query) or 0)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def stale_analyses(db: Database, model_id: str, *, after: str = "", limit: int = 256) -> list[str]:
    """Keys of posts analysed by another model than ``model_id``, in key order after ``after``."""
    with db.session() as session:
        query = (
            select(AnalysisRow.post_key)
            .where(AnalysisRow.model_id != model_id, AnalysisRow.post_key > after)
            .order_by(AnalysisRow.post_key)
            .limit(limit)
        )
        return list(session.scalars(query))


def restore_indexed(db: Database, keys: Iterable[str]) -> None:
    """Mark these analyses as being in the index again (a re-analysis that the rebuild will carry)."""
    wanted = list(keys)
    with db.session() as session:
        for start in range(0, len(wanted), 500):
            session.execute(
                update(AnalysisRow)
                .where(AnalysisRow.post_key.in_(wanted[start : start + 500]))
                .values(indexed=True)
                .execution_options(synchronize_session=False)
            )
