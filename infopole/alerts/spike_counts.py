"""The spike rule's history counted in the database, not in Python.

The rule compares the current window with the same hours of the week one, two… weeks back
(``rules.baseline``). Reading every analysed post of those weeks into memory to count them
does not scale (a busy district has tens of thousands), so each (metric, dimension) is one
``GROUP BY`` with one ``SUM(CASE …)`` per window: the database returns a handful of rows, and
the counts are exactly those ``rules.spike.spike_counts`` computes from posts in memory
(the same half-open windows, deleted posts left out, empty values skipped). Plain SQL
expressions only, so SQLite and PostgreSQL give the same answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select

from infopole.alerts.rules.baseline import window_starts
from infopole.alerts.rules.spike import SeriesKey
from infopole.config.municipality import SpikeRule
from infopole.storage.db import Database
from infopole.storage.tables import AnalysisRow, PostRow

METRIC_CONDITIONS: dict[str, ColumnElement[bool]] = {
    "negative": AnalysisRow.sentiment == "negative",
    "incidents": AnalysisRow.is_incident.is_(True),
}
DIMENSION_COLUMNS = {
    "block": AnalysisRow.block,
    "settlement": AnalysisRow.settlement,
    "source_id": PostRow.source_id,
}


def spike_counts_sql(db: Database, rule: SpikeRule, now: datetime) -> dict[SeriesKey, tuple[int, ...]]:
    window = timedelta(hours=rule.window_hours)
    starts = window_starts(now, window, rule.history_weeks)
    published = PostRow.published_at
    sums = [
        func.sum(case((and_(published >= start, published < start + window), 1), else_=0)) for start in starts
    ]
    counts: dict[SeriesKey, tuple[int, ...]] = {}
    with db.session() as session:
        for metric, condition in METRIC_CONDITIONS.items():
            for dimension, column in DIMENSION_COLUMNS.items():
                query = (
                    select(column, *sums)
                    .select_from(PostRow)
                    .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
                    .where(
                        condition,
                        PostRow.is_deleted.is_(False),
                        column.is_not(None),
                        column != "",
                        published >= starts[-1],
                        published < now,
                    )
                    .group_by(column)
                )
                for value, *row in session.execute(query):
                    counts[(metric, dimension, str(value))] = tuple(int(n or 0) for n in row)
    return counts
