"""What the NLP says about one post: the records ``nlp`` produces and the index stores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Entity:
    type: str  # PER, LOC, ORG
    text: str
    normal: str
    start: int
    stop: int


@dataclass(frozen=True, slots=True)
class Address:
    """An address found in text and linked to the municipality's gazetteer where possible."""

    text: str
    settlement: str | None = None
    street: str | None = None
    house: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """The contract of ``infopole analyze``: one of these per input post, in order."""

    post_key: str
    model_id: str
    block: str | None = None
    blocks: tuple[str, ...] = ()
    block_scores: dict[str, float] = field(default_factory=dict)
    # a taxonomy subtopic of one of ``blocks``, only when confident (``nlp.subtopic``); analyses
    # stored before it existed read back as None / 0.0
    subtopic: str | None = None
    subtopic_score: float = 0.0
    sentiment: str = "neutral"
    sentiment_scores: dict[str, float] = field(default_factory=dict)
    is_incident: bool = False
    incident_score: float = 0.0
    incident_reason: str = ""
    toxicity: float = 0.0
    risk_score: float = 0.0
    risk_factors: tuple[str, ...] = ()
    entities: tuple[Entity, ...] = ()
    addresses: tuple[Address, ...] = ()
    settlement: str | None = None
    lemmas: str = ""  # space-separated lemmas of title and text, for the index
    language: str = "ru"
    duplicate_of: str | None = None
    story_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("blocks", "risk_factors"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Analysis:
        data = dict(data)
        data["blocks"] = tuple(data.get("blocks") or ())
        data["risk_factors"] = tuple(data.get("risk_factors") or ())
        data["entities"] = tuple(Entity(**item) for item in data.get("entities") or ())
        data["addresses"] = tuple(Address(**item) for item in data.get("addresses") or ())
        return cls(**data)
