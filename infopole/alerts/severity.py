"""Severity order: the config stores names, routing and escalation compare ranks."""

from __future__ import annotations

from infopole.config.municipality import Severity

RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}
LABELS = {Severity.LOW: "низкая", Severity.MEDIUM: "средняя", Severity.HIGH: "высокая"}


def rank(severity: str) -> int:
    return RANK[Severity(severity)]


def at_least(severity: str, minimum: str) -> bool:
    return rank(severity) >= rank(minimum)


def highest(*severities: str) -> str:
    return max(severities, key=rank)


def label(severity: str) -> str:
    return LABELS[Severity(severity)]
