"""Delivering the case webhook's outbox (``case_events``), written by ``IncidentStore`` with each change.

An event is claimed before it is sent (its attempt counted and its next try scheduled with the
alerts' exponential backoff), so a crash after the POST costs at most a repeat with the same
``Idempotency-Key``, which the receiver drops, and never a lost event. Events of one case go out
in version order: a later version waits while an earlier one is still pending. After
``webhook_max_attempts`` failures, or a refusal (4xx other than 408/429), an event is ``dead``:
visible, kept, and sent again by ``replay``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, delete, or_, select, update

from infopole.alerts.backoff import retry_delay
from infopole.config.municipality import Municipality
from infopole.incidents.webhook import DeliveryResult, deliver, payload
from infopole.storage.db import Database
from infopole.storage.incident_rows import load_incidents
from infopole.storage.tables import CaseEventRow, IncidentRow

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
RETRYABLE_4XX = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str
    secret: str
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class CaseEvent:
    id: int
    incident_id: int
    version: int
    event: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_status: int | None
    last_error: str
    delivered_at: datetime | None


@dataclass
class OutboxReport:
    delivered: int = 0
    failed: int = 0  # will be tried again
    dead: int = 0  # gave up this run
    waiting: int = 0  # not due yet, or behind an earlier event of the same case


class CaseEventStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def events(self, state: str | None = None, incident_id: int | None = None) -> list[CaseEvent]:
        with self.db.session() as session:
            query = select(CaseEventRow).order_by(CaseEventRow.id)
            if state is not None:
                query = query.where(CaseEventRow.state == state)
            if incident_id is not None:
                query = query.where(CaseEventRow.incident_id == incident_id)
            return [_event(row) for row in session.scalars(query)]

    def replay(self, now: datetime, ids: Iterable[int] | None = None) -> int:
        """Send dead events again (all, or those in ``ids``) from a fresh attempt count."""
        with self.db.session() as session:
            query = update(CaseEventRow).where(CaseEventRow.state == DEAD)
            if ids is not None:
                query = query.where(CaseEventRow.id.in_(list(ids)))
            values: dict[str, Any] = {"state": PENDING, "attempts": 0, "next_attempt_at": now}
            return int(session.execute(query.values(**values)).rowcount)  # type: ignore[attr-defined]

    def prune(self, before: datetime, *, webhook: bool) -> int:
        """Delete delivered events created before ``before`` — and, when no webhook is configured,
        waiting ones too, so an installation without a receiver does not grow the outbox forever
        (nor flood a receiver configured later with months of history). Dead events stay: they
        are someone's to look at."""
        kept_states = [DELIVERED] if webhook else [DELIVERED, PENDING]
        with self.db.session() as session:
            query = delete(CaseEventRow).where(
                and_(CaseEventRow.created_at < before, or_(*(CaseEventRow.state == s for s in kept_states)))
            )
            return int(session.execute(query).rowcount)  # type: ignore[attr-defined]

    def deliver_due(
        self,
        client: httpx.Client,
        target: WebhookTarget,
        municipality: Municipality,
        now: datetime,
        limit: int = 500,
    ) -> OutboxReport:
        report = OutboxReport()
        with self.db.session() as session:
            pending = list(
                session.scalars(
                    select(CaseEventRow).where(CaseEventRow.state == PENDING).order_by(CaseEventRow.id)
                )
            )
            due = [_event(row) for row in pending]
        blocked: set[int] = set()
        sent = 0
        for event in due:
            if event.incident_id in blocked or event.next_attempt_at > now or sent >= limit:
                blocked.add(event.incident_id)  # keep each case's events in order
                report.waiting += 1
                continue
            data = self._payload(event, municipality)
            if data is None or not self._claim(event, target, now):
                blocked.add(event.incident_id)
                report.waiting += 1
                continue
            sent += 1
            result = deliver(client, target.url, data, target.secret, now, attempts=1)
            outcome = self._settle(event, result, target, now)
            report.delivered += outcome == DELIVERED
            report.dead += outcome == DEAD
            report.failed += outcome == PENDING
            if outcome != DELIVERED:
                blocked.add(event.incident_id)
        return report

    def _payload(self, event: CaseEvent, municipality: Municipality) -> dict[str, Any] | None:
        """The body written with the change; for a case saved without its municipality (an old
        caller of ``IncidentStore.add``), the case as it is now under the event's version."""
        with self.db.session() as session:
            row = session.get_one(CaseEventRow, event.id)
            if row.payload is not None:
                return dict(row.payload)
            case_row = session.get(IncidentRow, event.incident_id)
            if case_row is None:
                return None
            incident = load_incidents(session, [case_row], with_updates=False)[0]
        data = payload(incident, event.event, municipality)
        data["version"] = event.version
        return data

    def _claim(self, event: CaseEvent, target: WebhookTarget, now: datetime) -> bool:
        attempt = event.attempts + 1
        key = f"case-event:{event.id}"
        delay = retry_delay(attempt, key, base=target.backoff_base, cap=target.backoff_cap)
        with self.db.session() as session:
            claimed = session.execute(
                update(CaseEventRow)
                .where(
                    CaseEventRow.id == event.id,
                    CaseEventRow.state == PENDING,
                    CaseEventRow.attempts == event.attempts,
                )
                .values(attempts=attempt, next_attempt_at=now + delay)
            )
            return bool(claimed.rowcount)  # type: ignore[attr-defined]

    def _settle(self, event: CaseEvent, result: DeliveryResult, target: WebhookTarget, now: datetime) -> str:
        status = result.status
        refused = status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX
        with self.db.session() as session:
            row = session.get_one(CaseEventRow, event.id)
            row.last_status = result.status
            if result.ok:
                row.state, row.delivered_at, row.last_error = DELIVERED, now, ""
            else:
                row.last_error = (result.error or f"HTTP {result.status}")[:500]
                if refused or row.attempts >= target.max_attempts:
                    row.state = DEAD
            return row.state


def _event(row: CaseEventRow) -> CaseEvent:
    return CaseEvent(
        id=row.id,
        incident_id=row.incident_id,
        version=row.version,
        event=row.event,
        state=row.state,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )
