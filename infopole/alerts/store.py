"""The alerts outbox in the database: alerts, their grouped updates and per-recipient deliveries.

``record`` writes an alert *and* its deliveries in one transaction: once it commits, the
decision to notify survives any crash, and until it commits nothing was decided. Every
write is keyed (the cause's ``key``, the delivery's ``idempotency_key``), so running the
same detection twice writes nothing the second time.

Grouping and throttling live here because they need the stored state: a cause whose
``details["group"]`` names an existing alert becomes an update of it, and its deliveries
are coalesced with any still pending for the same person and channel, and held until
``throttle_minutes`` after the last one sent (unless the update raised the severity to high).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from infopole.alerts.routing import Planned, plan, plan_escalation
from infopole.alerts.severity import rank
from infopole.alerts.views import AlertView, DeliveryJob, UpdateView
from infopole.config.municipality import Municipality, Severity
from infopole.domain.alert import Alert, AlertKind
from infopole.storage.db import Database
from infopole.storage.tables import AlertDeliveryRow, AlertRow, AlertUpdateRow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
INTERRUPTED = "прервана попытка отправки: исход неизвестен, отправляется повторно с тем же ключом"


@dataclass
class RecordReport:
    new: int = 0
    updates: int = 0
    duplicates: int = 0
    deliveries: int = 0


def delivery_key(alert_key: str, purpose: str, cause_key: str, planned: Planned) -> str:
    """Deterministic: the same decision always has the same key (also the e-mail's Message-ID)."""
    raw = f"{alert_key}|{purpose}|{cause_key}|{planned.recipient}|{planned.channel.value}|{planned.address}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


class AlertStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- deciding ---------------------------------------------------------------------------

    def record(self, alerts: Iterable[Alert], municipality: Municipality, now: datetime) -> RecordReport:
        report = RecordReport()
        with self.db.session() as session:
            for alert in alerts:
                if session.scalar(select(AlertUpdateRow.id).where(AlertUpdateRow.key == alert.key)):
                    report.duplicates += 1
                    continue
                group = str(alert.details.get("group") or alert.key)
                row = session.scalar(select(AlertRow).where(AlertRow.key == group))
                if row is None:
                    report.deliveries += self._open(session, group, alert, municipality, now)
                    report.new += 1
                else:
                    report.deliveries += self._append(session, row, alert, municipality, now)
                    report.updates += 1
        return report

    def _open(
        self, session: Session, group: str, alert: Alert, municipality: Municipality, now: datetime
    ) -> int:
        row = AlertRow(
            key=group,
            kind=alert.kind.value,
            severity=alert.severity,
            title=alert.title,
            body=alert.body,
            created_at=now,
            details=dict(alert.details),
        )
        session.add(row)
        session.flush()
        session.add(_update_row(row.id, alert))
        planned = plan(
            municipality.recipients,
            row.kind,
            row.severity,
            row.details,
            now,
            municipality.alerts,
            municipality.tz,
        )
        for item in planned:
            session.add(_delivery(row.id, delivery_key(group, "alert", alert.key, item), "alert", item, now))
        return len(planned)

    def _append(
        self, session: Session, row: AlertRow, alert: Alert, municipality: Municipality, now: datetime
    ) -> int:
        session.add(_update_row(row.id, alert))
        raised_to_high = alert.severity == Severity.HIGH and rank(alert.severity) > rank(row.severity)
        if rank(alert.severity) > rank(row.severity):
            row.severity = alert.severity
        details = {**alert.details, **row.details}  # routing by the alert's own block, roles added by updates
        details["roles"] = sorted({*(row.details.get("roles") or ()), *(alert.details.get("roles") or ())})
        row.details = details
        throttle = timedelta(minutes=municipality.alerts.throttle_minutes)
        planned = plan(
            municipality.recipients,
            row.kind,
            row.severity,
            details,
            now,
            municipality.alerts,
            municipality.tz,
        )
        added = 0
        for item in planned:
            same = (
                AlertDeliveryRow.alert_id == row.id,
                AlertDeliveryRow.recipient == item.recipient,
                AlertDeliveryRow.channel == item.channel.value,
            )
            pending = session.scalar(
                select(AlertDeliveryRow).where(*same, AlertDeliveryRow.status == PENDING)
            )
            if pending is not None:  # it will render the alert as it is when sent: this update included
                if raised_to_high:
                    pending.next_attempt_at = min(pending.next_attempt_at, now)
                continue
            last = session.scalar(
                select(AlertDeliveryRow.sent_at)
                .where(*same, AlertDeliveryRow.sent_at.is_not(None))
                .order_by(AlertDeliveryRow.sent_at.desc())
                .limit(1)
            )
            not_before = item.not_before
            if last is not None and not raised_to_high:
                not_before = max(not_before, last + throttle)
            key = delivery_key(row.key, "update", alert.key, item)
            session.add(_delivery(row.id, key, "update", item, now, not_before))
            added += 1
        return added

    def escalate(self, municipality: Municipality, now: datetime) -> int:
        """High-severity alerts unacknowledged for ``escalation_minutes`` go to the escalation role, once."""
        config = municipality.alerts
        cutoff = now - timedelta(minutes=config.escalation_minutes)
        escalated = 0
        with self.db.session() as session:
            rows = session.scalars(
                select(AlertRow).where(
                    AlertRow.severity == Severity.HIGH.value,
                    AlertRow.acknowledged_at.is_(None),
                    AlertRow.created_at <= cutoff,
                )
            )
            for row in list(rows):
                key = f"escalation:{row.key}"
                if session.scalar(select(AlertUpdateRow.id).where(AlertUpdateRow.key == key)):
                    continue
                minutes = config.escalation_minutes
                escalation = Alert(
                    key=key,
                    kind=AlertKind(row.kind),
                    severity=Severity.HIGH.value,
                    title=f"Не подтверждено за {minutes} мин: {row.title}",
                    created_at=now,
                    body=f"Оповещение высокой важности не подтверждено за {minutes} мин и передано выше.",
                )
                session.add(_update_row(row.id, escalation))
                for item in plan_escalation(municipality.recipients, config, now):
                    session.add(
                        _delivery(
                            row.id, delivery_key(row.key, "escalation", key, item), "escalation", item, now
                        )
                    )
                escalated += 1
        return escalated

    def acknowledge(self, alert_id: int, by: str, now: datetime) -> bool:
        """From the dashboard or a Telegram button; True if this call acknowledged it (not earlier)."""
        with self.db.session() as session:
            row = session.get(AlertRow, alert_id)
            if row is None or row.acknowledged_at is not None:
                return False
            row.acknowledged_at = now
            row.acknowledged_by = by[:80]
            return True

    # --- sending ----------------------------------------------------------------------------

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 100) -> list[DeliveryJob]:
        """Mark due deliveries ``sending`` and hand them out. A delivery left ``sending`` longer than
        ``lease`` belonged to a dispatcher that died: it is claimed again (at-least-once)."""
        with self.db.session() as session:
            rows = list(
                session.scalars(
                    select(AlertDeliveryRow)
                    .where(
                        or_(
                            and_(AlertDeliveryRow.status == PENDING, AlertDeliveryRow.next_attempt_at <= now),
                            and_(
                                AlertDeliveryRow.status == SENDING, AlertDeliveryRow.claimed_at <= now - lease
                            ),
                        )
                    )
                    .order_by(AlertDeliveryRow.next_attempt_at, AlertDeliveryRow.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            resumed = {row.id for row in rows if row.status == SENDING}
            for row in rows:
                if row.id in resumed:
                    row.last_error = INTERRUPTED
                row.status = SENDING
                row.attempts += 1
                row.claimed_at = now
            views = _views(session, {row.alert_id for row in rows})
            return [
                DeliveryJob(
                    row.id,
                    row.idempotency_key,
                    row.purpose,
                    row.recipient,
                    row.channel,
                    row.address,
                    row.digest,
                    row.attempts,
                    views[row.alert_id],
                    row.id in resumed,
                )
                for row in rows
            ]

    def confirm_claim(self, jobs: Sequence[DeliveryJob], now: datetime) -> list[DeliveryJob]:
        """The jobs still ours, their lease renewed, right before they go on the wire.

        ``claim_due`` hands out a whole batch; if sending it took longer than the lease, another
        dispatcher may have re-claimed a row meanwhile (and sent it). A claim is identified by the
        attempt number it set, so a row whose attempts moved on, or that is no longer ``sending``,
        is someone else's now and is not sent again. This closes the "slow dispatcher" road to a
        duplicate; what is left is one network call (bounded by the channel's timeout, far below
        the lease) and the crash window described in ``dispatch``."""
        if not jobs:
            return []
        mine = []
        with self.db.session() as session:
            for job in jobs:
                done = session.execute(
                    sql_update(AlertDeliveryRow)
                    .where(
                        AlertDeliveryRow.id == job.id,
                        AlertDeliveryRow.status == SENDING,
                        AlertDeliveryRow.attempts == job.attempts,
                    )
                    .values(claimed_at=now)
                )
                if getattr(done, "rowcount", 0) == 1:
                    mine.append(job)
        return mine

    def mark_sent(self, ids: Sequence[int], now: datetime, remote_id: str = "") -> None:
        with self.db.session() as session:
            for row in _rows(session, ids):
                row.status, row.sent_at, row.remote_id, row.last_error = SENT, now, remote_id[:200], ""

    def mark_retry(self, ids: Sequence[int], error: str, at: datetime) -> None:
        with self.db.session() as session:
            for row in _rows(session, ids):
                row.status, row.next_attempt_at, row.last_error = PENDING, at, error[:2000]

    def mark_failed(self, ids: Sequence[int], error: str) -> None:
        with self.db.session() as session:
            for row in _rows(session, ids):
                row.status, row.last_error = FAILED, error[:2000]

    # --- reading ----------------------------------------------------------------------------

    def get(self, alert_id: int) -> AlertView | None:
        with self.db.session() as session:
            return _views(session, {alert_id}).get(alert_id)

    def by_key(self, key: str) -> AlertView | None:
        with self.db.session() as session:
            alert_id = session.scalar(select(AlertRow.id).where(AlertRow.key == key))
            return _views(session, {alert_id}).get(alert_id) if alert_id is not None else None

    def latest(self, limit: int = 100) -> list[AlertView]:
        with self.db.session() as session:
            ids = list(session.scalars(select(AlertRow.id).order_by(AlertRow.created_at.desc()).limit(limit)))
            views = _views(session, set(ids))
            return [views[i] for i in ids]

    def deliveries(self, alert_id: int | None = None) -> list[AlertDeliveryRow]:
        """For the dashboard's "failed deliveries" list and for tests; rows are detached copies."""
        with self.db.session() as session:
            query = select(AlertDeliveryRow).order_by(AlertDeliveryRow.id)
            if alert_id is not None:
                query = query.where(AlertDeliveryRow.alert_id == alert_id)
            return list(session.scalars(query))


def _rows(session: Session, ids: Sequence[int]) -> list[AlertDeliveryRow]:
    return list(session.scalars(select(AlertDeliveryRow).where(AlertDeliveryRow.id.in_(list(ids)))))


def _update_row(alert_id: int, alert: Alert) -> AlertUpdateRow:
    return AlertUpdateRow(
        alert_id=alert_id,
        key=alert.key,
        severity=alert.severity,
        title=alert.title,
        body=alert.body,
        created_at=alert.created_at,
        details=dict(alert.details),
    )


def _delivery(
    alert_id: int, key: str, purpose: str, item: Planned, now: datetime, not_before: datetime | None = None
) -> AlertDeliveryRow:
    return AlertDeliveryRow(
        idempotency_key=key,
        alert_id=alert_id,
        purpose=purpose,
        recipient=item.recipient[:300],
        channel=item.channel.value,
        address=item.address[:300],
        digest=item.digest,
        status=PENDING,
        attempts=0,
        next_attempt_at=not_before or item.not_before,
        created_at=now,
        last_error="",
        remote_id="",
    )


def _views(session: Session, ids: set[int]) -> dict[int, AlertView]:
    if not ids:
        return {}
    updates: dict[int, list[UpdateView]] = {}
    query = select(AlertUpdateRow).where(AlertUpdateRow.alert_id.in_(ids)).order_by(AlertUpdateRow.id)
    for update in session.scalars(query):
        updates.setdefault(update.alert_id, []).append(
            UpdateView(update.key, update.severity, update.title, update.body, update.created_at)
        )
    return {
        row.id: AlertView(
            row.id,
            row.key,
            row.kind,
            row.severity,
            row.title,
            row.body,
            row.created_at,
            row.acknowledged_at,
            row.acknowledged_by,
            dict(row.details),
            tuple(updates.get(row.id, ())),
        )
        for row in session.scalars(select(AlertRow).where(AlertRow.id.in_(ids)))
    }
