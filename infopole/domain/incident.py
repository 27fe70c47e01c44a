"""An incident: a resident's concrete problem that a department must answer, and its history.

States are data with a kind (open / closed), so code asks ``status.is_open`` instead of
listing labels. Domain methods change the record and return the update; saving is the
caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class StatusKind(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class IncidentStatus(StrEnum):
    NEW = "new"
    TRIAGE = "triage"  # no department found: the МЦУ head decides
    ASSIGNED = "assigned"
    INTERIM = "interim"  # an interim answer was given
    ANSWERED = "answered"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    REOPENED = "reopened"

    @property
    def kind(self) -> StatusKind:
        closed = {IncidentStatus.RESOLVED, IncidentStatus.REJECTED}
        return StatusKind.CLOSED if self in closed else StatusKind.OPEN

    @property
    def is_open(self) -> bool:
        return self.kind is StatusKind.OPEN

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    IncidentStatus.NEW: "новый",
    IncidentStatus.TRIAGE: "на распределении",
    IncidentStatus.ASSIGNED: "назначен",
    IncidentStatus.INTERIM: "промежуточный ответ",
    IncidentStatus.ANSWERED: "дан ответ",
    IncidentStatus.RESOLVED: "решён",
    IncidentStatus.REJECTED: "отклонён",
    IncidentStatus.REOPENED: "открыт повторно",
}


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"


@dataclass(slots=True)
class IncidentUpdate:
    """One change of an incident; ratings and SLA are derived from these rows."""

    at: datetime
    actor: str
    status: IncidentStatus
    department_id: str | None = None
    note: str = ""


@dataclass(slots=True)
class Incident:
    id: int | None
    block: str | None
    settlement: str | None
    department_id: str | None
    status: IncidentStatus
    priority: Priority
    opened_at: datetime
    first_answer_due: datetime | None
    title: str
    post_keys: list[str] = field(default_factory=list)
    updates: list[IncidentUpdate] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def assign(self, department_id: str, at: datetime, actor: str = "system") -> IncidentUpdate:
        self.department_id = department_id
        return self._move(IncidentStatus.ASSIGNED, at, actor, department_id=department_id)

    def send_to_triage(self, at: datetime, reason: str, actor: str = "system") -> IncidentUpdate:
        self.department_id = None
        return self._move(IncidentStatus.TRIAGE, at, actor, note=reason)

    def _move(
        self,
        status: IncidentStatus,
        at: datetime,
        actor: str,
        department_id: str | None = None,
        note: str = "",
    ) -> IncidentUpdate:
        self.status = status
        update = IncidentUpdate(at, actor, status, department_id or self.department_id, note)
        self.updates.append(update)
        return update
