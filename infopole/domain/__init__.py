"""The canonical records of Infopole: plain frozen dataclasses with a JSON round-trip, no I/O."""

from infopole.domain.analysis import Address, Analysis, Entity
from infopole.domain.post import Attachment, Geo, Metrics, Platform, Post, PostKind, RawPayload
from infopole.domain.source import Source, SourceKind

__all__ = [
    "Address",
    "Analysis",
    "Attachment",
    "Entity",
    "Geo",
    "Metrics",
    "Platform",
    "Post",
    "PostKind",
    "RawPayload",
    "Source",
    "SourceKind",
]
