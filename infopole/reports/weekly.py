"""The weekly analytic note for the head, as Markdown (DOCX/PDF come with the reports issue).

Figures are computed from the database by plain queries, then rendered; the numbers in
the note are exactly what the queue and the post store hold for the period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infopole.domain.incident import IncidentStatus
from infopole.runtime import Runtime
from infopole.storage.tables import AnalysisRow, IncidentRow, PostRow


@dataclass(frozen=True)
class WeekFigures:
    start: datetime
    end: datetime
    posts: int
    posts_before: int
    negative: int
    incidents: int
    incidents_before: int
    by_block: list[tuple[str, int]]
    by_department: list[tuple[str, int]]
    overdue: int
    risky: list[tuple[float, str, str]]  # score, text, url


def _posts(s: Session, a: datetime, b: datetime) -> int:
    query = (
        select(func.count()).select_from(PostRow).where(PostRow.published_at >= a, PostRow.published_at < b)
    )
    return int(s.scalar(query) or 0)


def _cases(s: Session, a: datetime, b: datetime) -> list[IncidentRow]:
    return list(s.scalars(select(IncidentRow).where(IncidentRow.opened_at >= a, IncidentRow.opened_at < b)))


def week_figures(runtime: Runtime, now: datetime) -> WeekFigures:
    start, before = now - timedelta(days=7), now - timedelta(days=14)
    departments = {d.id: d.name for d in runtime.municipality.departments}
    open_statuses = [status.value for status in IncidentStatus if status.is_open]
    with runtime.db.session() as s:
        week_cases = _cases(s, start, now)
        negative = s.scalar(
            select(func.count())
            .select_from(PostRow)
            .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
            .where(
                PostRow.published_at >= start, PostRow.published_at < now, AnalysisRow.sentiment == "negative"
            )
        )
        overdue = s.scalar(
            select(func.count())
            .select_from(IncidentRow)
            .where(IncidentRow.status.in_(open_statuses), IncidentRow.due_at < now)
        )
        risky = s.execute(
            select(AnalysisRow.risk_score, PostRow.text, PostRow.url)
            .join(PostRow, AnalysisRow.post_key == PostRow.key)
            .where(PostRow.published_at >= start, AnalysisRow.risk_score >= 0.5)
            .order_by(AnalysisRow.risk_score.desc())
            .limit(5)
        ).all()
        return WeekFigures(
            start=start,
            end=now,
            posts=_posts(s, start, now),
            posts_before=_posts(s, before, start),
            negative=int(negative or 0),
            incidents=len(week_cases),
            incidents_before=len(_cases(s, before, start)),
            by_block=Counter(c.block or "не определён" for c in week_cases).most_common(),
            by_department=Counter(
                departments.get(c.department_id or "", "на распределении") for c in week_cases
            ).most_common(),
            overdue=int(overdue or 0),
            risky=[(float(score), text, url) for score, text, url in risky],
        )


def _trend(now: int, before: int) -> str:
    if before == 0:
        return "нет данных за прошлую неделю" if now else "без изменений"
    change = (now - before) / before * 100
    return f"{change:+.0f} % к прошлой неделе"


def render(figures: WeekFigures, municipality_name: str) -> str:
    period = f"{figures.start:%d.%m.%Y} — {figures.end:%d.%m.%Y}"
    lines = [
        f"# Аналитическая справка МЦУ: {municipality_name}",
        f"Период: {period}",
        "",
        "## Неделя в цифрах",
        f"- Публикаций и комментариев: {figures.posts} ({_trend(figures.posts, figures.posts_before)})",
        f"- Негативных: {figures.negative}",
        f"- Инцидентов заведено: {figures.incidents} ({_trend(figures.incidents, figures.incidents_before)})",
        f"- Просрочено первых ответов (всего открытых): {figures.overdue}",
        "",
        "## Инциденты по тематическим блокам",
        *(f"- {block}: {count}" for block, count in figures.by_block),
        "",
        "## Инциденты по ответственным",
        *(f"- {name}: {count}" for name, count in figures.by_department),
        "",
        "## Информационные риски недели",
        *(f"- [{score:.2f}] {' '.join(text.split())[:200]} — {url}" for score, text, url in figures.risky),
    ]
    if not figures.risky:
        lines.append("- не выявлено")
    return "\n".join(lines) + "\n"


def weekly_note(runtime: Runtime, now: datetime) -> str:
    return render(week_figures(runtime, now), runtime.municipality.name)
