"""Subscriber counts of official pages, where the platform exposes them: VK ``groups.getById`` with
``fields=members_count``. Counts are stored once a day per page (``GospablikiStore``), which is the
subscribers trend of the monthly report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from crawlers.base import CollectorError
from infopole.config.municipality import Municipality
from infopole.domain.source import Source, SourceKind
from infopole.gospabliki.store import GospablikiStore, pages


class VkCaller(Protocol):
    def call(self, method: str, **params: Any) -> Any: ...


def vk_members(client: VkCaller, sources: Iterable[Source]) -> dict[str, int]:
    """Members of the VK communities among ``sources`` (one request for all), by source id."""
    wanted = {
        source.target.lstrip("-"): source.id
        for source in sources
        if source.kind is SourceKind.VK_WALL and source.target.startswith("-")
    }
    if not wanted:
        return {}
    response = client.call("groups.getById", group_ids=",".join(wanted), fields="members_count")
    groups = response.get("groups", []) if isinstance(response, Mapping) else response  # 5.199 / older
    return {
        wanted[str(group["id"])]: int(group["members_count"])
        for group in groups
        if str(group.get("id")) in wanted and group.get("members_count") is not None
    }


@dataclass
class SubscribersRun:
    recorded: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def record_subscribers(
    store: GospablikiStore, municipality: Municipality, vk: VkCaller | None, now: datetime
) -> SubscribersRun:
    """Measure and store today's counts of the official pages; a platform that fails is reported."""
    run = SubscribersRun()
    sources = [source for _, source in pages(municipality) if source.enabled]
    if vk is not None:
        try:
            run.recorded.update(vk_members(vk, sources))
        except CollectorError as error:
            run.failed["vk"] = str(error)
    for source_id, count in run.recorded.items():
        store.record_subscribers(source_id, count, now, municipality)
    return run
