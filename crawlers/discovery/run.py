"""One discovery run over the platforms this installation has credentials for.

Sources the municipality file already lists are left out; what is found is returned for the
caller to store (``infopole.storage.candidates``) and show to the administrator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from crawlers.base import CollectorError
from crawlers.discovery.ok import OkDiscovery
from crawlers.discovery.telegram import TelegramDiscovery, known_channels
from crawlers.discovery.vk import VkDiscovery
from infopole.config.municipality import Municipality
from infopole.domain.candidate import Candidate
from infopole.domain.source import SourceKind


@dataclass
class DiscoveryRun:
    candidates: list[Candidate] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # platform → why it was not searched


def queries(municipality: Municipality) -> list[str]:
    """Settlement names (aliases are mostly case forms: the platforms' search handles those)."""
    return list(dict.fromkeys(settlement.name for settlement in municipality.settlements))


def discover(
    municipality: Municipality,
    *,
    vk: VkDiscovery | None = None,
    ok: OkDiscovery | None = None,
    telegram: TelegramDiscovery | None = None,
    texts: Iterable[str] = (),
) -> DiscoveryRun:
    run = DiscoveryRun()
    names = queries(municipality)
    configured = {kind: {s.target for s in municipality.sources if s.kind is kind} for kind in SourceKind}
    steps = (
        ("vk", vk, lambda d: d.discover(names, configured[SourceKind.VK_WALL])),
        ("ok", ok, lambda d: d.discover(names, configured[SourceKind.OK_GROUP])),
        (
            "telegram",
            telegram,
            lambda d: d.discover(
                names,
                texts,
                known_channels(configured[SourceKind.TG_CHANNEL] | configured[SourceKind.TG_CHAT]),
            ),
        ),
    )
    for platform, finder, action in steps:
        if finder is None:
            run.failed[platform] = "нет учётных данных"
            continue
        try:
            run.candidates += action(finder)
        except CollectorError as error:
            run.failed[platform] = f"{type(error).__name__}: {error}"
    run.candidates.sort(key=lambda candidate: -candidate.score)
    return run


def candidate_source_id(candidate: Candidate, existing_ids: Iterable[str] = ()) -> str:
    """A source id for an approved candidate: platform prefix and the page's address (its screen
    name from the URL, else the target), made unique among ``existing_ids`` with ``-2``, ``-3``…"""
    prefix = {SourceKind.VK_WALL: "vk", SourceKind.OK_GROUP: "ok"}.get(candidate.kind, "tg")
    slug = candidate.url.rstrip("/").rsplit("/", 1)[-1] if candidate.url else candidate.target
    base = re.sub(r"[^a-z0-9]+", "-", f"{prefix}-{slug}".lower()).strip("-")[:70] or prefix
    taken = set(existing_ids)
    source_id, n = base, 2
    while source_id in taken:
        source_id, n = f"{base}-{n}", n + 1
    return source_id


def source_yaml(candidate: Candidate, existing_ids: Iterable[str] = ()) -> str:
    """The ``sources:`` entry for an approved candidate, as text (what approval writes to the file)."""
    source_id = candidate_source_id(candidate, existing_ids)
    title = candidate.title.replace("'", "''")
    lines = [
        f"  - id: {source_id}",
        f"    kind: {candidate.kind.value}",
        f"    target: '{candidate.target}'",
        f"    title: '{title}'",
    ]
    if candidate.settlement:
        lines.append(f"    settlement: {candidate.settlement}")
    return "\n".join(lines) + "\n"
