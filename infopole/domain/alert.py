"""An alert for the куратор: one per cause (``key``), so re-running detection never repeats it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AlertKind(StrEnum):
    RISK = "risk"
    WATCHLIST = "watchlist"
    SPIKE = "spike"
    STORY = "story"
    SILENCE = "silence"
    SLA = "sla"
    OPERATOR = "operator"  # a token expired, a collector is broken
    GOSPABLIKI_SILENCE = "gospabliki_silence"  # an official page silent longer than its norm
    GOSPABLIKI_UNANSWERED = "gospabliki_unanswered"  # a complaint under an official post unanswered


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    kind: AlertKind
    severity: str  # low / medium / high, see infopole.config.municipality.Severity
    title: str
    created_at: datetime
    body: str = ""
    details: dict[str, Any] = field(default_factory=dict)
