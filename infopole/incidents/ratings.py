"""Ratings of departments for a period, derived from the cases' ``IncidentUpdate`` rows only.

Per department (the one holding the case at the end of the period; triage is its own row):
number of cases, median and 90th percentile of the time to the first real answer in working
hours, share of first answers within the deadline, cases overdue now, share resolved and share
left at an interim answer, reopen rate and the number of отписки. A department with fewer cases
than ``min_cases_for_rating`` is listed but not ranked: three cases say nothing about speed.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident, IncidentStatus, UpdateAction
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.sla import SlaState, calendar_for, first_answer, first_answer_due, sla_state

TRIAGE = "triage"


@dataclass(frozen=True, slots=True)
class DepartmentRating:
    department_id: str
    cases: int
    answered: int
    median_first_answer_hours: float | None
    p90_first_answer_hours: float | None
    answered_in_time_share: float | None  # of the cases whose first answer was due by now
    overdue: int
    resolved_share: float
    interim_only_share: float
    reopen_rate: float
    formal_replies: int
    rank: int | None = None  # None: too few cases to be rated

    @property
    def rated(self) -> bool:
        return self.rank is not None


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: a value that really occurred, as reports quote it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def rate_departments(
    incidents: Iterable[Incident], municipality: Municipality, now: datetime
) -> list[DepartmentRating]:
    calendar = calendar_for(municipality.sla, municipality.timezone)
    by_department: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        by_department[incident.department_id or TRIAGE].append(incident)
    ratings = [
        _rate(department, cases, municipality, calendar, now) for department, cases in by_department.items()
    ]
    return _ranked(ratings, municipality.cases.min_cases_for_rating)


def _rate(
    department: str,
    cases: list[Incident],
    municipality: Municipality,
    calendar: WorkingCalendar,
    now: datetime,
) -> DepartmentRating:
    policy = municipality.sla
    hours: list[float] = []
    due_by_now = in_time = 0
    for case in cases:
        answer = first_answer(case)
        due = first_answer_due(case, policy, calendar)
        if answer is not None:
            hours.append(calendar.working_time_between(case.opened_at, answer.at).total_seconds() / 3600)
        if answer is not None or due <= now:
            due_by_now += 1
            in_time += answer is not None and answer.at <= due
    total = len(cases)
    return DepartmentRating(
        department_id=department,
        cases=total,
        answered=len(hours),
        median_first_answer_hours=round(statistics.median(hours), 2) if hours else None,
        p90_first_answer_hours=round(percentile(hours, 0.9), 2) if hours else None,
        answered_in_time_share=round(in_time / due_by_now, 3) if due_by_now else None,
        overdue=sum(sla_state(case, policy, calendar, now) is SlaState.OVERDUE for case in cases),
        resolved_share=round(sum(c.status is IncidentStatus.RESOLVED for c in cases) / total, 3),
        interim_only_share=round(sum(c.status is IncidentStatus.INTERIM for c in cases) / total, 3),
        reopen_rate=round(sum(_reopened(c) for c in cases) / total, 3),
        formal_replies=sum(u.action is UpdateAction.FORMAL_REPLY for c in cases for u in c.updates),
    )


def _reopened(case: Incident) -> bool:
    return any(update.action is UpdateAction.REOPENED for update in case.updates)


def _ranked(ratings: list[DepartmentRating], min_cases: int) -> list[DepartmentRating]:
    """Best first: more first answers in time, then faster median, then fewer reopens."""
    rated = [r for r in ratings if r.cases >= min_cases and r.department_id != TRIAGE]
    rated.sort(
        key=lambda r: (
            -(r.answered_in_time_share or 0.0),
            r.median_first_answer_hours if r.median_first_answer_hours is not None else math.inf,
            r.reopen_rate,
            r.department_id,
        )
    )
    ranks = {r.department_id: place for place, r in enumerate(rated, start=1)}
    out = [_with_rank(r, ranks.get(r.department_id)) for r in ratings]
    return sorted(out, key=lambda r: (r.rank is None, r.rank or 0, r.department_id))


def _with_rank(rating: DepartmentRating, rank: int | None) -> DepartmentRating:
    return replace(rating, rank=rank)
