"""Who gets an alert, over which channel, and when: pure decisions over the recipients list.

A recipient gets an alert if it is at least their ``min_severity`` and within their blocks and
kinds, or if the alert names their role (an overdue case goes to the куратор whatever his
filters). When: at once for high severity; otherwise held until the end of quiet hours
(municipality time) or until the daily digest for recipients who chose it. Nothing is dropped,
only postponed, so quiet hours never lose an alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infopole.alerts.severity import at_least
from infopole.config.municipality import AlertsConfig, Channel, QuietHours, Recipient, Severity


@dataclass(frozen=True, slots=True)
class Planned:
    recipient: str
    channel: Channel
    address: str
    not_before: datetime
    digest: bool = False


def wants(recipient: Recipient, kind: str, severity: str, details: Mapping[str, Any]) -> bool:
    if recipient.role.value in (details.get("roles") or ()):
        return True
    if not at_least(severity, recipient.min_severity):
        return False
    if recipient.kinds and kind not in recipient.kinds:
        return False
    return not recipient.blocks or details.get("block") in recipient.blocks


def quiet_until(now: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime | None:
    """The end of the quiet period ``now`` falls in (local time), or None outside quiet hours."""
    if not quiet.enabled or quiet.start == quiet.end:
        return None
    local = now.astimezone(tz)
    clock = local.time()
    wraps = quiet.start > quiet.end  # 22:00–08:00 crosses midnight
    inside = (clock >= quiet.start or clock < quiet.end) if wraps else quiet.start <= clock < quiet.end
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1) if wraps and clock >= quiet.start else local.date()
    return datetime.combine(end_day, quiet.end, tz)


def next_local(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The next moment (strictly after ``now``) when the local clock shows ``at``."""
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tz)
    return candidate if candidate > local else datetime.combine(local.date() + timedelta(days=1), at, tz)


def when(
    recipient: Recipient, severity: str, now: datetime, config: AlertsConfig, tz: ZoneInfo
) -> tuple[datetime, bool]:
    """(not before, in the digest?) for one recipient."""
    if severity == Severity.HIGH:
        return now, False
    if recipient.digest:
        return next_local(now, config.digest_at, tz), True
    if recipient.quiet_hours and (until := quiet_until(now, config.quiet_hours, tz)) is not None:
        return until, False
    return now, False


def plan(
    recipients: Sequence[Recipient],
    kind: str,
    severity: str,
    details: Mapping[str, Any],
    now: datetime,
    config: AlertsConfig,
    tz: ZoneInfo,
) -> list[Planned]:
    planned = []
    for recipient in recipients:
        if not wants(recipient, kind, severity, details):
            continue
        not_before, digest = when(recipient, severity, now, config, tz)
        for channel, address in recipient.addresses().items():
            planned.append(Planned(recipient.id, channel, address, not_before, digest))
    return planned


def plan_escalation(recipients: Sequence[Recipient], config: AlertsConfig, now: datetime) -> list[Planned]:
    """An escalation goes at once to the escalation role, past quiet hours, digests and filters."""
    return [
        Planned(recipient.id, channel, address, now)
        for recipient in recipients
        if recipient.role is config.escalate_to
        for channel, address in recipient.addresses().items()
    ]
