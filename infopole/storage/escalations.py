"""Escalating overdue cases: the history line on the case and the alert for the куратор."""

from __future__ import annotations

from datetime import datetime

from infopole.config.municipality import Municipality
from infopole.domain.alert import Alert
from infopole.domain.incident import Incident
from infopole.incidents.escalation import curator_of, escalation_alert, overdue_deadline
from infopole.incidents.sla import calendar_for
from infopole.storage.incidents import IncidentStore


def escalate_overdue(store: IncidentStore, municipality: Municipality, now: datetime) -> list[Alert]:
    """Escalate every case overdue at ``now`` once; the alerts go to ``AlertStore.record``."""
    calendar = calendar_for(municipality.sla, municipality.timezone)
    curator = curator_of(municipality)
    alerts: list[Alert] = []
    for case_id in store.overdue_candidates(now):
        raised: list[Alert] = []

        def apply(incident: Incident, raised: list[Alert] = raised) -> None:
            raised.clear()  # decided again on the fresh case if the first write was stale
            missed = overdue_deadline(incident, municipality, calendar, now)
            if missed is not None:
                incident.escalate(now, curator, note=f"просрочен срок: {missed.stage.value}")
                raised.append(escalation_alert(incident, missed, municipality, now))

        store.change(case_id, apply, municipality=municipality, now=now, actor="sla")
        alerts.extend(raised)
    return alerts
