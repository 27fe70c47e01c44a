"""Ratings of departments and of officials for a period, from the cases' ``IncidentUpdate`` rows
and the citizens' reactions to the answers (``reply_checks``).

Per department (the one holding the case at the end of the period; triage is its own row):
number of cases, median and 90th percentile of the time to the first real answer in working
hours, share of first answers within the deadline, cases overdue now, share resolved and share
left at an interim answer, reopen rate, the number of отписки, and the shares of answers the
citizens took well or badly. A department with fewer cases than ``min_cases_for_rating`` is listed
but not ranked: three cases say nothing about speed.

Officials are rated with the same indicators in two ways (``OfficialRole``): the responsible
official of the department holding the case (its ``head`` position in the municipality file),
and each person who answered the case (the actor of an answer, interim answer or отписка: a
dashboard user, or an official page's pseudonym when the answer was detected under the post).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from infopole.config.municipality import Municipality
from infopole.domain.incident import ANSWER_ACTIONS, Incident, IncidentStatus, UpdateAction
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.reaction import Reaction
from infopole.incidents.sla import SlaState, calendar_for, first_answer, first_answer_due, sla_state

TRIAGE = "triage"
Reactions = Mapping[int, Sequence[Reaction]]  # case id → the reaction to each of its answers


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
    positive_reaction_share: float | None = None  # of the checked answers; None: no answer checked
    negative_reaction_share: float | None = None

    @property
    def rated(self) -> bool:
        return self.rank is not None

    @property
    def subject(self) -> str:
        return self.department_id


R = TypeVar("R", bound=DepartmentRating)


class OfficialRole(StrEnum):
    RESPONSIBLE = "responsible"  # the head of the department holding the case
    ANSWERED = "answered"  # wrote an answer on the case

    @property
    def label(self) -> str:
        return {OfficialRole.RESPONSIBLE: "ответственный", OfficialRole.ANSWERED: "ответил"}[self]


@dataclass(frozen=True, slots=True)
class OfficialRating(DepartmentRating):
    """An official's indicators; ``department_id`` is the department he answers for (or most of
    his answers were given for)."""

    official: str = ""
    role: OfficialRole = OfficialRole.RESPONSIBLE

    @property
    def subject(self) -> str:
        return f"{self.role.value}:{self.official}"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: a value that really occurred, as reports quote it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def rate_departments(
    incidents: Iterable[Incident],
    municipality: Municipality,
    now: datetime,
    reactions: Reactions | None = None,
) -> list[DepartmentRating]:
    calendar = calendar_for(municipality.sla, municipality.timezone)
    by_department: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        by_department[incident.department_id or TRIAGE].append(incident)
    ratings = [
        _rate(department, cases, municipality, calendar, now, reactions or {})
        for department, cases in by_department.items()
    ]
    return _ranked(ratings, municipality.cases.min_cases_for_rating, _department_rated)


def rate_officials(
    incidents: Iterable[Incident],
    municipality: Municipality,
    now: datetime,
    reactions: Reactions | None = None,
) -> list[OfficialRating]:
    """Responsible officials and the people who answered, each with the cases they stand for; the
    same minimum number of cases applies to be ranked (ranked within each role)."""
    calendar = calendar_for(municipality.sla, municipality.timezone)
    heads = {d.id: f"{d.head}, {d.name}" for d in municipality.departments}
    groups: dict[tuple[OfficialRole, str], list[Incident]] = defaultdict(list)
    answered_for: dict[str, list[str]] = defaultdict(list)
    for incident in incidents:
        if incident.department_id in heads:
            groups[(OfficialRole.RESPONSIBLE, heads[incident.department_id])].append(incident)
        for actor in dict.fromkeys(u.actor for u in incident.updates if u.action in ANSWER_ACTIONS):
            groups[(OfficialRole.ANSWERED, actor)].append(incident)
            answered_for[actor].append(incident.department_id or TRIAGE)
    ratings: list[OfficialRating] = []
    for (role, official), cases in groups.items():
        if role is OfficialRole.RESPONSIBLE:
            department = cases[0].department_id or TRIAGE
        else:
            department = statistics.mode(answered_for[official])
        base = _rate(department, cases, municipality, calendar, now, reactions or {})
        ratings.append(OfficialRating(**_fields(base), official=official, role=role))
    min_cases = municipality.cases.min_cases_for_rating
    ranked: list[OfficialRating] = []
    for role in OfficialRole:
        ranked += _ranked([r for r in ratings if r.role is role], min_cases, lambda r: True)
    return ranked


def _fields(rating: DepartmentRating) -> dict[str, Any]:
    return {name: getattr(rating, name) for name in DepartmentRating.__dataclass_fields__}


def _department_rated(rating: DepartmentRating) -> bool:
    return rating.department_id != TRIAGE


def _rate(
    department: str,
    cases: list[Incident],
    municipality: Municipality,
    calendar: WorkingCalendar,
    now: datetime,
    reactions: Reactions,
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
    taken = [reaction for case in cases for reaction in reactions.get(case.id or 0, ())]
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
        positive_reaction_share=_share(taken, Reaction.POSITIVE),
        negative_reaction_share=_share(taken, Reaction.NEGATIVE),
    )


def _share(reactions: list[Reaction], wanted: Reaction) -> float | None:
    return round(sum(r is wanted for r in reactions) / len(reactions), 3) if reactions else None


def _reopened(case: Incident) -> bool:
    return any(update.action is UpdateAction.REOPENED for update in case.updates)


def _ranked(ratings: list[R], min_cases: int, rankable: Callable[[DepartmentRating], bool]) -> list[R]:
    """Best first: more first answers in time, then faster median, then fewer reopens."""
    rated = [r for r in ratings if r.cases >= min_cases and rankable(r)]
    rated.sort(
        key=lambda r: (
            -(r.answered_in_time_share or 0.0),
            r.median_first_answer_hours if r.median_first_answer_hours is not None else math.inf,
            r.reopen_rate,
            r.subject,
        )
    )
    ranks = {r.subject: place for place, r in enumerate(rated, start=1)}
    out = [replace(r, rank=ranks.get(r.subject)) for r in ratings]
    return sorted(out, key=lambda r: (r.rank is None, r.rank or 0, r.subject))
