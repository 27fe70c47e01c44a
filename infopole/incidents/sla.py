"""Deadlines and their state: a pure function of a case's history, its policy and now.

Rules (all numbers from ``SlaPolicy``):

- a message gets its first answer within N working hours of registration (fewer when urgent);
- after an interim answer, the final one is due within M working days of it;
- an appeal under 59-ФЗ is due within 30 calendar days of registration (moved off a day off);
- a reopened case starts a new round from the reopening; re-routing does *not* restart the
  clock, so passing a case around never buys time;
- a formal non-answer (отписка) stops no clock.

A case is *at risk* once ``at_risk_share`` of its allowed working time has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from infopole.config.municipality import SlaPolicy
from infopole.domain.incident import CaseKind, Incident, IncidentUpdate, Priority, UpdateAction
from infopole.incidents.calendar import WorkingCalendar


class Stage(StrEnum):
    FIRST_ANSWER = "first_answer"
    FINAL_ANSWER = "final_answer"  # after an interim answer
    APPEAL_TERM = "appeal_term"  # 59-ФЗ


class SlaState(StrEnum):
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    DONE = "done"  # nothing is pending: answered, resolved or rejected

    @property
    def label(self) -> str:
        return {
            SlaState.ON_TIME: "в срок",
            SlaState.AT_RISK: "под угрозой",
            SlaState.OVERDUE: "просрочен",
            SlaState.DONE: "ответ дан",
        }[self]


@dataclass(frozen=True, slots=True)
class Deadline:
    stage: Stage
    started_at: datetime
    at_risk_at: datetime
    due_at: datetime

    def state(self, now: datetime) -> SlaState:
        if now >= self.due_at:
            return SlaState.OVERDUE
        if now >= self.at_risk_at:
            return SlaState.AT_RISK
        return SlaState.ON_TIME


def calendar_for(policy: SlaPolicy, timezone: str) -> WorkingCalendar:
    shortening = timedelta(hours=policy.pre_holiday_shortening_hours)
    return WorkingCalendar(timezone, policy.working_hours_start, policy.working_hours_end, shortening)


def first_answer_hours(policy: SlaPolicy, priority: Priority) -> float:
    return policy.first_answer_hours_urgent if priority is Priority.HIGH else policy.first_answer_hours


def round_start(incident: Incident) -> datetime:
    """Registration, or the last reopening: each round of a case has its own deadlines."""
    start = incident.opened_at
    for update in incident.updates:
        if update.action is UpdateAction.REOPENED:
            start = update.at
    return start


def _round_updates(incident: Incident, start: datetime) -> list[IncidentUpdate]:
    return [u for u in incident.updates if u.at >= start and u.action is not UpdateAction.REOPENED]


def deadline(incident: Incident, policy: SlaPolicy, calendar: WorkingCalendar) -> Deadline | None:
    """The pending deadline, or None when nothing is pending (a final answer was given, or closed)."""
    if not incident.is_open or incident.status.is_answered:
        return None
    start = round_start(incident)
    if incident.kind is CaseKind.APPEAL:
        due = calendar.end_of_calendar_term(start, policy.appeal_59fz_days)
        at_risk = start + (due - start) * policy.at_risk_share
        return Deadline(Stage.APPEAL_TERM, start, at_risk, due)
    interim = next(
        (u for u in _round_updates(incident, start) if u.action is UpdateAction.INTERIM),
        None,
    )
    if interim is None:
        hours = first_answer_hours(policy, incident.priority)
        due = calendar.add_working_hours(start, hours)
        at_risk = calendar.add_working_hours(start, hours * policy.at_risk_share)
        return Deadline(Stage.FIRST_ANSWER, start, at_risk, due)
    due = calendar.add_working_days(interim.at, policy.final_answer_working_days)
    allowed = calendar.working_time_between(interim.at, due)
    at_risk = calendar.add_working_hours(interim.at, allowed.total_seconds() / 3600 * policy.at_risk_share)
    return Deadline(Stage.FINAL_ANSWER, interim.at, at_risk, due)


def sla_state(incident: Incident, policy: SlaPolicy, calendar: WorkingCalendar, now: datetime) -> SlaState:
    pending = deadline(incident, policy, calendar)
    return SlaState.DONE if pending is None else pending.state(now)


def first_answer(incident: Incident) -> IncidentUpdate | None:
    """The first real answer (interim or final) of the first round; отписки do not count."""
    for update in incident.updates:
        if update.action in (UpdateAction.INTERIM, UpdateAction.ANSWERED):
            return update
        if update.action is UpdateAction.REOPENED:
            return None
    return None


def first_answer_due(incident: Incident, policy: SlaPolicy, calendar: WorkingCalendar) -> datetime:
    """The first round's deadline for a first answer (the whole 59-ФЗ term for an appeal)."""
    if incident.kind is CaseKind.APPEAL:
        return calendar.end_of_calendar_term(incident.opened_at, policy.appeal_59fz_days)
    return calendar.add_working_hours(incident.opened_at, first_answer_hours(policy, incident.priority))
