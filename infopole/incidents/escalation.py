"""Escalation of overdue cases to the куратор: which cases, and to whom.

One source of truth with the alerts: a case is overdue exactly when the alerts' SLA rule
(``infopole.alerts.rules.sla``) calls it overdue — both read ``sla.deadline`` and compare the same
due time — and each missed deadline (a stage of a round) is escalated once, as the rule raises one
overdue alert per deadline. The case records the escalation (an ``ESCALATED`` history line naming
the position, ``escalated_at`` shown in the queue); the куратор's one notice is that alert, sent to
the role ``alerts.escalate_to``, whose position is the one recorded here. Pure: the store applies
``Incident.escalate``.
"""

from __future__ import annotations

from datetime import datetime

from infopole.config.municipality import Municipality, Role
from infopole.domain.incident import Incident
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.sla import Deadline, SlaState, deadline

FALLBACK_CURATOR = "куратор МЦУ"


def curator_of(municipality: Municipality) -> str:
    """The position overdue cases go to: the role the SLA alert goes to (the куратор by default),
    else the head of the МЦУ."""
    for role in dict.fromkeys((municipality.alerts.escalate_to, Role.CURATOR, Role.HEAD)):
        for member in municipality.members:
            if member.role is role:
                return member.position
    return FALLBACK_CURATOR


def overdue_deadline(
    incident: Incident, municipality: Municipality, calendar: WorkingCalendar, now: datetime
) -> Deadline | None:
    """The missed deadline if ``incident`` must be escalated now, else None (not overdue, or this
    deadline was escalated already: an escalation comes at or after the due time it missed, and
    the next deadline of the case is always due later than that)."""
    if not municipality.sla.escalate_overdue:
        return None
    pending = deadline(incident, municipality.sla, calendar)
    if pending is None or pending.state(now) is not SlaState.OVERDUE:
        return None
    if incident.escalated_at is not None and incident.escalated_at >= pending.due_at:
        return None
    return pending


def escalation_note(missed: Deadline, municipality: Municipality) -> str:
    local_due = missed.due_at.astimezone(municipality.tz).strftime("%d.%m.%Y %H:%M")
    return f"просрочен срок ({missed.stage.value}) {local_due}"
