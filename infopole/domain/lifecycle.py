"""The case lifecycle as data: which status may follow which.

A pure table, so the dashboard can offer only the buttons that are legal and the storage
layer can refuse a stale or impossible change before anything is written.
"""

from __future__ import annotations

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
    def is_answered(self) -> bool:
        """The citizen has had a final answer (the case may still wait for the fix or a reopen)."""
        return self in (IncidentStatus.ANSWERED, IncidentStatus.RESOLVED, IncidentStatus.REJECTED)

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

_S = IncidentStatus
_WORKING = frozenset({_S.ASSIGNED, _S.TRIAGE, _S.INTERIM, _S.ANSWERED, _S.RESOLVED, _S.REJECTED})

# ASSIGNED → ASSIGNED is re-routing to another department; INTERIM → INTERIM is a further interim
# answer (the final-answer clock does not restart, see ``infopole.incidents.sla``).
TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    _S.NEW: frozenset({_S.TRIAGE, _S.ASSIGNED, _S.REJECTED}),
    _S.TRIAGE: frozenset({_S.ASSIGNED, _S.REJECTED}),
    _S.ASSIGNED: _WORKING,
    _S.INTERIM: _WORKING,
    _S.REOPENED: _WORKING,
    _S.ANSWERED: frozenset({_S.RESOLVED, _S.REOPENED}),
    _S.RESOLVED: frozenset({_S.REOPENED}),
    _S.REJECTED: frozenset({_S.REOPENED}),
}


class InvalidTransition(ValueError):
    """A change the lifecycle forbids, e.g. answering a rejected case without reopening it."""

    def __init__(self, current: IncidentStatus, wanted: IncidentStatus) -> None:
        self.current, self.wanted = current, wanted
        super().__init__(f"нельзя перевести обращение из «{current.label}» в «{wanted.label}»")


def can_move(current: IncidentStatus, wanted: IncidentStatus) -> bool:
    return wanted in TRANSITIONS[current]


def check_move(current: IncidentStatus, wanted: IncidentStatus) -> None:
    if not can_move(current, wanted):
        raise InvalidTransition(current, wanted)
