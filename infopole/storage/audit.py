"""The audit trail of 152-ФЗ: who viewed or changed what, when, from where. Append-only here:
there is no update or delete, so the web application cannot rewrite its own history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from infopole.domain.user import AuditEvent
from infopole.storage.db import Database
from infopole.storage.tables import AuditEventRow


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, event: AuditEvent) -> None:
        with self.db.session() as session:
            session.add(
                AuditEventRow(
                    at=event.at,
                    actor=event.actor[:80],
                    action=event.action[:40],
                    object_type=event.object_type[:40],
                    object_id=event.object_id[:200],
                    before=event.before,
                    after=event.after,
                    client=event.client[:80],
                )
            )

    def latest(
        self, limit: int = 200, actor: str | None = None, since: datetime | None = None
    ) -> list[AuditEvent]:
        with self.db.session() as session:
            query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)
            if actor:
                query = query.where(AuditEventRow.actor == actor)
            if since is not None:
                query = query.where(AuditEventRow.at >= since)
            return [_event(row) for row in session.scalars(query)]

    def count(self) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        at=row.at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        before=row.before,
        after=row.after,
        client=row.client,
    )
