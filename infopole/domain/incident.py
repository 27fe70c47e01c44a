"""An incident: a resident's concrete problem that a department must answer, and its history.

States are data with a kind (open / closed), so code asks ``status.is_open`` instead of
listing labels; which status may follow which is the table in ``lifecycle``. Domain methods
check the move, change the record and return the ``IncidentUpdate`` they appended; saving
is the caller's job. Ratings and SLA states are derived from the updates, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from infopole.domain.lifecycle import (
    STATUS_LABELS,
    IncidentStatus,
    InvalidTransition,
    StatusKind,
    check_move,
)

__all__ = [
    "STATUS_LABELS",
    "CaseKind",
    "Incident",
    "IncidentStatus",
    "IncidentUpdate",
    "InvalidTransition",
    "Priority",
    "RejectReason",
    "StatusKind",
    "UpdateAction",
]


class CaseKind(StrEnum):
    """A public message in a social network, or a formal appeal under 59-ФЗ with its 30-day term."""

    MESSAGE = "message"
    APPEAL = "appeal"

    @property
    def label(self) -> str:
        return {CaseKind.MESSAGE: "сообщение", CaseKind.APPEAL: "обращение"}[self]


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"


class RejectReason(StrEnum):
    NOT_OUR_COMPETENCE = "not_our_competence"
    DUPLICATE = "duplicate"
    NOT_A_PROBLEM = "not_a_problem"

    @property
    def label(self) -> str:
        return {
            RejectReason.NOT_OUR_COMPETENCE: "не относится к компетенции",
            RejectReason.DUPLICATE: "дубликат",
            RejectReason.NOT_A_PROBLEM: "не является проблемой",
        }[self]


class UpdateAction(StrEnum):
    """What an update did; ``status`` on the update is always the status after it."""

    OPENED = "opened"
    ROUTED = "routed"  # to a department or to triage
    INTERIM = "interim"
    ANSWERED = "answered"
    FORMAL_REPLY = "formal_reply"  # an отписка: recorded, but it stops no clock
    RESOLVED = "resolved"
    REJECTED = "rejected"
    REOPENED = "reopened"
    JOINED = "joined"  # a post joined the case
    MERGED = "merged"  # another case was merged into this one
    SPLIT = "split"  # posts moved out to a new case
    ESCALATED = "escalated"


ANSWER_ACTIONS = frozenset({UpdateAction.INTERIM, UpdateAction.ANSWERED, UpdateAction.FORMAL_REPLY})


@dataclass(slots=True)
class IncidentUpdate:
    """One change of an incident: who, when, what. Ratings and SLA are derived from these rows.

    ``held_hours`` is set when a department loses the case (re-routing or triage): how long it held it,
    so a re-routed case still shows whose desk the clock ran on.
    """

    at: datetime
    actor: str
    status: IncidentStatus
    department_id: str | None = None
    note: str = ""
    action: UpdateAction = UpdateAction.ROUTED
    previous_status: IncidentStatus | None = None
    previous_department_id: str | None = None
    held_hours: float | None = None
    reason: str | None = None
    link: str = ""
    formal: bool = False


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
    kind: CaseKind = CaseKind.MESSAGE
    street: str | None = None
    description: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    channel: str = "social"  # social, pos, open311, import, …
    external_id: str | None = None  # the id in the system the case came from (ПОС number, Open311 token)
    reject_reason: RejectReason | None = None
    escalated_at: datetime | None = None
    merged_into: int | None = None
    due_at: datetime | None = None  # the pending deadline, kept by the store from ``sla``
    updated_at: datetime | None = None
    version: int = 0  # optimistic-locking counter as last read from the database

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    # --- routing ------------------------------------------------------------------------

    def assign(
        self, department_id: str, at: datetime, actor: str = "system", note: str = ""
    ) -> IncidentUpdate:
        """Give the case to a department; from another department this is re-routing."""
        if department_id == self.department_id and self.status is IncidentStatus.ASSIGNED:
            raise InvalidTransition(self.status, IncidentStatus.ASSIGNED)
        return self._move(IncidentStatus.ASSIGNED, at, actor, UpdateAction.ROUTED, department_id, note)

    def send_to_triage(self, at: datetime, reason: str, actor: str = "system") -> IncidentUpdate:
        return self._move(IncidentStatus.TRIAGE, at, actor, UpdateAction.ROUTED, None, reason)

    # --- answers ------------------------------------------------------------------------

    def give_interim(self, text: str, at: datetime, actor: str, link: str = "") -> IncidentUpdate:
        return self._move(IncidentStatus.INTERIM, at, actor, UpdateAction.INTERIM, note=text, link=link)

    def answer(self, text: str, at: datetime, actor: str, link: str = "") -> IncidentUpdate:
        return self._move(IncidentStatus.ANSWERED, at, actor, UpdateAction.ANSWERED, note=text, link=link)

    def note_formal_reply(self, text: str, at: datetime, actor: str, link: str = "") -> IncidentUpdate:
        """An отписка: kept in the history and flagged, but the status and the clock stay as they were."""
        return self._record(UpdateAction.FORMAL_REPLY, at, actor, note=text, link=link, formal=True)

    # --- closing and reopening ------------------------------------------------------------

    def resolve(self, at: datetime, actor: str, note: str = "") -> IncidentUpdate:
        return self._move(IncidentStatus.RESOLVED, at, actor, UpdateAction.RESOLVED, note=note)

    def reject(self, reason: RejectReason, at: datetime, actor: str, note: str = "") -> IncidentUpdate:
        update = self._move(
            IncidentStatus.REJECTED, at, actor, UpdateAction.REJECTED, note=note, reason=reason.value
        )
        self.reject_reason = reason
        return update

    def reopen(self, at: datetime, actor: str, note: str = "") -> IncidentUpdate:
        update = self._move(IncidentStatus.REOPENED, at, actor, UpdateAction.REOPENED, note=note)
        self.reject_reason = None
        self.merged_into = None
        self.escalated_at = None  # a new round: a new escalation if this one runs late too
        return update

    # --- history without a status change -----------------------------------------------------

    def escalate(self, at: datetime, to: str, note: str, actor: str = "system") -> IncidentUpdate:
        self.escalated_at = at
        return self._record(UpdateAction.ESCALATED, at, actor, note=note, reason=to)

    def record(self, action: UpdateAction, at: datetime, actor: str, note: str = "") -> IncidentUpdate:
        """A history line that changes nothing else: a joined post, a merge, a split."""
        return self._record(action, at, actor, note=note)

    # --- derived ------------------------------------------------------------------------

    def held_since(self) -> datetime:
        """When the current holder (department or triage) got the case."""
        since = self.opened_at
        holder: object = object()
        for update in self.updates:
            if update.department_id != holder:
                holder, since = update.department_id, update.at
        return since

    def snapshot(self) -> dict[str, Any]:
        """The audited fields, JSON-ready: the before/after of an audit event."""
        return {
            "status": self.status.value,
            "department_id": self.department_id,
            "priority": self.priority.value,
            "kind": self.kind.value,
            "block": self.block,
            "settlement": self.settlement,
            "street": self.street,
            "reject_reason": self.reject_reason.value if self.reject_reason else None,
            "merged_into": self.merged_into,
            "escalated_at": self.escalated_at.isoformat() if self.escalated_at else None,
            "post_keys": list(self.post_keys),
        }

    def copy(self) -> Incident:
        return replace(self, post_keys=list(self.post_keys), updates=list(self.updates))

    # --- internals ----------------------------------------------------------------------

    def _move(
        self,
        status: IncidentStatus,
        at: datetime,
        actor: str,
        action: UpdateAction,
        department_id: str | object | None = ...,
        note: str = "",
        link: str = "",
        reason: str | None = None,
    ) -> IncidentUpdate:
        check_move(self.status, status)
        previous_status, previous_department = self.status, self.department_id
        held: float | None = None
        if department_id is not ...:
            new_department = department_id if isinstance(department_id, str) else None
            if previous_department is not None and new_department != previous_department:
                held = round((at - self.held_since()).total_seconds() / 3600, 2)
            self.department_id = new_department
        self.status = status
        update = IncidentUpdate(
            at=at,
            actor=actor,
            status=status,
            department_id=self.department_id,
            note=note,
            action=action,
            previous_status=previous_status,
            previous_department_id=previous_department,
            held_hours=held,
            reason=reason,
            link=link,
        )
        self.updates.append(update)
        return update

    def _record(
        self,
        action: UpdateAction,
        at: datetime,
        actor: str,
        note: str = "",
        link: str = "",
        reason: str | None = None,
        formal: bool = False,
    ) -> IncidentUpdate:
        update = IncidentUpdate(
            at=at,
            actor=actor,
            status=self.status,
            department_id=self.department_id,
            note=note,
            action=action,
            previous_status=self.status,
            previous_department_id=self.department_id,
            reason=reason,
            link=link,
            formal=formal,
        )
        self.updates.append(update)
        return update
