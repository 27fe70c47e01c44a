"""A candidate source found by discovery, scored by how tied it is to the territory, awaiting a decision.

The administrator approves or rejects candidates; approval adds the candidate to the municipality
file as a source (``infopole.sources.approval``), which stays the source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from infopole.domain.source import SourceKind


class CandidateStatus(StrEnum):
    NEW = "new"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Factor:
    """One reason for the score: ``value`` in 0..1 (``None``: no data, left out of the score)."""

    name: str  # name, description, city, posts
    weight: float
    value: float | None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight, "value": self.value, "detail": self.detail}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Factor:
        value = data.get("value")
        return cls(str(data["name"]), float(data["weight"]), None if value is None else float(value),
                   str(data.get("detail") or ""))  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    kind: SourceKind
    target: str  # what a ``Source`` of this kind takes: VK owner id, OK group id, channel username
    title: str
    url: str = ""
    description: str = ""
    members: int | None = None
    city: str | None = None
    settlement: str | None = None  # the settlement it is most tied to
    found_by: tuple[str, ...] = ()  # queries, mentions or name patterns that led to it
    sample_size: int = 0
    factors: tuple[Factor, ...] = ()
    id: int | None = None  # set once stored
    status: CandidateStatus = CandidateStatus.NEW
    first_seen_at: datetime | None = None
    decided_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """The weighted mean of the factors that have data, 0..1."""
        known = [f for f in self.factors if f.value is not None]
        total = sum(f.weight for f in known)
        if not total:
            return 0.0
        return round(sum(f.weight * (f.value or 0.0) for f in known) / total, 3)
