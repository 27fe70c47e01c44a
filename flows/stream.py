"""Telegram updates beside polling: new, edited and deleted messages of the configured channels,
their discussion groups and public chats, fed through the same path as polling — store the post,
analyse it, index it, then the cases and alerts steps — seconds after Telegram pushes them.

Safe beside polling: both write through ``PostStore.save_batch``, keyed by post, so a message
streamed and later polled is one post, new once. The stream never moves a source's cursor, so what
it misses while it is down (a restart, a lost connection) is collected by polling, whose re-scan
window and comment queue read those messages again. A step that fails here (the analyzer, the
index, a concurrent cases run) leaves its items pending for the scheduled flows, which have the
retries and dead letters.

The Telegram account must be a member of the channels and discussion groups to get their updates;
polling covers the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy.exc import IntegrityError
from telethon.tl import types

from crawlers.telegram.convert import (
    chat_owner,
    comment_to_record,
    comment_tombstone,
    post_to_record,
    raw_payload,
    tombstone,
)
from crawlers.telegram.gateway import StreamUpdate, TelegramGateway
from crawlers.telegram.preview import channel_name
from flows import steps
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, RawPayload, post_key
from infopole.domain.source import Source, SourceKind
from infopole.runtime import Runtime
from infopole.storage.posts import SaveReport

log = logging.getLogger(__name__)

STREAMED_KINDS = (SourceKind.TG_CHANNEL, SourceKind.TG_CHAT)
MAX_BATCH = 200  # updates handled together when they come in a burst (a reconnect's catch-up)
RETRY_S = 30.0  # after the update stream broke, before it is opened again
SAVE_ATTEMPTS = 3  # polling may insert the same post at the same moment


@dataclass(frozen=True)
class Chat:
    """A chat whose updates are taken: a channel (or public chat) of a source, or its discussion group."""

    source: Source
    channel: str
    discussion: bool = False


@dataclass
class StreamReport:
    updates: int = 0
    ignored: int = 0
    new: int = 0
    edited: int = 0
    deleted: int = 0
    analysed: int = 0
    indexed: int = 0
    cases: int = 0  # opened or joined
    alerts: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # step → the last error (left to the flows)

    def add(self, other: StreamReport) -> None:
        for item in fields(self):
            if item.name != "failed":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        self.failed.update(other.failed)


def configured(settings: Settings, runtime: Runtime) -> bool:
    """Streaming needs the Telethon credentials and at least one enabled Telegram source."""
    has_credentials = None not in (
        settings.telegram_api_id,
        settings.telegram_api_hash,
        settings.telegram_session,
    )
    return has_credentials and any(streamed_sources(runtime))


def streamed_sources(runtime: Runtime) -> list[Source]:
    return [s for s in runtime.municipality.sources if s.enabled and s.kind in STREAMED_KINDS]


class TelegramStream:
    """One long-running listener per installation (``infopole stream``, or inside ``infopole run``)."""

    def __init__(
        self,
        runtime: Runtime,
        gateway: TelegramGateway,
        *,
        analyzer: steps.Analyzer | None = None,
        clock: steps.Clock = steps.utc_now,
        max_batch: int = MAX_BATCH,
        retry_s: float = RETRY_S,
    ) -> None:
        self.runtime = runtime
        self.gateway = gateway
        self.analyzer = analyzer
        self.clock = clock
        self.max_batch = max_batch
        self.retry_s = retry_s
        self.salt = runtime.settings.author_salt.get_secret_value()
        self._threads: dict[tuple[str, int], int] = {}  # (channel, head id) → channel post id

    # ------------------------------------------------------------------ chats

    def chats(self) -> dict[int, Chat]:
        """Chat id → chat, for every enabled Telegram source; one that cannot be resolved is skipped
        (polling still collects it, and says why)."""
        found: dict[int, Chat] = {}
        for source in streamed_sources(self.runtime):
            channel = channel_name(source.target)
            try:
                chat_id, discussion = self.gateway.chat_ids(channel)
            except Exception as error:  # any Telethon error: this source is left to polling
                log.warning("stream: %s not resolved (%s), left to polling", channel, type(error).__name__)
                continue
            found[chat_id] = Chat(source, channel)
            if discussion is not None and source.kind is SourceKind.TG_CHANNEL:
                found[discussion] = Chat(source, channel, discussion=True)
        return found

    # ------------------------------------------------------------------ updates → posts

    def to_posts(self, update: StreamUpdate, chats: dict[int, Chat]) -> list[tuple[Post, RawPayload | None]]:
        """The posts an update is about, as polling would store them; none for other chats."""
        now = self.clock()
        if isinstance(update, types.UpdateDeleteChannelMessages):
            chat = chats.get(update.channel_id)
            return [] if chat is None else [(p, None) for p in self._deleted(chat, update)]
        message = update.message
        if not isinstance(message, types.Message) or not isinstance(message.peer_id, types.PeerChannel):
            return []  # a service message: nothing to store
        chat = chats.get(message.peer_id.channel_id)
        if chat is None:
            return []
        source_id = chat.source.id
        if not chat.discussion:
            post = post_to_record(message, channel=chat.channel, source_id=source_id, salt=self.salt)
            return [(post, raw_payload(post, message, now))]
        reply = message.reply_to
        if not isinstance(reply, types.MessageReplyHeader):
            return []  # the thread's head: Telegram's copy of the channel post, stored from the channel
        head = reply.reply_to_top_id or reply.reply_to_msg_id
        post_id = self._thread_post(chat.channel, head) if head is not None else None
        if post_id is None:
            return []
        comment = comment_to_record(
            message, channel=chat.channel, post_id=post_id, source_id=source_id, salt=self.salt
        )
        return [(comment, raw_payload(comment, message, now))]

    def _thread_post(self, channel: str, head: int) -> int | None:
        post_id = self._threads.get((channel, head))
        if post_id is None:  # unknown yet (or not found last time: asked again)
            post_id = self.gateway.thread_post(channel, head)
            if post_id is not None:
                self._threads[(channel, head)] = post_id
        return post_id

    def _deleted(self, chat: Chat, update: types.UpdateDeleteChannelMessages) -> list[Post]:
        """Tombstones of the stored messages (an unknown one has nothing to mark)."""
        owner = chat_owner(update.channel_id) if chat.discussion else chat.channel
        gone = []
        for message_id in update.messages:
            stored = self.runtime.posts.get(post_key(Platform.TELEGRAM, owner, str(message_id)))
            if stored is None or stored.is_deleted:
                continue
            if chat.discussion:
                post_id = int((stored.parent_key or ":0").rsplit(":", 1)[1])
                gone.append(
                    comment_tombstone(
                        owner,
                        message_id,
                        channel=chat.channel,
                        post_id=post_id,
                        published_at=stored.published_at,
                        source_id=chat.source.id,
                    )
                )
            else:
                gone.append(
                    tombstone(chat.channel, message_id, stored.published_at, source_id=chat.source.id)
                )
        return gone

    # ------------------------------------------------------------------ the same path as polling

    def feed(self, updates: Iterable[StreamUpdate], chats: dict[int, Chat]) -> StreamReport:
        """Store → analyse → index → cases → alerts for these updates."""
        report = StreamReport()
        by_source: dict[str, list[tuple[Post, RawPayload | None]]] = {}
        for update in updates:
            report.updates += 1
            items = self.to_posts(update, chats)
            report.ignored += not items
            for post, raw in items:
                by_source.setdefault(post.source_id, []).append((post, raw))
        keys: list[str] = []
        for source_id, items in by_source.items():
            posts = [post for post, _ in items]
            raws = [raw for _, raw in items if raw is not None]
            # the source's state counts new posts and its last item; its cursor is polling's alone
            saved = self._save(posts, raws, source_id)
            report.new += saved.new
            report.edited += saved.edited
            report.deleted += saved.deleted
            keys += [post.key for post in posts]
        if keys:
            self._process(keys, report)
        return report

    def _save(self, posts: list[Post], raws: list[RawPayload], source_id: str) -> SaveReport:
        """``save_batch``; when polling inserted the same post at the same moment, this batch was
        rolled back whole, and saving it again finds the post there."""
        for attempt in range(SAVE_ATTEMPTS):
            try:
                return self.runtime.posts.save_batch(
                    posts, raws, self.clock(), source_id=source_id, cursor=None
                )
            except IntegrityError:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _process(self, keys: list[str], report: StreamReport) -> None:
        runtime = self.runtime
        store = runtime.posts
        pending = [post for post in (store.get(key) for key in dict.fromkeys(keys)) if post is not None]
        try:
            stale = [post for post in pending if self._analysis_hash(post.key) != post.content_hash]
            if stale:
                analyzer = self.analyzer or runtime.analyzer
                spreads = store.spreads(post.key for post in stale)
                analyses = analyzer.map(stale, spreads, parents=store.parents(stale))
                store.save_analyses(zip(stale, analyses, strict=True), self.clock())
                report.analysed += len(stale)
        except Exception as error:  # left pending for the analyse flow (retries, dead letters)
            report.failed["analyse"] = f"{type(error).__name__}: {error}"
            log.warning("stream: analysis left to the flows: %s", error)
            return
        try:
            pairs = store.analysed(keys=[post.key for post in pending])
            departments = steps.department_of_block(runtime.municipality)
            failed = steps.index_pairs(store, runtime.index, departments, pairs)
            report.indexed += len(pairs) - len(failed)
        except Exception as error:  # left pending for the index flow
            report.failed["index"] = f"{type(error).__name__}: {error}"
            log.warning("stream: indexing left to the flows: %s", error)
        try:
            taken = steps.cases(
                store, runtime.incidents, runtime.municipality, salt=self.salt, clock=self.clock
            )
            report.cases += taken.opened + taken.joined
        except IntegrityError as error:  # the cases flow took the same posts at the same moment
            report.failed["cases"] = f"{type(error).__name__}"
            log.info("stream: cases left to the flow (concurrent run)")
        try:
            alerts = steps.alerts(
                store,
                runtime.incidents,
                runtime.alerts,
                runtime.municipality,
                dispatcher=runtime.dispatcher,
                clock=self.clock,
            )
            report.alerts += alerts.decided.recorded.new
        except IntegrityError as error:  # the alerts flow recorded the same cause at the same moment
            report.failed["alerts"] = f"{type(error).__name__}"
            log.info("stream: alerts left to the flow (concurrent run)")

    def _analysis_hash(self, key: str) -> str | None:
        from infopole.storage.tables import AnalysisRow

        with self.runtime.db.session() as session:
            row = session.get(AnalysisRow, key)
            return row.content_hash if row is not None else None

    # ------------------------------------------------------------------ the service

    def run(
        self, stop: threading.Event, *, on_feed: Callable[[StreamReport], None] | None = None
    ) -> StreamReport:
        """Listen until ``stop`` is set; updates that arrive together are handled together."""
        chats = self.chats()
        total = StreamReport()
        if not chats:
            log.warning("stream: no Telegram chat to listen to")
            return total
        inbox: queue.Queue[Any] = queue.Queue()
        reader = threading.Thread(target=self._read, args=(stop, inbox), name="telegram-stream", daemon=True)
        reader.start()
        log.info("stream: listening to %d chats", len(chats))
        while not stop.is_set():
            try:
                batch = [inbox.get(timeout=0.5)]
            except queue.Empty:
                continue
            while len(batch) < self.max_batch:
                try:
                    batch.append(inbox.get_nowait())
                except queue.Empty:
                    break
            try:
                report = self.feed(batch, chats)
            except Exception as error:  # e.g. the database is away: polling collects these posts later
                log.exception("stream: %d updates left to polling", len(batch))
                report = StreamReport(
                    updates=len(batch), failed={"store": f"{type(error).__name__}: {error}"}
                )
            total.add(report)
            if on_feed is not None:
                on_feed(report)
        reader.join(timeout=5)
        return total

    def _read(self, stop: threading.Event, inbox: queue.Queue[Any]) -> None:
        while not stop.is_set():
            try:
                for update in self.gateway.stream(stop):
                    inbox.put(update)
            except Exception as error:  # a broken connection: polling covers the gap; listen again
                log.warning(
                    "stream: updates interrupted (%s), again in %.0f s", type(error).__name__, self.retry_s
                )
                stop.wait(self.retry_s)


def serve_stream(municipality_file: str, data_dir: str, stop: threading.Event) -> StreamReport:
    """The streaming service of one installation, with a real Telethon connection, until ``stop``."""
    from pathlib import Path

    from crawlers.telegram.gateway import TelethonGateway
    from infopole.runtime import quiet_third_parties

    quiet_third_parties()
    runtime = Runtime(Settings(municipality_file=Path(municipality_file), data_dir=Path(data_dir)))
    gateway = TelethonGateway.from_settings(runtime.settings, receive_updates=True)
    try:
        steps.remember_recent(runtime.posts, runtime.analyzer)
        return TelegramStream(runtime, gateway).run(stop)
    finally:
        gateway.close()
        runtime.close()


def start_beside(municipality_file: str, data_dir: str) -> threading.Event | None:
    """Start the streaming service in a background thread when it is configured (``infopole run``);
    the event stops it. ``None`` when there is nothing to stream."""
    from pathlib import Path

    runtime = Runtime(Settings(municipality_file=Path(municipality_file), data_dir=Path(data_dir)))
    try:
        wanted = configured(runtime.settings, runtime)
    finally:
        runtime.close()
    if not wanted:
        return None
    stop = threading.Event()

    def serve() -> None:
        try:
            serve_stream(municipality_file, data_dir, stop)
        except Exception:  # the scheduled flows go on polling; the log says why streaming stopped
            log.exception("stream: stopped")

    threading.Thread(target=serve, name="telegram-stream-service", daemon=True).start()
    return stop
