"""Escalating overdue cases: the history line and ``escalated_at`` on the case, from the cases step.

The alert to the куратор is not raised here: the alerts' SLA rule raises exactly one overdue alert
per missed deadline over the same ``sla.deadline`` (see ``infopole.incidents.escalation``), so the
queue and the куратор's notices cannot disagree and he is never told twice.
"""

from __future__ import annotations

from datetime import datetime

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident
from infopole.incidents.escalation import curator_of, escalation_note, overdue_deadline
from infopole.incidents.sla import calendar_for
from infopole.storage.incidents import IncidentStore


def escalate_overdue(store: IncidentStore, municipality: Municipality, now: datetime) -> list[int]:
    """Escalate each deadline missed by ``now`` once; the ids of the cases escalated."""
    calendar = calendar_for(municipality.sla, municipality.timezone)
    curator = curator_of(municipality)
    escalated: list[int] = []
    for case_id in store.overdue_candidates(now):
        done: list[bool] = []

        def apply(incident: Incident, done: list[bool] = done) -> None:
            done.clear()  # decided again on the fresh case if the first write was stale
            missed = overdue_deadline(incident, municipality, calendar, now)
            if missed is not None:
                incident.escalate(now, curator, note=escalation_note(missed, municipality))
                done.append(True)

        store.change(case_id, apply, municipality=municipality, now=now, actor="sla")
        if done:
            escalated.append(case_id)
    return escalated
