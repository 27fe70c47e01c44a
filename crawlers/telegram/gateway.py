"""The Telethon path behind a small gateway: what the collector needs from Telegram, and nothing else.

``TelegramGateway`` is synchronous, like every ``Collector``; ``TelethonGateway`` runs
Telethon's asyncio client on a private event loop in one background thread and hands
results across. Nothing here ever sleeps on a flood wait: the client is built with
``flood_sleep_threshold=0``, so ``FloodWaitError`` reaches the collector, which turns it
into ``RateLimited`` and lets the scheduler come back later (a worker that slept would
hold its slot, and a blocking sleep in async code would stall every other coroutine).

Workers never log in interactively: the session is a ``StringSession`` created once by a
person with ``python -m crawlers.telegram.login`` and stored as ``INFOPOLE_TELEGRAM_SESSION``.
A session that is missing or no longer authorised is an ``AuthError``.

The gateway raises Telethon's own errors (``FloodWaitError``, ``ChannelPrivateError``, …);
``crawlers.telegram.api_collector.translate`` maps them, so the mapping is tested with
the fake gateway, which raises the same real error types.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeAlias, TypeVar

from telethon import TelegramClient, events, functions
from telethon.sessions import StringSession
from telethon.tl import types

from crawlers.base import AuthError
from infopole.config.settings import Settings

T = TypeVar("T")

StreamUpdate: TypeAlias = (
    types.UpdateNewChannelMessage | types.UpdateEditChannelMessage | types.UpdateDeleteChannelMessages
)
STREAM_TYPES = (
    types.UpdateNewChannelMessage,
    types.UpdateEditChannelMessage,
    types.UpdateDeleteChannelMessages,
)


class TelegramGateway(Protocol):
    """Reads of public channels and their discussion threads, as real ``telethon.tl.types.Message``s."""

    def iter_messages(self, channel: str, *, min_id: int = 0, offset_id: int = 0) -> Iterator[types.Message]:
        """Messages with ``min_id < id < offset_id`` (``offset_id=0``: no upper bound), newest first."""
        ...

    def iter_replies(self, channel: str, post_id: int, *, min_id: int = 0) -> Iterator[types.Message]:
        """Comments under post ``post_id`` (in its discussion group) with id > ``min_id``, newest first."""
        ...

    def chat_ids(self, channel: str) -> tuple[int, int | None]:
        """The channel's id and its linked discussion group's id (``None`` without one)."""
        ...

    def thread_post(self, channel: str, head_id: int) -> int | None:
        """The channel post whose discussion thread starts at message ``head_id`` of the linked group."""
        ...

    def stream(self, stop: threading.Event, *, poll_s: float = 0.5) -> Iterator[StreamUpdate]:
        """Updates as Telegram pushes them (new, edited, deleted messages of channels and groups
        the account is in), until ``stop`` is set; every ``poll_s`` without one, nothing is yielded
        and ``stop`` is checked. The caller filters by chat id."""
        ...


class TelethonGateway:
    """``TelegramGateway`` over a real ``TelegramClient``; one per process (one session, one connection)."""

    def __init__(
        self,
        api_id: int,
        api_hash: str,
        session: str,
        *,
        request_retries: int = 3,
        timeout: float = 120.0,
        client_factory: Callable[..., TelegramClient] = TelegramClient,
        receive_updates: bool = False,
    ) -> None:
        if not session:
            raise AuthError(
                "INFOPOLE_TELEGRAM_SESSION is not set: create it with `python -m crawlers.telegram.login`"
            )
        self._api_id = api_id
        self._api_hash = api_hash
        self._session = session
        self._request_retries = request_retries
        self._timeout = timeout
        self._client_factory = client_factory
        self._receive_updates = receive_updates
        self._client: TelegramClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, receive_updates: bool = False) -> TelethonGateway:
        """``receive_updates``: a connection that keeps Telegram's update stream (``stream``); the
        polling collector's connection does without."""
        if settings.telegram_api_id is None or settings.telegram_api_hash is None:
            raise AuthError("INFOPOLE_TELEGRAM_API_ID and INFOPOLE_TELEGRAM_API_HASH are not set")
        session = settings.telegram_session.get_secret_value() if settings.telegram_session else ""
        return cls(
            settings.telegram_api_id,
            settings.telegram_api_hash.get_secret_value(),
            session,
            receive_updates=receive_updates,
        )

    def __repr__(self) -> str:
        return f"TelethonGateway(api_id={self._api_id})"

    # ------------------------------------------------------------------ the loop thread

    def _run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on the gateway's loop (connecting first if needed) and wait for its result."""
        loop = self._start()

        async def call() -> T:
            await self._connected()
            return await make()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(self._timeout)

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=loop.run_forever, name="telethon", daemon=True)
                self._thread.start()
                self._loop = loop
            return self._loop

    async def _connected(self) -> TelegramClient:
        if self._client is None:
            client = self._client_factory(
                StringSession(self._session),
                self._api_id,
                self._api_hash,
                flood_sleep_threshold=0,  # never sleep on a flood wait: reschedule the source instead
                request_retries=self._request_retries,
                receive_updates=self._receive_updates,  # a poller needs no update stream to keep up with
            )
            await client.connect()
            if not await client.is_user_authorized():
                await client.disconnect()
                raise AuthError(
                    "the Telegram session is not authorised: run `python -m crawlers.telegram.login`"
                )
            self._client = client
        return self._client

    def _iterate(self, make: Callable[[TelegramClient], AsyncIterator[Any]]) -> Iterator[Any]:
        iterator: AsyncIterator[Any] = self._run(lambda: self._open(make))
        while True:
            try:
                item = self._run(iterator.__anext__)
            except StopAsyncIteration:
                return
            yield item

    async def _open(self, make: Callable[[TelegramClient], AsyncIterator[Any]]) -> AsyncIterator[Any]:
        assert self._client is not None
        return make(self._client)

    # ------------------------------------------------------------------ the gateway

    def iter_messages(self, channel: str, *, min_id: int = 0, offset_id: int = 0) -> Iterator[types.Message]:
        return self._iterate(lambda client: client.iter_messages(channel, min_id=min_id, offset_id=offset_id))

    def full_channel(self, channel: str) -> types.messages.ChatFull:
        """``channels.GetFullChannelRequest``: ``full_chat.participants_count`` is the subscribers."""
        from telethon.tl.functions.channels import GetFullChannelRequest

        async def call() -> types.messages.ChatFull:
            client = await self._connected()
            return await client(GetFullChannelRequest(channel))

        return self._run(call)

    def iter_replies(self, channel: str, post_id: int, *, min_id: int = 0) -> Iterator[types.Message]:
        return self._iterate(lambda client: client.iter_messages(channel, reply_to=post_id, min_id=min_id))

    def chat_ids(self, channel: str) -> tuple[int, int | None]:
        async def ids() -> tuple[int, int | None]:
            assert self._client is not None
            entity = await self._client.get_entity(channel)
            full = await self._client(functions.channels.GetFullChannelRequest(entity))
            return int(entity.id), full.full_chat.linked_chat_id

        return self._run(ids)

    def thread_post(self, channel: str, head_id: int) -> int | None:
        """The thread's head in the discussion group is Telegram's automatic forward of the post."""
        linked = self.chat_ids(channel)[1]
        if linked is None:
            return None

        async def head() -> Any:
            assert self._client is not None
            return await self._client.get_messages(types.PeerChannel(linked), ids=head_id)

        message = self._run(head)
        forward = getattr(message, "fwd_from", None)
        return getattr(forward, "channel_post", None) if forward is not None else None

    def stream(self, stop: threading.Event, *, poll_s: float = 0.5) -> Iterator[StreamUpdate]:
        """Telethon's raw-update handler hands each update across to this thread through a queue."""
        if not self._receive_updates:
            raise RuntimeError("this gateway was built without receive_updates=True")
        received: queue.Queue[StreamUpdate] = queue.Queue()

        async def on_update(update: StreamUpdate) -> None:
            received.put(update)

        async def subscribe() -> None:
            assert self._client is not None
            self._client.add_event_handler(on_update, events.Raw(types=list(STREAM_TYPES)))
            await self._client.catch_up()  # what was pushed while this connection was away

        async def unsubscribe() -> None:
            if self._client is not None:
                self._client.remove_event_handler(on_update)

        self._run(subscribe)
        try:
            while not stop.is_set():
                try:
                    yield received.get(timeout=poll_s)
                except queue.Empty:
                    continue
        finally:
            self._run(unsubscribe)

    def close(self) -> None:
        loop, client = self._loop, self._client
        if loop is None:
            return
        if client is not None:
            disconnect = client.disconnect()
            if disconnect is not None:
                asyncio.run_coroutine_threadsafe(disconnect, loop).result(self._timeout)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop = self._client = None
