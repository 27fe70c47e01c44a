"""Mapping between case rows and the domain ``Incident``/``IncidentUpdate``, both ways."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from infopole.domain.incident import (
    CaseKind,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Priority,
    RejectReason,
    UpdateAction,
)
from infopole.storage.tables import IncidentPostRow, IncidentRow, IncidentUpdateRow


def to_incident(
    row: IncidentRow, post_keys: list[str], updates: list[IncidentUpdate] | None = None
) -> Incident:
    return Incident(
        id=row.id,
        block=row.block,
        settlement=row.settlement,
        department_id=row.department_id,
        status=IncidentStatus(row.status),
        priority=Priority(row.priority),
        opened_at=row.opened_at,
        first_answer_due=row.first_answer_due,
        title=row.title,
        post_keys=post_keys,
        updates=updates or [],
        kind=CaseKind(row.kind or CaseKind.MESSAGE.value),
        street=row.street,
        description=row.description or "",
        address=row.address or "",
        lat=row.lat,
        lon=row.lon,
        channel=row.channel or "social",
        external_id=row.external_id,
        reject_reason=RejectReason(row.reject_reason) if row.reject_reason else None,
        escalated_at=row.escalated_at,
        merged_into=row.merged_into_id,
        due_at=row.due_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def fill_row(row: IncidentRow, incident: Incident) -> None:
    """Copy the mutable fields of ``incident`` onto ``row`` (the version is SQLAlchemy's)."""
    row.title = incident.title
    row.block = incident.block
    row.settlement = incident.settlement
    row.department_id = incident.department_id
    row.status = incident.status.value
    row.priority = incident.priority.value
    row.opened_at = incident.opened_at
    row.first_answer_due = incident.first_answer_due
    row.kind = incident.kind.value
    row.street = incident.street
    row.description = incident.description
    row.address = incident.address
    row.lat = incident.lat
    row.lon = incident.lon
    row.channel = incident.channel
    row.external_id = incident.external_id
    row.reject_reason = incident.reject_reason.value if incident.reject_reason else None
    row.escalated_at = incident.escalated_at
    row.merged_into_id = incident.merged_into
    row.due_at = incident.due_at


def update_row(incident_id: int, update: IncidentUpdate) -> IncidentUpdateRow:
    return IncidentUpdateRow(
        incident_id=incident_id,
        at=update.at,
        actor=update.actor[:80],
        status=update.status.value,
        department_id=update.department_id,
        note=update.note,
        action=update.action.value,
        previous_status=update.previous_status.value if update.previous_status else None,
        previous_department_id=update.previous_department_id,
        held_hours=update.held_hours,
        reason=update.reason,
        link=update.link,
        formal=update.formal,
    )


def to_update(row: IncidentUpdateRow) -> IncidentUpdate:
    return IncidentUpdate(
        at=row.at,
        actor=row.actor,
        status=IncidentStatus(row.status),
        department_id=row.department_id,
        note=row.note,
        action=UpdateAction(row.action),
        previous_status=IncidentStatus(row.previous_status) if row.previous_status else None,
        previous_department_id=row.previous_department_id,
        held_hours=row.held_hours,
        reason=row.reason,
        link=row.link or "",
        formal=bool(row.formal),
    )


def load_posts(session: Session, ids: list[int]) -> dict[int, list[str]]:
    links: dict[int, list[str]] = {}
    if ids:
        query = select(IncidentPostRow).where(IncidentPostRow.incident_id.in_(ids))
        for link in session.scalars(query.order_by(IncidentPostRow.added_at, IncidentPostRow.post_key)):
            links.setdefault(link.incident_id, []).append(link.post_key)
    return links


def load_updates(session: Session, ids: list[int]) -> dict[int, list[IncidentUpdate]]:
    updates: dict[int, list[IncidentUpdate]] = {}
    if ids:
        query = select(IncidentUpdateRow).where(IncidentUpdateRow.incident_id.in_(ids))
        for row in session.scalars(query.order_by(IncidentUpdateRow.at, IncidentUpdateRow.id)):
            updates.setdefault(row.incident_id, []).append(to_update(row))
    return updates


def load_incidents(session: Session, rows: list[IncidentRow], with_updates: bool = True) -> list[Incident]:
    ids = [row.id for row in rows]
    posts = load_posts(session, ids)
    updates = load_updates(session, ids) if with_updates else {}
    return [to_incident(row, posts.get(row.id, []), updates.get(row.id, [])) for row in rows]
