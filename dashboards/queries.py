"""The SQL behind the overview and the queue: counts and one page of rows, never the whole table.

With 100,000 posts and thousands of open cases the pages must not load everything into Python;
these queries use the indexed columns (``opened_at``, ``status``, ``due_at``, ``published_at``)
and the pending deadline the store keeps in ``due_at``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from dashboards.incident_map import CasePlace
from infopole.domain.incident import Incident, IncidentStatus
from infopole.storage.incident_rows import load_incidents
from infopole.storage.tables import AlertRow, AnalysisRow, IncidentRow, PostRow

OPEN = [s.value for s in IncidentStatus if s.is_open]
RISK_THRESHOLD = 0.5


class SlaFilter(StrEnum):
    ANY = ""
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"  # the deadline falls within the next 24 hours
    ON_TIME = "on_time"
    DONE = "done"  # nothing pending


@dataclass(frozen=True, slots=True)
class Figures:
    posts_today: int
    incidents_today: int
    risks_today: int
    open_cases: int
    overdue: int
    due_today: int
    unacknowledged_alerts: int
    week: int
    week_before: int
    days: list[str] = field(default_factory=list)
    incidents_by_day: list[int] = field(default_factory=list)
    posts_by_day: list[int] = field(default_factory=list)

    @property
    def trend(self) -> str:
        if not self.week_before:
            return "—" if not self.week else "новые"
        change = (self.week - self.week_before) / self.week_before * 100
        return f"{change:+.0f}%"


def local_day(session: Session, column: Any, tz: Any, now: datetime) -> Any:
    """The municipality's local date of a UTC column as "YYYY-MM-DD", computed by the database so
    a day's count is one GROUP BY over the index, not thousands of rows shipped to Python."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(str(tz), column), "YYYY-MM-DD")
    offset = now.astimezone(tz).utcoffset() or timedelta()
    return func.strftime("%Y-%m-%d", column, f"{offset.total_seconds() / 3600:+.2f} hours")


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


def figures(
    session: Session, now: datetime, midnight: datetime, department: str | None, tz: Any, days: int = 14
) -> Figures:
    cases = select(func.count()).select_from(IncidentRow)
    if department is not None:
        cases = cases.where(IncidentRow.department_id == department)
    open_cases = cases.where(IncidentRow.status.in_(OPEN))
    week_ago = now - timedelta(days=7)
    first_day = midnight - timedelta(days=days - 1)
    labels = [(first_day + timedelta(days=n)).astimezone(tz).strftime("%Y-%m-%d") for n in range(days)]
    opened_day = local_day(session, IncidentRow.opened_at, tz, now)
    opened = select(opened_day, func.count()).where(IncidentRow.opened_at >= first_day).group_by(opened_day)
    if department is not None:
        opened = opened.where(IncidentRow.department_id == department)
    published_day = local_day(session, PostRow.published_at, tz, now)
    published = (
        select(published_day, func.count()).where(PostRow.published_at >= first_day).group_by(published_day)
    )

    def per_day(query: Select[Any]) -> list[int]:
        counts = {str(day): int(count) for day, count in session.execute(query)}
        return [counts.get(label, 0) for label in labels]

    risks = (
        select(func.count())
        .select_from(AnalysisRow)
        .join(PostRow, PostRow.key == AnalysisRow.post_key)
        .where(AnalysisRow.risk_score >= RISK_THRESHOLD, PostRow.published_at >= midnight)
    )
    alerts = select(func.count()).select_from(AlertRow).where(AlertRow.acknowledged_at.is_(None))
    return Figures(
        posts_today=_count(
            session, select(func.count()).select_from(PostRow).where(PostRow.published_at >= midnight)
        ),
        incidents_today=_count(session, cases.where(IncidentRow.opened_at >= midnight)),
        risks_today=_count(session, risks),
        open_cases=_count(session, open_cases),
        overdue=_count(session, open_cases.where(IncidentRow.due_at < now)),
        due_today=_count(
            session, open_cases.where(IncidentRow.due_at >= now, IncidentRow.due_at < now + timedelta(days=1))
        ),
        unacknowledged_alerts=_count(session, alerts),
        week=_count(session, cases.where(IncidentRow.opened_at >= week_ago)),
        week_before=_count(
            session,
            cases.where(
                IncidentRow.opened_at >= week_ago - timedelta(days=7), IncidentRow.opened_at < week_ago
            ),
        ),
        days=[label[8:10] + "." + label[5:7] for label in labels],
        incidents_by_day=per_day(opened),
        posts_by_day=per_day(published) if department is None else [],
    )


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: str = "open"  # open, all, or one IncidentStatus value
    department: str = ""  # a department id, "none" for triage, "" for any
    block: str = ""
    sla: SlaFilter = SlaFilter.ANY
    text: str = ""
    page: int = 1


