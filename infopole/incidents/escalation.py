"""Escalation of overdue cases to the куратор: which cases, to whom, and the alert to send.

Pure: the store applies ``Incident.escalate`` and hands the alerts to the alert store, which
delivers them like any other alert. One escalation per case and round (a reopened case can be
escalated again), so re-running the check never repeats a notice.
"""

from __future__ import annotations

from datetime import datetime

from infopole.config.municipality import Municipality, Role
from infopole.domain.alert import Alert, AlertKind
from infopole.domain.incident import Incident
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.sla import Deadline, SlaState, deadline

FALLBACK_CURATOR = "куратор МЦУ"


def curator_of(municipality: Municipality) -> str:
    """The position overdue cases go to: the куратор, else the head of the МЦУ."""
    for role in (Role.CURATOR, Role.HEAD):
        for member in municipality.members:
            if member.role is role:
                return member.position
    return FALLBACK_CURATOR


def overdue_deadline(
    incident: Incident, municipality: Municipality, calendar: WorkingCalendar, now: datetime
) -> Deadline | None:
    """The missed deadline if ``incident`` must be escalated now, else None."""
    if not municipality.sla.escalate_overdue or incident.escalated_at is not None:
        return None
    pending = deadline(incident, municipality.sla, calendar)
    if pending is None or pending.state(now) is not SlaState.OVERDUE:
        return None
    return pending


def escalation_alert(
    incident: Incident, missed: Deadline, municipality: Municipality, now: datetime
) -> Alert:
    department = incident.department_id or "на распределении"
    local_due = missed.due_at.astimezone(municipality.tz).strftime("%d.%m.%Y %H:%M")
    return Alert(
        key=f"sla:{incident.id}:{missed.started_at.isoformat()}",
        kind=AlertKind.SLA,
        severity="high",
        title=f"Просрочено обращение №{incident.id}: {incident.title}",
        body=f"Срок ({missed.stage.value}) истёк {local_due}; ответственный: {department}.",
        created_at=now,
        details={
            "incident_id": incident.id,
            "department_id": incident.department_id,
            "stage": missed.stage.value,
            "due_at": missed.due_at.isoformat(),
            "escalated_to": curator_of(municipality),
            "block": incident.block,
        },
    )
