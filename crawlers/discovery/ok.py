"""OK candidates: ``search.quick`` (``types=GROUP``) by settlement name, ``group.getInfo`` for the
description, members and city, and ``mediatopic.getTopics`` for a sample of posts."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from crawlers.base import AuthError, CollectorError, RateLimited
from crawlers.discovery.score import TerritoryScorer
from crawlers.ok.client import OkClient
from infopole.domain.candidate import Candidate
from infopole.domain.source import SourceKind

log = logging.getLogger(__name__)

GET_INFO_CAP = 100  # uids per group.getInfo


@dataclass(frozen=True)
class OkDiscoveryConfig:
    search_count: int = 50
    sample_posts: int = 20
    max_candidates: int = 200


class OkDiscovery:
    def __init__(
        self, client: OkClient, scorer: TerritoryScorer, config: OkDiscoveryConfig | None = None
    ) -> None:
        self.client = client
        self.scorer = scorer
        self.config = config or OkDiscoveryConfig()

    def discover(self, queries: Sequence[str], known: Collection[str] = ()) -> list[Candidate]:
        found: dict[str, set[str]] = {}
        for query in queries:
            answer = self.client.call(
                "search.quick", query=query, types="GROUP", count=self.config.search_count
            )
            for group in (answer.get("entities") or {}).get("groups") or ():
                found.setdefault(str(group["uid"]), set()).add(f"ok:{query}")
        ids = [gid for gid in found if gid not in known][: self.config.max_candidates]
        candidates = []
        for start in range(0, len(ids), GET_INFO_CAP):
            infos = self.client.call(
                "group.getInfo",
                uids=ids[start : start + GET_INFO_CAP],
                fields="uid,name,description,shortname,members_count,city",
            )
            for info in infos:
                candidates.append(self._candidate(info, found[str(info["uid"])]))
        return candidates

    def _candidate(self, info: dict[str, Any], found_by: set[str]) -> Candidate:
        gid = str(info["uid"])
        description = str(info.get("description") or "")
        city = info.get("city") or None
        texts = self._sample(gid)
        factors, settlement = self.scorer.factors(
            title=str(info.get("name") or ""), description=description, city=city, texts=texts
        )
        return Candidate(
            kind=SourceKind.OK_GROUP,
            target=gid,
            title=str(info.get("name") or gid),
            url=f"https://ok.ru/{info.get('shortname') or 'group/' + gid}",
            description=description,
            members=info.get("members_count"),
            city=city,
            settlement=settlement,
            found_by=tuple(sorted(found_by)),
            sample_size=len(texts),
            factors=factors,
        )

    def _sample(self, gid: str) -> list[str]:
        try:
            answer = self.client.call("mediatopic.getTopics", gid=gid, count=self.config.sample_posts)
        except (AuthError, RateLimited):
            raise
        except CollectorError as exc:  # a closed group: no sample, the other factors decide
            log.info("OK group %s: no sample (%s)", gid, exc)
            return []
        texts = []
        for topic in answer.get("media_topics") or ():
            text = " ".join(m.get("text", "") for m in topic.get("media") or () if m.get("type") == "text")
            if text.strip():
                texts.append(text.strip())
        return texts
