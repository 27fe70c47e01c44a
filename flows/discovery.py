"""Candidate sources from the municipality's settlement names, stored for the administrator.

Each platform this installation can search is searched (VK and OK need their credentials; the
Telegram preview needs none, and also reads channel mentions in the latest stored texts). Candidates
go to ``infopole.storage.candidates``: one row per (kind, target), found again → updated, and a
decision (approved, rejected) is kept, so a re-run adds nothing new and never resurrects a rejected
group. The administrator decides with ``infopole sources candidates / approve / reject``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from crawlers.discovery.run import DiscoveryRun
from infopole.runtime import Runtime
from infopole.storage.candidates import CandidateStore
from infopole.storage.tables import PostRow

PLATFORMS = ("vk", "ok", "telegram")
RECENT_TEXTS = 5000  # stored texts read for t.me mentions


@dataclass
class DiscoveryReport:
    found: int = 0
    new: int = 0
    updated: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # platform → why it was not searched

    def as_dict(self) -> dict[str, object]:
        return {"found": self.found, "new": self.new, "updated": self.updated, "skipped": dict(self.skipped)}


def recent_texts(runtime: Runtime, limit: int = RECENT_TEXTS) -> list[str]:
    with runtime.db.session() as session:
        query = select(PostRow.text).order_by(PostRow.published_at.desc()).limit(limit)
        return [text for text in session.scalars(query) if text]


def search(runtime: Runtime, platforms: Collection[str] = PLATFORMS) -> DiscoveryRun:
    """One discovery run over the wanted platforms this installation can search."""
    from crawlers.discovery.ok import OkDiscovery
    from crawlers.discovery.run import discover
    from crawlers.discovery.score import TerritoryScorer
    from crawlers.discovery.telegram import TelegramDiscovery
    from crawlers.discovery.vk import VkDiscovery
    from crawlers.ok.client import OkClient
    from crawlers.telegram.fetch import PreviewFetcher
    from crawlers.vk.client import VkClient

    unknown = set(platforms) - set(PLATFORMS)
    if unknown:
        raise ValueError(f"unknown platforms {sorted(unknown)}; expected some of {PLATFORMS}")
    settings = runtime.settings
    scorer = TerritoryScorer(runtime.municipality)
    vk = ok = telegram = None
    if "vk" in platforms and settings.vk_token is not None:
        vk = VkDiscovery(VkClient.from_settings(settings, db=runtime.db), scorer)  # shared limiter
    if "ok" in platforms and settings.ok_access_token is not None:
        ok = OkDiscovery(OkClient.from_settings(settings), scorer)
    if "telegram" in platforms:
        telegram = TelegramDiscovery(PreviewFetcher(settings.telegram_preview_url), scorer)
    run = discover(
        runtime.municipality,
        vk=vk,
        ok=ok,
        telegram=telegram,
        texts=recent_texts(runtime) if telegram else (),
    )
    run.failed = {name: reason for name, reason in run.failed.items() if name in platforms}
    return run


def store(runtime: Runtime, run: DiscoveryRun, now: datetime) -> DiscoveryReport:
    saved = CandidateStore(runtime.db).save(run.candidates, now)
    return DiscoveryReport(len(run.candidates), saved.new, saved.updated, dict(run.failed))
