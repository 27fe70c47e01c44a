"""VK candidates: ``groups.search`` by settlement name, ``groups.getById`` for the description,
members and city, and a sample of ``wall.get`` for what the community writes about.

The searches and the wall samples go through ``execute`` (25 calls per request), so a
district of 13 settlements costs two requests for the search instead of 26.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crawlers.discovery.score import TerritoryScorer
from crawlers.vk.client import VkClient
from crawlers.vk.execute import ApiCall, Executor
from infopole.domain.candidate import Candidate
from infopole.domain.source import SourceKind

log = logging.getLogger(__name__)

SEARCH_CAP = 1000  # groups.search count limit
GET_BY_ID_CAP = 500  # group ids per groups.getById


@dataclass(frozen=True)
class VkDiscoveryConfig:
    search_count: int = 100  # per query and type; VK allows up to 1000
    types: tuple[str, ...] = ("group", "page")  # groups.search ``type``; events are not sources
    sample_posts: int = 20  # wall.get count for the share of posts mentioning local places
    max_candidates: int = 300


class VkDiscovery:
    def __init__(
        self, client: VkClient, scorer: TerritoryScorer, config: VkDiscoveryConfig | None = None
    ) -> None:
        self.client = client
        self.scorer = scorer
        self.config = config or VkDiscoveryConfig()
        self.executor = Executor(client)

    def discover(self, queries: Sequence[str], known: Collection[str] = ()) -> list[Candidate]:
        """Candidates for ``queries`` (settlement names); ``known``: owner ids already configured."""
        found = self._search(queries)
        ids = [gid for gid in found if str(-gid) not in known][: self.config.max_candidates]
        groups = self._groups(ids)
        samples = self._samples([g for g in groups if not g.get("is_closed")])
        candidates = []
        for group in groups:
            gid = int(group["id"])
            description = str(group.get("description") or "")
            city = (group.get("city") or {}).get("title") if isinstance(group.get("city"), Mapping) else None
            texts = samples.get(gid, [])
            factors, settlement = self.scorer.factors(
                title=str(group.get("name") or ""), description=description, city=city, texts=texts
            )
            screen = group.get("screen_name") or f"club{gid}"
            candidates.append(
                Candidate(
                    kind=SourceKind.VK_WALL,
                    target=str(-gid),
                    title=str(group.get("name") or screen),
                    url=f"https://vk.com/{screen}",
                    description=description,
                    members=group.get("members_count"),
                    city=city,
                    settlement=settlement,
                    found_by=tuple(sorted(found[gid])),
                    sample_size=len(texts),
                    factors=factors,
                )
            )
        return candidates

    def _search(self, queries: Sequence[str]) -> dict[int, set[str]]:
        count = min(self.config.search_count, SEARCH_CAP)
        calls = [
            ApiCall("groups.search", {"q": query, "type": kind, "count": count})
            for query in queries
            for kind in self.config.types
        ]
        found: dict[int, set[str]] = {}
        for result in self.executor.run(calls):
            if result.error is not None:
                log.warning("VK groups.search %r failed: %s", result.call.params.get("q"), result.error)
                continue
            for item in (result.response or {}).get("items") or ():
                found.setdefault(int(item["id"]), set()).add(f"vk:{result.call.params['q']}")
        return found

    def _groups(self, ids: list[int]) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = []
        for start in range(0, len(ids), GET_BY_ID_CAP):
            response = self.client.call(
                "groups.getById",
                group_ids=ids[start : start + GET_BY_ID_CAP],
                fields="description,members_count,city",
            )
            groups += response.get("groups", []) if isinstance(response, Mapping) else response
        return groups

    def _samples(self, groups: list[dict[str, Any]]) -> dict[int, list[str]]:
        calls = [
            ApiCall("wall.get", {"owner_id": -int(group["id"]), "count": self.config.sample_posts})
            for group in groups
        ]
        samples: dict[int, list[str]] = {}
        for group, result in zip(groups, self.executor.run(calls), strict=True):
            if result.error is not None:  # a closed or banned wall: no sample, the other factors decide
                continue
            items = (result.response or {}).get("items") or ()
            samples[int(group["id"])] = [str(item.get("text") or "") for item in items if item.get("text")]
        return samples
