"""Persisting cases: each incident post joins or opens exactly one case, however often it is re-run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.incident import Incident, IncidentStatus, IncidentUpdate, Priority
from infopole.domain.post import Post
from infopole.incidents.cases import open_incident
from infopole.storage.db import Database
from infopole.storage.tables import IncidentPostRow, IncidentRow, IncidentUpdateRow


@dataclass
class CaseReport:
    opened: int = 0
    joined: int = 0


class IncidentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def take_incidents(
        self, pairs: Iterable[tuple[Post, Analysis]], municipality: Municipality, now: datetime
    ) -> CaseReport:
        """Open a case per new incident post; a comment under a post already in a case joins it."""
        report = CaseReport()
        with self.db.session() as session:
            for post, analysis in pairs:
                if not analysis.is_incident:
                    continue
                if session.scalar(
                    select(IncidentPostRow.incident_id).where(IncidentPostRow.post_key == post.key)
                ):
                    continue
                parent_case = None
                if post.parent_key:
                    parent_case = session.scalar(
                        select(IncidentPostRow.incident_id).where(IncidentPostRow.post_key == post.parent_key)
                    )
                if parent_case is not None:
                    session.add(IncidentPostRow(incident_id=parent_case, post_key=post.key, added_at=now))
                    report.joined += 1
                    continue
                incident = open_incident(post, analysis, municipality, now)
                row = IncidentRow(
                    title=incident.title,
                    block=incident.block,
                    settlement=incident.settlement,
                    department_id=incident.department_id,
                    status=incident.status.value,
                    priority=incident.priority.value,
                    opened_at=incident.opened_at,
                    first_answer_due=incident.first_answer_due,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
                session.add(IncidentPostRow(incident_id=row.id, post_key=post.key, added_at=now))
                for update in incident.updates:
                    session.add(_update_row(row.id, update))
                report.opened += 1
        return report

    def list(self, open_only: bool = False, limit: int = 500) -> list[Incident]:
        with self.db.session() as session:
            query = select(IncidentRow).order_by(IncidentRow.opened_at.desc(), IncidentRow.id.desc())
            if open_only:
                closed = [s.value for s in IncidentStatus if not s.is_open]
                query = query.where(IncidentRow.status.not_in(closed))
            rows = list(session.scalars(query.limit(limit)))
            links: dict[int, list[str]] = {}
            if rows:
                post_query = select(IncidentPostRow).where(
                    IncidentPostRow.incident_id.in_([r.id for r in rows])
                )
                for link in session.scalars(post_query.order_by(IncidentPostRow.added_at)):
                    links.setdefault(link.incident_id, []).append(link.post_key)
            return [_to_incident(row, links.get(row.id, [])) for row in rows]


def _update_row(incident_id: int, update: IncidentUpdate) -> IncidentUpdateRow:
    return IncidentUpdateRow(
        incident_id=incident_id,
        at=update.at,
        actor=update.actor,
        status=update.status.value,
        department_id=update.department_id,
        note=update.note,
    )


def _to_incident(row: IncidentRow, post_keys: list[str]) -> Incident:
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
    )
