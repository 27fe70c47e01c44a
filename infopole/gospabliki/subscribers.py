"""Subscriber counts of official pages, where the platform exposes them, snapshotted per crawl.

* VK: ``groups.getById`` with ``fields=members_count`` (one request for every community); a
  community written as a screen name or link (``vk.com/kingisepp_adm``, ``club123``) is resolved
  the way the wall collector resolves it (``crawlers.vk.resolve``), sharing its cache;
* OK: ``group.getInfo`` with ``fields=members_count`` (one request for every group), and
  ``group.getCounters`` for a group answered without the field;
* Telegram through Telethon: ``channels.GetFullChannelRequest`` → ``full_chat.participants_count``;
* Telegram without credentials: the t.me/s preview's ``.tgme_channel_info_counter`` whose
  ``.counter_type`` is «subscribers», printed with K/M suffixes («1.2K» is 1,200: the preview rounds,
  so a small change may not show).

The readers are the clients the collectors already hold (``readers_from``), so a count costs the
same rate limits and credentials as the crawl. ``GospablikiStore`` keeps one count per page and
local day (the last crawl of the day wins): that is the subscribers trend of the drill-down and the
monthly report. A platform or a page that fails is reported and the others are still recorded.

``record_audiences`` uses the same readers and table for every other enabled wall, group and
channel, once a local day (a source already counted today is not asked again): the audience of
the risk score (``nlp.risk``), read back per post by ``PostStore.spreads``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from crawlers.base import CollectorError, SourceUnavailable
from infopole.config.municipality import Municipality
from infopole.domain.source import Source, SourceKind
from infopole.gospabliki.store import GospablikiStore, pages


class ApiCaller(Protocol):
    """``VkClient`` and ``OkClient``: ``call(method, **params)`` → the decoded answer."""

    def call(self, method: str, **params: Any) -> Any: ...


class PreviewPages(Protocol):
    """``crawlers.telegram.fetch.PreviewFetcher``: ``page(channel)`` → a Scrapy ``HtmlResponse``."""

    def page(self, channel: str, before: int | None = None) -> Any: ...


class FullChannels(Protocol):
    """``TelethonGateway`` (and the fake): ``full_channel(username)`` → ``messages.ChatFull``."""

    def full_channel(self, channel: str) -> Any: ...


VkCaller = ApiCaller  # the name the CLI and older callers use


class OwnerIds(Protocol):
    """``crawlers.vk.resolve.ScreenNameResolver``: a wall target → its owner id (negative: community)."""

    def owner_id(self, target: str) -> int: ...


@dataclass(frozen=True)
class Readers:
    vk: ApiCaller | None = None
    vk_owners: OwnerIds | None = None  # the wall collector's resolver; None: a fresh one on ``vk``
    ok: ApiCaller | None = None
    telegram: FullChannels | None = None
    telegram_preview: PreviewPages | None = None


def readers_from(collectors: Mapping[SourceKind, object]) -> Readers:
    """The clients of the runtime's collectors: ``.client`` of the VK and OK ones, ``.gateway`` of the
    Telethon collector or ``.fetcher`` of the t.me/s one."""
    telegram = collectors.get(SourceKind.TG_CHANNEL)
    gateway = getattr(telegram, "gateway", None)
    vk = collectors.get(SourceKind.VK_WALL)
    return Readers(
        vk=getattr(vk, "client", None),
        vk_owners=getattr(vk, "resolver", None),
        ok=getattr(collectors.get(SourceKind.OK_GROUP), "client", None),
        telegram=gateway if callable(getattr(gateway, "full_channel", None)) else None,
        telegram_preview=getattr(telegram, "fetcher", None),
    )


def vk_members(
    client: ApiCaller,
    sources: Iterable[Source],
    *,
    owners: OwnerIds | None = None,
    failed: dict[str, str] | None = None,
) -> dict[str, int]:
    """Members of the VK communities among ``sources`` (one request for all), by source id.

    A target is read by ``crawlers.vk.resolve`` (an id, ``club123``, a screen name or a link);
    a person's wall has no members and is left out. A screen name that does not resolve goes to
    ``failed`` (when given) and the other pages are still counted.
    """
    from crawlers.vk.resolve import ScreenNameResolver

    resolver: OwnerIds = owners if owners is not None else ScreenNameResolver(client)  # type: ignore[arg-type]
    wanted: dict[str, str] = {}
    for source in sources:
        if source.kind is not SourceKind.VK_WALL:
            continue
        try:
            owner_id = resolver.owner_id(source.target)
        except (SourceUnavailable, ValueError) as error:
            if failed is None:
                raise
            failed[source.id] = str(error)
            continue
        if owner_id < 0:
            wanted[str(-owner_id)] = source.id
    if not wanted:
        return {}
    response = client.call("groups.getById", group_ids=",".join(wanted), fields="members_count")
    groups = response.get("groups", []) if isinstance(response, Mapping) else response  # 5.199 / older
    return {
        wanted[str(group["id"])]: int(group["members_count"])
        for group in groups
        if str(group.get("id")) in wanted and group.get("members_count") is not None
    }


def ok_members(client: ApiCaller, sources: Iterable[Source]) -> dict[str, int]:
    """Members of the OK groups among ``sources``: ``group.getInfo`` answers a list of
    ``{"uid": …, "members_count": …}`` for all of them at once; a group it answers without the field
    (OK leaves out empty values) is asked ``group.getCounters`` (``counters.members``) on its own."""
    wanted = {source.target.strip(): source.id for source in sources if source.kind is SourceKind.OK_GROUP}
    if not wanted:
        return {}
    response = client.call("group.getInfo", uids=",".join(wanted), fields="members_count")
    counts: dict[str, int] = {}
    for group in response if isinstance(response, list) else []:
        gid = str(group.get("uid"))
        if gid not in wanted:
            continue
        if group.get("members_count") is not None:
            counts[wanted[gid]] = int(group["members_count"])
            continue
        counters = client.call("group.getCounters", group_id=gid, counterTypes="MEMBERS")
        members = counters.get("counters", {}).get("members") if isinstance(counters, Mapping) else None
        if members is not None:
            counts[wanted[gid]] = int(members)
    return counts


def preview_subscribers(response: Any) -> int | None:
    """The «subscribers» counter of a t.me/s page; None when the page shows none (not a channel)."""
    from crawlers.telegram.preview import parse_count

    for counter in response.css(".tgme_channel_info_counter"):
        kind = (counter.css(".counter_type::text").get() or "").strip().lower()
        if kind in ("subscribers", "subscriber", "подписчиков", "подписчика", "подписчик"):
            return parse_count(counter.css(".counter_value::text").get())
    return None


def telegram_members(
    read: Callable[[str], int | None], sources: Iterable[Source], failed: dict[str, str]
) -> dict[str, int]:
    """``read(channel)`` for each Telegram channel among ``sources``; one that fails goes to ``failed``."""
    from crawlers.telegram.preview import channel_name

    counts = {}
    for source in sources:
        if source.kind is not SourceKind.TG_CHANNEL:
            continue
        try:
            count = read(channel_name(source.target))
        except (CollectorError, ValueError) as error:
            failed[source.id] = str(error)
            continue
        if count is not None:
            counts[source.id] = count
    return counts


def _full_channel(gateway: FullChannels) -> Callable[[str], int | None]:
    def read(channel: str) -> int | None:
        from crawlers.telegram.api_collector import translate

        try:
            full = gateway.full_channel(channel)
        except CollectorError:
            raise
        except Exception as exc:
            raise translate(exc, "channels.getFullChannel") from None
        count = getattr(full.full_chat, "participants_count", None)
        return int(count) if count is not None else None

    return read


def _preview(fetcher: PreviewPages) -> Callable[[str], int | None]:
    return lambda channel: preview_subscribers(fetcher.page(channel))


@dataclass
class SubscribersRun:
    recorded: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # platform or source id → the error


def measure(readers: Readers, sources: Iterable[Source]) -> SubscribersRun:
    """Today's counts of ``sources`` from every platform a reader is given for."""
    run = SubscribersRun()
    chosen = list(sources)
    if readers.vk is not None:
        try:
            run.recorded.update(vk_members(readers.vk, chosen, owners=readers.vk_owners, failed=run.failed))
        except CollectorError as error:
            run.failed["vk"] = str(error)
    if readers.ok is not None:
        try:
            run.recorded.update(ok_members(readers.ok, chosen))
        except CollectorError as error:
            run.failed["ok"] = str(error)
    if readers.telegram is not None:
        run.recorded.update(telegram_members(_full_channel(readers.telegram), chosen, run.failed))
    elif readers.telegram_preview is not None:
        run.recorded.update(telegram_members(_preview(readers.telegram_preview), chosen, run.failed))
    return run


