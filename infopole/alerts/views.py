"""Plain records the store hands out: an alert with its updates, and a delivery job to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class UpdateView:
    key: str
    severity: str
    title: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AlertView:
    id: int
    key: str
    kind: str
    severity: str
    title: str
    body: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    updates: tuple[UpdateView, ...] = ()  # oldest first; the first is the alert's own cause

    @property
    def later_updates(self) -> tuple[UpdateView, ...]:
        return self.updates[1:]


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    id: int
    idempotency_key: str
    purpose: str  # alert / update / escalation
    recipient: str
    channel: str
    address: str
    digest: bool
    attempts: int  # including the one now claimed
    alert: AlertView
    # claimed again from a dispatcher that died mid-send: the earlier attempt may have reached
    # the receiver, so the message says it may be a repeat (Telegram has no idempotency key)
    resumed: bool = False
