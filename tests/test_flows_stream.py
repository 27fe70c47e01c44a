"""Telegram streaming beside polling, end to end with the fake gateway (real ``telethon.tl.types``
update objects): a streamed post reaches the index and raises a case and an alert; a comment in the
discussion group, an edit and a deletion follow; polling the same channel afterwards stores nothing
twice; what was posted while the stream was down is collected by polling's catch-up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from crawlers.fakes.telegram_gateway import FakeTelegramGateway
from crawlers.telegram.api_collector import TelegramApiCollector
from flows import steps
from flows.stream import StreamReport, TelegramStream
from infopole.config.settings import Settings
from infopole.domain.post import PostKind
from infopole.runtime import Runtime
from infopole.storage.posts import SaveReport

CHANNEL = "example_kingisepp_news"
SOURCE = "tg-kingisepp-news"
ALERTS = f"""
alerts:
  risk:
    per_source: {{{SOURCE}: 0.3}}
"""
FIRE = (
    "Пожар в Кингисеппе на улице Ленина: горит жилой дом, люди на балконах зовут на помощь, "
    "пожарных до сих пор нет, дым по всему району"
)
WAIT_S = 60


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    text = (resources.files("infopole.municipalities") / "kingisepp.yaml").read_text(encoding="utf-8")
    block = "    target: example_kingisepp_news  # пример: замените на имя реального канала\n"
    block += "    title: Новости Кингисеппа (Telegram)\n    enabled: false\n"
    assert block in text
    text = text.replace(block, block.replace("enabled: false", "enabled: true")) + ALERTS
    path = tmp_path / "kingisepp.yaml"
    path.write_text(text, encoding="utf-8")
    runtime = Runtime(Settings(municipality_file=path, data_dir=tmp_path / "var"))
    yield runtime
    runtime.close()


class Listening:
    """The stream in a thread, with the reports of what it handled."""

    def __init__(self, runtime: Runtime, gateway: FakeTelegramGateway) -> None:
        self.stop = threading.Event()
        self.reports: list[StreamReport] = []
        self.stream = TelegramStream(runtime, gateway, retry_s=0.2)
        self.thread = threading.Thread(
            target=self.stream.run, args=(self.stop,), kwargs={"on_feed": self.reports.append}
        )
        self.gateway = gateway

    def __enter__(self) -> Listening:
        self.thread.start()
        until(lambda: self.gateway.streaming == 1)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


def until(condition: Callable[[], object], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_a_streamed_post_reaches_the_index_a_case_and_an_alert_and_polling_adds_nothing(
    runtime: Runtime,
) -> None:
    gateway = FakeTelegramGateway()
    gateway.add_channel(CHANNEL, "Новости Кингисеппа")
    other = gateway.add_channel("someone_else", "Чужой канал")  # not a source: its updates are ignored
    now = datetime.now(UTC).replace(microsecond=0)
    store = runtime.posts
    key = f"telegram:{CHANNEL}:1"

    with Listening(runtime, gateway) as listening:
        gateway.post(CHANNEL, FIRE, date=now - timedelta(minutes=3), views=120)
        gateway.post("someone_else", FIRE, date=now)
        until(lambda: runtime.incidents.list(limit=10))
        until(lambda: _alert_about(runtime, key))
        assert runtime.index.count("горит") == 1  # searchable seconds after Telegram pushed it
        comment = gateway.comment(
            CHANNEL, 1, "Уже час горит, где пожарные?", user_id=501, date=now - timedelta(minutes=1)
        )
        comment_key = f"telegram:c{gateway.channels[CHANNEL].discussion.id}:{comment}"
        until(lambda: store.get(comment_key) is not None and _indexed(runtime, comment_key))
        gateway.edit(CHANNEL, 1, FIRE + " Обновление: пожарные приехали.", at=now)
        until(lambda: "пожарные приехали" in _text(runtime, key) and _indexed(runtime, key))
        gateway.delete_comment(CHANNEL, 1, comment)
        until(lambda: _deleted(runtime, comment_key) and _indexed(runtime, comment_key))

    total = StreamReport()
    for report in listening.reports:
        total.add(report)
    assert total.failed == {}
    assert (total.new, total.edited, total.deleted) == (2, 1, 1)
    assert total.ignored >= 1  # the other channel
    assert store.get("telegram:someone_else:1") is None and other.entity.id not in listening.stream.chats()
    post = store.get(key)
    assert post is not None and post.source_id == SOURCE and post.edited_at is not None
    streamed_comment = store.get(comment_key)
    assert streamed_comment is not None and streamed_comment.kind is PostKind.COMMENT
    assert streamed_comment.parent_key == key and streamed_comment.is_deleted
    assert runtime.index.count("приехали") == 1  # the edit reached the index
    (case,) = runtime.incidents.list(limit=10)
    assert key in case.post_keys

    # polling the same channel afterwards: the streamed post is there already, nothing is new twice
    collector = TelegramApiCollector(gateway, salt=runtime.settings.author_salt.get_secret_value())
    source = runtime.municipality.source(SOURCE)
    polled = SaveReport()
    steps.crawl_source(source, collector, store, polled)
    assert polled.new == 0, polled
    (state,) = [s for s in store.source_states() if s.source_id == SOURCE]
    assert state.items_total == 2  # the post and the comment, each new once


def test_what_was_posted_while_the_stream_was_down_is_collected_by_polling(runtime: Runtime) -> None:
    gateway = FakeTelegramGateway()
    gateway.add_channel(CHANNEL, "Новости Кингисеппа")
    now = datetime.now(UTC).replace(microsecond=0)
    store = runtime.posts
    with Listening(runtime, gateway):
        gateway.post(CHANNEL, "Открыли новый сквер у вокзала", date=now - timedelta(minutes=10))
        until(lambda: _indexed(runtime, f"telegram:{CHANNEL}:1"))
    assert gateway.streaming == 0
    missed = gateway.post(CHANNEL, FIRE, date=now - timedelta(minutes=5))  # nobody is listening
    gateway.comment(CHANNEL, 1, "Красиво получилось", user_id=7, date=now - timedelta(minutes=4))
    missed_key = f"telegram:{CHANNEL}:{missed}"
    assert store.get(missed_key) is None

    collector = TelegramApiCollector(gateway, salt=runtime.settings.author_salt.get_secret_value())
    polled = SaveReport()
    steps.crawl_source(runtime.municipality.source(SOURCE), collector, store, polled)
    assert polled.new == 2 and missed_key in polled.new_keys  # the missed post and comment, nothing else

    with Listening(runtime, gateway):  # restarted: later updates stream again
        gateway.post(CHANNEL, "Отключение воды на улице Ленина завтра с 10 до 14", date=now)
        until(lambda: _indexed(runtime, f"telegram:{CHANNEL}:3"))
    assert store.count() == 4


def _indexed(runtime: Runtime, key: str) -> bool:
    from infopole.storage.tables import AnalysisRow

    with runtime.db.session() as session:
        row = session.get(AnalysisRow, key)
        post = runtime.posts.get(key)
        current = post is not None and row is not None and row.content_hash == post.content_hash
        return bool(current and row is not None and row.indexed)


def _alert_about(runtime: Runtime, key: str) -> bool:
    from sqlalchemy import select

    from infopole.storage.tables import AlertRow

    with runtime.db.session() as session:
        return any(key in str(row.details) for row in session.scalars(select(AlertRow)))


def _text(runtime: Runtime, key: str) -> str:
    post = runtime.posts.get(key)
    return post.text if post is not None else ""


def _deleted(runtime: Runtime, key: str) -> bool:
    post = runtime.posts.get(key)
    return post is not None and post.is_deleted


def test_stream_needs_credentials_and_a_telegram_source(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from flows.stream import configured
    from infopole.cli import app

    assert not configured(runtime.settings, runtime)  # the source is enabled, but no Telethon keys
    secrets = {
        "INFOPOLE_TELEGRAM_API_ID": "12345",
        "INFOPOLE_TELEGRAM_API_HASH": "0123456789abcdef",
        "INFOPOLE_TELEGRAM_SESSION": "1Aa-not-a-real-session",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    settings = Settings(municipality_file=runtime.settings.municipality_file, data_dir=tmp_path / "var")
    assert configured(settings, runtime)

    for name in secrets:
        monkeypatch.delenv(name)
    env = {
        "INFOPOLE_MUNICIPALITY_FILE": str(runtime.settings.municipality_file),
        "INFOPOLE_DATA_DIR": str(tmp_path),
    }
    result = CliRunner().invoke(app, ["stream"], env=env)
    assert result.exit_code == 2 and "INFOPOLE_TELEGRAM_API_ID" in result.output


def test_telethon_gateway_hands_raw_updates_of_its_event_handler_across() -> None:
    """The real gateway over a stand-in client: the raw-update handler it registers (for new, edited
    and deleted channel messages) feeds ``stream``; catch-up is asked for; the handler is removed
    when the stream stops."""
    import asyncio

    from telethon import events
    from telethon.crypto import AuthKey
    from telethon.sessions import StringSession
    from telethon.tl import types

    from crawlers.telegram.gateway import TelethonGateway

    class Client:
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.kwargs = kwargs
            self.handlers: list[tuple[object, object]] = []
            self.caught_up = False

        async def connect(self) -> None:
            return None

        async def is_user_authorized(self) -> bool:
            return True

        def add_event_handler(self, callback: object, event: object) -> None:
            self.handlers.append((callback, event))

        def remove_event_handler(self, callback: object) -> None:
            self.handlers = [h for h in self.handlers if h[0] is not callback]

        async def catch_up(self) -> None:
            self.caught_up = True

        def disconnect(self) -> None:
            return None

    clients: list[Client] = []

    def factory(*args: object, **kwargs: object) -> Client:
        clients.append(Client(*args, **kwargs))
        return clients[-1]

    session = StringSession()
    session.set_dc(2, "149.154.167.51", 443)
    session.auth_key = AuthKey(bytes(256))
    gateway = TelethonGateway(1, "hash", session.save(), client_factory=factory, receive_updates=True)
    stop = threading.Event()
    got: list[object] = []

    def read() -> None:
        for update in gateway.stream(stop, poll_s=0.05):
            got.append(update)

    reader = threading.Thread(target=read)
    reader.start()
    until(lambda: clients and clients[0].handlers, timeout=10)
    client = clients[0]
    ((callback, event),) = client.handlers
    assert isinstance(event, events.Raw) and client.kwargs["receive_updates"] is True and client.caught_up
    message = types.Message(id=5, peer_id=types.PeerChannel(42), date=datetime.now(UTC), message="тест")
    updates = [
        types.UpdateNewChannelMessage(message=message, pts=1, pts_count=1),
        types.UpdateDeleteChannelMessages(channel_id=42, messages=[5], pts=2, pts_count=1),
    ]
    loop = gateway._loop
    assert loop is not None
    for update in updates:
        asyncio.run_coroutine_threadsafe(callback(update), loop).result(5)  # type: ignore[operator]
    until(lambda: len(got) == 2, timeout=10)
    stop.set()
    reader.join(timeout=10)
    gateway.close()
    assert got == updates and client.handlers == []


def test_a_post_polled_first_and_then_streamed_is_one_post_new_once(runtime: Runtime) -> None:
    from telethon.tl import types

    gateway = FakeTelegramGateway()
    gateway.add_channel(CHANNEL, "Новости Кингисеппа")
    now = datetime.now(UTC).replace(microsecond=0)
    post_id = gateway.post(CHANNEL, FIRE, date=now - timedelta(minutes=2))
    collector = TelegramApiCollector(gateway, salt=runtime.settings.author_salt.get_secret_value())
    polled = SaveReport()
    steps.crawl_source(runtime.municipality.source(SOURCE), collector, runtime.posts, polled)
    assert polled.new == 1

    stream = TelegramStream(runtime, gateway)
    message = gateway.channels[CHANNEL].posts[post_id]
    late = types.UpdateNewChannelMessage(message=message, pts=1, pts_count=1)  # arrives after the poll
    report = stream.feed([late, late], stream.chats())
    assert (report.updates, report.new, report.edited) == (2, 0, 0) and report.failed == {}
    assert runtime.posts.count() == 1 and _indexed(runtime, f"telegram:{CHANNEL}:{post_id}")
    (state,) = [s for s in runtime.posts.source_states() if s.source_id == SOURCE]
    assert state.items_total == 1
    assert len(runtime.incidents.list(limit=10)) == 1
    again = stream.feed([late], stream.chats())
    assert (again.new, again.analysed, again.cases) == (0, 0, 0)  # nothing to do twice