AUDIENCE_KINDS = (SourceKind.VK_WALL, SourceKind.OK_GROUP, SourceKind.TG_CHANNEL)  # what ``measure`` counts


def record_audiences(
    store: GospablikiStore, municipality: Municipality, readers: Readers, now: datetime
) -> SubscribersRun:
    """Count the enabled walls, groups and channels not yet counted this local day, and store them."""
    counted = store.counted_on(now.astimezone(municipality.tz).date())
    chosen = [
        source
        for source in municipality.sources
        if source.enabled and source.kind in AUDIENCE_KINDS and source.id not in counted
    ]
    if not chosen:
        return SubscribersRun()
    run = measure(readers, chosen)
    for source_id, count in run.recorded.items():
        store.record_subscribers(source_id, count, now, municipality)
    return run


def record_subscribers(
    store: GospablikiStore,
    municipality: Municipality,
    readers: Readers | ApiCaller | None,
    now: datetime,
) -> SubscribersRun:
    """Measure and store today's counts of the official pages (a bare client is a VK reader)."""
    if readers is None:
        readers = Readers()
    elif not isinstance(readers, Readers):
        readers = Readers(vk=readers)
    run = measure(readers, [source for _, source in pages(municipality) if source.enabled])
    for source_id, count in run.recorded.items():
        store.record_subscribers(source_id, count, now, municipality)
    return run
