"""SLA: open cases whose first answer is due soon, or overdue, escalated to the куратор.

"At risk" means ``sla.at_risk_share`` of the time to the deadline has passed (the share is
the municipality's, the same one the appeals queue shows). Overdue cases are high severity
and name the куратор's role in ``details["roles"]`` so they reach him whatever his filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from infopole.alerts.text import local_time, where
from infopole.config.municipality import Role, Severity
from infopole.domain.alert import Alert, AlertKind
from infopole.domain.incident import Incident


def sla_alerts(
    incidents: Sequence[Incident],
    now: datetime,
    tz: ZoneInfo,
    *,
    at_risk_share: float,
    warn_at_risk: bool = True,
    escalate_to: Role = Role.CURATOR,
) -> list[Alert]:
    alerts = []
    for incident in incidents:
        # ``due_at``: the pending deadline the case store keeps, where the model has it
        due = getattr(incident, "due_at", None) or incident.first_answer_due
        if not incident.is_open or due is None or incident.id is None:
            continue
        if incident.status.value in ("answered", "interim"):
            continue  # the first answer was given: the first-answer deadline is met
        total = (due - incident.opened_at).total_seconds()
        elapsed = (now - incident.opened_at).total_seconds()
        overdue = now >= due
        at_risk = warn_at_risk and total > 0 and elapsed / total >= at_risk_share
        if not (overdue or at_risk):
            continue
        state = "overdue" if overdue else "at_risk"
        department = incident.department_id or "не назначено"
        if overdue:
            hours = (now - due).total_seconds() / 3600
            title = (
                f"Просрочен ответ по обращению №{incident.id}: {where(incident.block, incident.settlement)}"
            )
            timing = f"Срок первого ответа {local_time(due, tz)} истёк {hours:.1f} ч назад."
        else:
            left = (due - now).total_seconds() / 3600
            title = f"Срок ответа по обращению №{incident.id} истекает через {left:.1f} ч"
            share = f"{elapsed / total:.0%}"
            timing = f"Срок первого ответа {local_time(due, tz)}; прошло {share} отведённого времени."
        alerts.append(
            Alert(
                key=f"sla:{incident.id}:{state}",
                kind=AlertKind.SLA,
                severity=(Severity.HIGH if overdue else Severity.MEDIUM).value,
                title=title,
                created_at=now,
                body=(
                    f"«{incident.title}». Ответственный: {department}; "
                    f"статус: {incident.status.label}.\n{timing}"
                ),
                details={
                    "group": f"sla:{incident.id}",
                    "incident_id": incident.id,
                    "block": incident.block,
                    "settlement": incident.settlement,
                    "department_id": incident.department_id,
                    "roles": [escalate_to.value] if overdue else [],
                },
            )
        )
    return alerts
