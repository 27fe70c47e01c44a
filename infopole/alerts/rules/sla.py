"""SLA: open cases whose first answer is due soon, or overdue, escalated to the куратор.

"At risk" means ``sla.at_risk_share`` of the working time to the deadline has passed, exactly as
the appeals queue computes it. Overdue cases are high severity and, when ``sla.escalate_overdue``
is on, name the куратор's role in ``details["roles"]`` so they reach him whatever his filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from infopole.alerts.text import local_time, where
from infopole.config.municipality import Role, Severity, SlaPolicy
from infopole.domain.alert import Alert, AlertKind
from infopole.domain.incident import Incident
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.sla import Stage, deadline

STAGE_WORDS = {
    Stage.FIRST_ANSWER: "первого ответа",
    Stage.FINAL_ANSWER: "окончательного ответа",
    Stage.APPEAL_TERM: "ответа на обращение (59-ФЗ)",
}


def sla_alerts(
    incidents: Sequence[Incident],
    now: datetime,
    tz: ZoneInfo,
    *,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    warn_at_risk: bool = True,
    escalate_to: Role = Role.CURATOR,
) -> list[Alert]:
    """The deadline is the appeals queue's own (``incidents.sla.deadline``): the first answer, the
    final answer after an interim one, or the 59-ФЗ term, all on the working calendar."""
    alerts = []
    for incident in incidents:
        pending = deadline(incident, policy, calendar) if incident.id is not None else None
        if pending is None:
            continue
        due = pending.due_at
        overdue = now >= due
        at_risk = warn_at_risk and now >= pending.at_risk_at
        if not (overdue or at_risk):
            continue
        total = (due - pending.started_at).total_seconds()
        elapsed = (now - pending.started_at).total_seconds()
        state = "overdue" if overdue else "at_risk"
        what = STAGE_WORDS[pending.stage]
        department = incident.department_id or "не назначено"
        if overdue:
            hours = (now - due).total_seconds() / 3600
            title = (
                f"Просрочен ответ по обращению №{incident.id}: {where(incident.block, incident.settlement)}"
            )
            timing = f"Срок {what} {local_time(due, tz)} истёк {hours:.1f} ч назад."
        else:
            left = (due - now).total_seconds() / 3600
            title = f"Срок ответа по обращению №{incident.id} истекает через {left:.1f} ч"
            share = f"{elapsed / total:.0%}"
            timing = f"Срок {what} {local_time(due, tz)}; прошло {share} отведённого времени."
        alerts.append(
            Alert(
                # one alert per deadline and state: a reopened case or a new stage warns again
                key=f"sla:{incident.id}:{pending.stage.value}:{pending.started_at:%Y%m%dT%H%M}:{state}",
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
                    # escalation is the municipality's choice (sla.escalate_overdue), the same switch
                    # that makes the cases step record it on the case: the two never disagree
                    "roles": [escalate_to.value] if overdue and policy.escalate_overdue else [],
                },
            )
        )
    return alerts