@dataclass(frozen=True, slots=True)
class QueuePage:
    incidents: list[Incident]
    total: int
    page: int
    pages: int


def queue(
    session: Session, wanted: QueueFilter, now: datetime, scope: str | None, size: int = 50
) -> QueuePage:
    query = select(IncidentRow)
    if wanted.status == "open":
        query = query.where(IncidentRow.status.in_(OPEN))
    elif wanted.status in {s.value for s in IncidentStatus}:
        query = query.where(IncidentRow.status == wanted.status)
    department = scope if scope is not None else wanted.department
    if department == "none":
        query = query.where(IncidentRow.department_id.is_(None))
    elif department:
        query = query.where(IncidentRow.department_id == department)
    if wanted.block:
        query = query.where(IncidentRow.block == wanted.block)
    if wanted.text:
        pattern = f"%{wanted.text}%"
        query = query.where(or_(IncidentRow.title.ilike(pattern), IncidentRow.settlement.ilike(pattern)))
    if wanted.sla is SlaFilter.OVERDUE:
        query = query.where(IncidentRow.due_at < now)
    elif wanted.sla is SlaFilter.DUE_TODAY:
        query = query.where(and_(IncidentRow.due_at >= now, IncidentRow.due_at < now + timedelta(days=1)))
    elif wanted.sla is SlaFilter.ON_TIME:
        query = query.where(IncidentRow.due_at >= now)
    elif wanted.sla is SlaFilter.DONE:
        query = query.where(IncidentRow.due_at.is_(None))
    total = _count(session, select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // size))
    page = min(max(1, wanted.page), pages)
    ordered = query.order_by(IncidentRow.due_at.is_(None), IncidentRow.due_at, IncidentRow.id.desc())
    rows = list(session.scalars(ordered.limit(size).offset((page - 1) * size)))
    return QueuePage(load_incidents(session, rows, with_updates=True), total, page, pages)


def blocks_in_queue(session: Session) -> list[str]:
    query = (
        select(IncidentRow.block).where(IncidentRow.block.is_not(None)).distinct().order_by(IncidentRow.block)
    )
    return [block for block in session.scalars(query) if block]


def open_case_places(session: Session, limit: int) -> tuple[list[CasePlace], int]:
    """The open cases the map shows, most urgent first, and how many are open in all."""
    columns = (
        IncidentRow.id,
        IncidentRow.title,
        IncidentRow.block,
        IncidentRow.settlement,
        IncidentRow.status,
        IncidentRow.due_at,
        IncidentRow.lat,
        IncidentRow.lon,
    )
    query = (
        select(*columns)
        .where(IncidentRow.status.in_(OPEN))
        .order_by(IncidentRow.due_at.is_(None), IncidentRow.due_at, IncidentRow.id.desc())
        .limit(limit)
    )
    total = _count(session, select(func.count()).select_from(IncidentRow).where(IncidentRow.status.in_(OPEN)))
    return [CasePlace(*row) for row in session.execute(query)], total


def overdue_matrix(
    session: Session, now: datetime
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """Overdue open cases per (block, settlement) and per (block, department): the heat map's third colour."""
    query = select(IncidentRow.block, IncidentRow.settlement, IncidentRow.department_id).where(
        IncidentRow.status.in_(OPEN), IncidentRow.due_at < now
    )
    by_settlement: Counter[tuple[str, str]] = Counter()
    by_department: Counter[tuple[str, str]] = Counter()
    for block, settlement, department in session.execute(query):
        by_settlement[(block or "—", settlement or "—")] += 1
        by_department[(block or "—", department or "—")] += 1
    return by_settlement, by_department
