"""Turning an incident post into a case: a pure function of the post, its analysis and the rules."""

from __future__ import annotations

from datetime import datetime

from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.incident import Incident, IncidentStatus, Priority
from infopole.domain.post import Post
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.routing import route

TITLE_LENGTH = 140


def priority_of(analysis: Analysis, urgent_risk: float = 0.7) -> Priority:
    return Priority.HIGH if analysis.risk_score >= urgent_risk else Priority.NORMAL


def open_incident(post: Post, analysis: Analysis, municipality: Municipality, now: datetime) -> Incident:
    """A new case, routed and with its first-answer deadline; the caller saves it."""
    sla = municipality.sla
    priority = priority_of(analysis)
    calendar = WorkingCalendar(municipality.timezone, sla.working_hours_start, sla.working_hours_end)
    hours = sla.first_answer_hours_urgent if priority is Priority.HIGH else sla.first_answer_hours
    incident = Incident(
        id=None,
        block=analysis.block,
        settlement=analysis.settlement,
        department_id=None,
        status=IncidentStatus.NEW,
        priority=priority,
        opened_at=now,
        first_answer_due=calendar.add_working_hours(now, hours),  # the clock starts at registration
        title=_title(post),
        post_keys=[post.key],
    )
    decision = route(analysis.block, analysis.settlement, municipality)
    if decision.department_id is None:
        incident.send_to_triage(now, decision.reason)
    else:
        incident.assign(decision.department_id, now)
    return incident


def _title(post: Post) -> str:
    text = " ".join((post.title or post.text).split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"
