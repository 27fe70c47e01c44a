"""What each role of the decrees may see and do, as data: pages ask ``can(user, …)``.

Least privilege by default: a role gets only what its duties in the decrees need. The
administrator keeps the system (sources, users, audit) but reads no residents' messages; the
analyst searches and reports but works no cases; an отраслевой блок's owner sees and answers
only the cases of its own department.
"""

from __future__ import annotations

from enum import StrEnum

from infopole.config.municipality import Role
from infopole.domain.incident import Incident
from infopole.domain.user import User


class Permission(StrEnum):
    OVERVIEW = "overview"
    ALERTS = "alerts"
    ACK_ALERTS = "ack_alerts"
    CASES = "cases"
    WORK_CASES = "work_cases"  # answer, interim, resolve, reject, reopen, return to triage
    ROUTE_CASES = "route_cases"  # assign to any department, merge, split
    SEARCH = "search"
    EXPORT = "export"
    HEATMAP = "heatmap"
    RATINGS = "ratings"
    SOURCES = "sources"
    REPORTS = "reports"
    ADMIN = "admin"  # users and the audit log


P = Permission
_MANAGERS = frozenset(set(P) - {P.ADMIN})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CURATOR: _MANAGERS,
    Role.HEAD: _MANAGERS,
    Role.ADMINISTRATOR: frozenset({P.OVERVIEW, P.SOURCES, P.ADMIN}),
    Role.BLOCK_OWNER: frozenset({P.OVERVIEW, P.CASES, P.WORK_CASES}),
    Role.ANALYST: frozenset({P.OVERVIEW, P.ALERTS, P.SEARCH, P.EXPORT, P.HEATMAP, P.RATINGS, P.REPORTS}),
    Role.GOSPABLIKI: frozenset({P.OVERVIEW, P.SEARCH, P.SOURCES}),
    Role.POS: frozenset({P.OVERVIEW, P.CASES, P.WORK_CASES}),
}

ROLE_LABELS: dict[Role, str] = {
    Role.CURATOR: "куратор (заместитель главы)",
    Role.HEAD: "руководитель МЦУ",
    Role.ADMINISTRATOR: "администратор",
    Role.BLOCK_OWNER: "ответственный за отраслевой блок",
    Role.ANALYST: "аналитик",
    Role.GOSPABLIKI: "ответственный за госпаблики",
    Role.POS: "ответственный за ПОС",
}


def can(user: User, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[user.role]


def department_scope(user: User) -> str | None:
    """The one department whose cases this user is limited to, or None for all departments."""
    return user.department_id if user.role is Role.BLOCK_OWNER else None


def may_see_case(user: User, incident: Incident) -> bool:
    if not can(user, P.CASES):
        return False
    scope = department_scope(user)
    return scope is None or incident.department_id == scope


def may_work_case(user: User, incident: Incident) -> bool:
    return can(user, P.WORK_CASES) and may_see_case(user, incident)
