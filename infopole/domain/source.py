"""A source of the information field: one wall, group, channel, chat or standing search.

Sources are written by the administrator in the municipality file, so the record is a
validated pydantic model (unknown keys are errors) rather than a plain dataclass.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from infopole.domain.post import Platform


class SourceKind(StrEnum):
    VK_WALL = "vk_wall"  # a community or personal page wall
    VK_SEARCH = "vk_search"  # newsfeed.search by keywords and/or geo
    OK_GROUP = "ok_group"
    TG_CHANNEL = "tg_channel"
    TG_CHAT = "tg_chat"

    @property
    def platform(self) -> Platform:
        prefix = self.value.split("_", 1)[0]
        return {"vk": Platform.VK, "ok": Platform.OK, "tg": Platform.TELEGRAM}[prefix]


class GeoArea(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: int = Field(default=5000, gt=0, le=100_000)


class Source(BaseModel):
    """``target`` is what the platform calls the place: a VK owner id (negative for a
    community), an OK group id, a Telegram channel username. Searches use ``query``/``geo``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)
    kind: SourceKind
    title: str
    target: str = ""
    query: str = ""
    geo: GeoArea | None = None
    official: bool = False  # a госпаблик of the administration or one of its institutions
    settlement: str | None = None
    enabled: bool = True

    @property
    def platform(self) -> Platform:
        return self.kind.platform

    @model_validator(mode="after")
    def _has_a_place_to_look(self) -> Source:
        if self.kind is SourceKind.VK_SEARCH:
            if not self.query and self.geo is None:
                raise ValueError("a vk_search source needs 'query' or 'geo'")
        elif not self.target:
            raise ValueError(f"a {self.kind.value} source needs 'target'")
        return self
