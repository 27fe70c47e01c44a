"""Alert delivery end to end: the outbox in real SQLite, e-mail through a real local SMTP server,
Telegram through a local fake of the Bot API, a signed webhook, and crashes at the worst moments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from infopole.alerts.dispatch import Dispatcher
from infopole.alerts.fakes.smtp import LocalSmtp
from infopole.alerts.fakes.telegram import FakeTelegram
from infopole.alerts.fakes.webhook import WebhookReceiver
from infopole.alerts.notifiers.base import Message, Notifier
from infopole.alerts.notifiers.email import EmailNotifier, SmtpConfig
from infopole.alerts.notifiers.telegram import TelegramAcks, TelegramBot, TelegramNotifier
from infopole.alerts.notifiers.webhook import WebhookNotifier
from infopole.alerts.routing import plan, quiet_until
from infopole.alerts.rules.risk import risk_alerts
from infopole.alerts.rules.sla import sla_alerts
from infopole.alerts.store import AlertStore
from infopole.config.municipality import Municipality, Recipient, RiskRule, Role
from infopole.domain.alert import Alert
from infopole.domain.incident import Incident, IncidentStatus, Priority
from infopole.incidents.calendar import WorkingCalendar
from infopole.storage.db import Database
from tests.alert_fixtures import NOW, municipality, pair

TOKEN = "123456:TEST-token"
SECRET = b"alerts-test-secret"
DASHBOARD = "https://infopole.kingisepp.example"
MINUTE = timedelta(minutes=1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Crash(BaseException):
    """The process dying: not an ``Exception``, so nothing in the dispatcher catches it."""


class CrashAfterSend:
    """Sends for real, then dies before the dispatcher can record that it did."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner

    def send(self, message: Message) -> str:
        self.inner.send(message)
        raise Crash


class CrashBeforeSend:
    def send(self, message: Message) -> str:
        raise Crash


def curator(**changes: object) -> Recipient:
    fields: dict[str, object] = {
        "position": "Заместитель главы администрации",
        "role": Role.CURATOR,
        "email": "kurator@kingisepp.example",
    }
    return Recipient.model_validate(fields | changes)


def town(*recipients: Recipient, **alerts: object) -> Municipality:
    base = municipality()
    config = base.alerts.model_copy(update=alerts) if alerts else base.alerts
    return base.model_copy(update={"recipients": list(recipients), "alerts": config})


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'alerts.db'}"


@pytest.fixture
def store(db_path: str) -> Iterator[AlertStore]:
    database = Database(db_path)
    yield AlertStore(database)
    database.close()


@pytest.fixture
def smtp() -> Iterator[LocalSmtp]:
    with LocalSmtp() as server:
        yield server


def email(server: LocalSmtp) -> EmailNotifier:
    return EmailNotifier(SmtpConfig("127.0.0.1", server.port, sender="infopole@kingisepp.example"))


def dispatcher(store: AlertStore, clock: Clock, **notifiers: Notifier) -> Dispatcher:
    return Dispatcher(
        store, notifiers, dashboard_url=DASHBOARD, tz=municipality().tz, clock=clock, max_attempts=3
    )


def risky(
    post_id: str, score: float = 0.8, story: str | None = None, at: datetime = NOW, text: str = ""
) -> Alert:
    post = pair(post_id, text or "Вода ржавая уже неделю", at, risk_score=score, block="ЖКХ", story_id=story)
    return risk_alerts([post], RiskRule(), at, municipality().tz)[0]


# ---------------------------------------------------------------- grouping, dedup, throttling


def test_one_alert_per_story_with_updates_and_reruns_write_nothing(store: AlertStore) -> None:
    where = town(curator())
    first = store.record([risky("1", story="s1"), risky("2", story="s1")], where, NOW)
    assert (first.new, first.updates, first.duplicates) == (1, 1, 0)
    again = store.record([risky("1", story="s1"), risky("2", story="s1")], where, NOW + MINUTE)
    assert (again.new, again.updates, again.duplicates, again.deliveries) == (0, 0, 2, 0)
    alert = store.by_key("story:s1")
    assert alert is not None
    assert [u.key for u in alert.updates] == ["risk:vk:-100003:1", "risk:vk:-100003:2"]
    assert len(store.deliveries(alert.id)) == 1  # the update coalesced into the still pending message


def test_updates_after_a_sent_message_wait_for_the_throttle(store: AlertStore, smtp: LocalSmtp) -> None:
    where, clock = town(curator()), Clock(NOW)
    send = dispatcher(store, clock, email=email(smtp))
    store.record([risky("1", story="s1")], where, clock())
    assert send.run_once().sent == 1
    clock.advance(5 * MINUTE)
    store.record([risky("2", story="s1", at=clock())], where, clock())
    clock.advance(5 * MINUTE)
    store.record([risky("3", story="s1", at=clock())], where, clock())  # coalesced with the pending update
    clock.advance(10 * MINUTE)
    assert send.run_once().messages == 0  # 20 min after the first message: still throttled
    clock.advance(11 * MINUTE)
    assert send.run_once().sent == 1
    assert len(smtp.received) == 2
    update = smtp.received[1]
    assert update.message["Subject"].startswith("[Инфополе · средняя] Обновление: Информационный риск")
    assert update.text.count("Информационный риск 0.80") == 3  # the alert and both updates


# ---------------------------------------------------------------- routing, quiet hours, digest


def test_routing_by_severity_blocks_and_roles() -> None:
    roads = curator(position="Зам. по дорогам", blocks=["Дороги"])
    head = Recipient(position="Глава", role=Role.HEAD, email="head@x.example", min_severity="low")
    config, tz = municipality().alerts, municipality().tz
    zhkh = {"block": "ЖКХ"}
    assert [p.recipient for p in plan([roads, head], "risk", "medium", zhkh, NOW, config, tz)] == [head.id]
    assert [
        p.recipient for p in plan([roads, head], "risk", "low", {"block": "Дороги"}, NOW, config, tz)
    ] == [head.id]
    opened = datetime(2026, 11, 20, 10, 0, tzinfo=tz)  # Friday: 8 working hours were up at 18:00
    incident = Incident(
        9, "ЖКХ", None, "zhkh", IncidentStatus.ASSIGNED, Priority.NORMAL, opened, None, "Нет воды"
    )
    policy, calendar = municipality().sla, WorkingCalendar(municipality().timezone)
    overdue = sla_alerts([incident], NOW, tz, policy=policy, calendar=calendar)[0]
    planned = plan([roads, head], "sla", overdue.severity, overdue.details, NOW, config, tz)
    assert {p.recipient for p in planned} == {roads.id, head.id}  # the куратор whatever his blocks


def test_quiet_hours_hold_medium_until_morning_and_let_high_through(
    store: AlertStore, smtp: LocalSmtp
) -> None:
    night = NOW.replace(hour=20, minute=30)  # 23:30 in Kingisepp
    morning = night.replace(hour=5, minute=0) + timedelta(days=1)  # 08:00 local
    assert quiet_until(night, municipality().alerts.quiet_hours, municipality().tz) == morning
    clock = Clock(night)
    store.record([risky("1", 0.8, at=night), risky("2", 0.95, at=night)], town(curator()), night)
    send = dispatcher(store, clock, email=email(smtp))
    assert send.run_once().sent == 1
    assert "0.95" in smtp.received[0].message["Subject"]
    clock.now = morning - MINUTE
    assert send.run_once().messages == 0
    clock.now = morning
    assert send.run_once().sent == 1 and len(smtp.received) == 2


def test_daily_digest_is_one_message(store: AlertStore, smtp: LocalSmtp) -> None:
    where, clock = town(curator(digest=True)), Clock(NOW)
    store.record([risky("1"), risky("2", text="Дорогу так и не починили")], where, NOW)
    store.record([risky("3", 0.97)], where, NOW)
    send = dispatcher(store, clock, email=email(smtp))
    assert send.run_once().sent == 1  # the high one, at once
    clock.now = NOW.replace(hour=5, minute=30) + timedelta(days=1)  # 08:30 local next day
    report = send.run_once()
    assert (report.messages, report.sent) == (1, 2)
    digest = smtp.received[1]
    assert digest.message["Subject"] == "[Инфополе] Сводка оповещений: 2"
    assert "Дорогу так и не починили" in digest.text and "Вода ржавая" in digest.text


# ---------------------------------------------------------------- acknowledgement and escalation


def test_escalation_when_high_alert_is_not_acknowledged(store: AlertStore) -> None:
    head = Recipient(position="Глава", role=Role.HEAD, email="head@x.example")
    where = town(head, curator(min_severity="high", telegram_chat_id="1001"))
    store.record([risky("1", 0.95), risky("2", 0.96)], where, NOW)
    acked = store.by_key("post:vk:-100003:2")
    assert acked is not None and store.acknowledge(acked.id, "dashboard:petrov", NOW + 10 * MINUTE)
    assert not store.acknowledge(acked.id, "dashboard:other", NOW + 11 * MINUTE)
    assert store.escalate(where, NOW + 29 * MINUTE) == 0
    assert store.escalate(where, NOW + 31 * MINUTE) == 1
    assert store.escalate(where, NOW + 45 * MINUTE) == 0  # once
    alert = store.by_key("post:vk:-100003:1")
    assert alert is not None
    escalations = [d for d in store.deliveries(alert.id) if d.purpose == "escalation"]
    assert {(d.channel, d.address) for d in escalations} == {
        ("email", "kurator@kingisepp.example"),
        ("telegram", "1001"),
    }
    assert alert.updates[-1].title.startswith("Не подтверждено за 30 мин")


def test_acknowledgement_from_the_telegram_button(store: AlertStore) -> None:
    where, clock = town(curator(email="", telegram_chat_id="1001")), Clock(NOW)
    text = "<b>Глава</b> & «ЧП» на Ленина 5 🔥 — срочно!"
    store.record([risky("1", 0.95, text=text)], where, NOW)
    with FakeTelegram(TOKEN) as telegram:
        bot = TelegramBot(telegram.url, TOKEN)
        send = dispatcher(store, clock, telegram=TelegramNotifier(bot, SECRET))
        assert send.run_once().sent == 1
        method, payload = telegram.requests[0]
        assert method == "sendMessage" and payload["chat_id"] == "1001" and payload["parse_mode"] == "HTML"
        assert isinstance(payload["reply_markup"], str)  # serialized JSON, as the Bot API wants
        message = telegram.sent[0]
        assert "&lt;b&gt;Глава&lt;/b&gt; &amp; «ЧП» на Ленина 5 🔥" in message.text
        assert f'<a href="{DASHBOARD}/alerts/1">Открыть в Инфополе</a>' in message.text
        assert [b["text"] for b in message.buttons] == ["Принято"]

        acks = TelegramAcks(bot, SECRET, allowed_chats={"1001"})
        clock.advance(3 * MINUTE)

        def acknowledge(alert_id: int, who: str) -> bool:
            return store.acknowledge(alert_id, who, clock())

        forged = dict(message.buttons[0], callback_data="ack:1:0000000000000000")
        telegram.press(type(message)(99, "1001", "x", None, {"inline_keyboard": [[forged]]}))
        telegram.press(message, user_id=5, username="stranger")
        message.chat_id = "666"
        telegram.press(message)  # the same button in someone else's chat
        message.chat_id = "1001"
        assert acks.poll(acknowledge) == 1
        alert = store.get(1)
        assert alert is not None and alert.acknowledged_by == "telegram:stranger"
        assert [a["text"] for a in telegram.answers] == [
            "Не удалось подтвердить",
            "Принято",
            "Не удалось подтвердить",
        ]
        assert acks.poll(acknowledge) == 0  # confirmed updates do not come back
        bot.close()
    assert store.escalate(where, NOW + 60 * MINUTE) == 0


# ---------------------------------------------------------------- channels on the wire


def test_email_through_a_real_smtp_server(store: AlertStore, smtp: LocalSmtp) -> None:
    store.record(
        [risky("1", 0.93, text="Ёлки-палки, опять прорыв трубы 😡 на ул. Ленина")], town(curator()), NOW
    )
    report = dispatcher(store, Clock(NOW), email=email(smtp)).run_once()
    assert report.sent == 1
    [received] = smtp.received
    mail = received.message
    assert received.rcpt_tos == ("kurator@kingisepp.example",)
    assert mail["Subject"] == "[Инфополе · высокая] Информационный риск 0.93: ЖКХ"
    [delivery] = store.deliveries()
    assert mail["Message-ID"] == f"<{delivery.idempotency_key}@infopole>"
    assert mail["X-Infopole-Idempotency-Key"] == delivery.idempotency_key
    assert "Ёлки-палки, опять прорыв трубы 😡" in received.text
    assert f"Открыть в Инфополе: {DASHBOARD}/alerts/1" in received.text
    assert f'<a href="{DASHBOARD}/alerts/1">' in received.html and "<h2>" in received.html
    assert delivery.status == "sent" and delivery.remote_id == mail["Message-ID"]


def test_webhook_is_signed_and_a_wrong_secret_is_refused(store: AlertStore) -> None:
    clock = Clock(NOW)
    with WebhookReceiver(SECRET) as receiver:
        store.record([risky("1")], town(curator(email="", webhook_url=receiver.url)), NOW)
        stamp = lambda: int(clock().timestamp())  # noqa: E731
        assert dispatcher(store, clock, webhook=WebhookNotifier(SECRET, timestamp=stamp)).run_once().sent == 1
        [body] = receiver.accepted
        assert (
            body["alert"]["key"] == "post:vk:-100003:1" and body["alert"]["link"] == f"{DASHBOARD}/alerts/1"
        )
        store.record([risky("2")], town(curator(email="", webhook_url=receiver.url)), NOW)
        wrong = WebhookNotifier(b"not-the-secret", timestamp=stamp)
        assert dispatcher(store, clock, webhook=wrong).run_once().failed == 1
        assert receiver.rejected == 1 and len(receiver.accepted) == 1
    assert store.deliveries()[-1].last_error == "webhook HTTP 401"


def test_telegram_rate_limit_is_retried_with_backoff_and_a_bad_chat_fails(store: AlertStore) -> None:
    clock = Clock(NOW)
    store.record([risky("1")], town(curator(email="", telegram_chat_id="1001")), NOW)
    store.record([risky("2")], town(curator(email="", telegram_chat_id="404")), NOW)
    with FakeTelegram(TOKEN, known_chats={"1001"}) as telegram:
        telegram.fail_next(429, "Too Many Requests: retry after 40", retry_after=40)
        send = dispatcher(store, clock, telegram=TelegramNotifier(TelegramBot(telegram.url, TOKEN), SECRET))
        report = send.run_once()
        assert (report.retried, report.failed, report.sent) == (1, 1, 0)
        first, second = store.deliveries()
        assert first.status == "pending" and first.next_attempt_at >= NOW + timedelta(seconds=40)
        assert first.last_error.startswith("Telegram 429")
        assert second.status == "failed" and second.last_error == "Telegram 400: Bad Request: chat not found"
        clock.advance(timedelta(seconds=39))
        assert send.run_once().messages == 0
        clock.advance(timedelta(seconds=30))
        assert send.run_once().sent == 1 and len(telegram.sent) == 1


def test_an_unreachable_server_is_retried_then_failed_visibly(store: AlertStore) -> None:
    clock = Clock(NOW)
    store.record([risky("1")], town(curator()), NOW)
    with LocalSmtp() as gone:
        port = gone.port
    send = dispatcher(store, clock, email=EmailNotifier(SmtpConfig("127.0.0.1", port, timeout=2)))
    outcomes = []
    for _ in range(3):
        report = send.run_once()
        outcomes.append((report.retried, report.failed))
        clock.advance(timedelta(hours=2))
    assert outcomes == [(1, 0), (1, 0), (0, 1)]
    [delivery] = store.deliveries()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error.startswith("SMTP недоступен")


# ---------------------------------------------------------------- crashes


def test_crash_between_decided_and_sent_resends_exactly_once(db_path: str, smtp: LocalSmtp) -> None:
    clock = Clock(NOW)
    first_life = Database(db_path)
    store = AlertStore(first_life)
    store.record([risky("1"), risky("2")], town(curator()), NOW)  # decided and committed
    with pytest.raises(Crash):
        dispatcher(store, clock, email=CrashBeforeSend()).run_once()  # claimed, died before sending
    first_life.close()

    second_life = Database(db_path)  # a restart
    store = AlertStore(second_life)
    send = dispatcher(store, clock, email=email(smtp))
    assert send.run_once().messages == 0  # claimed by the dead process: wait for the lease
    clock.advance(6 * MINUTE)
    assert send.run_once().sent == 2
    assert send.run_once().messages == 0
    clock.advance(timedelta(hours=1))
    assert send.run_once().messages == 0
    assert len(smtp.received) == 2 and len(smtp.mailbox) == 2
    assert {d.status for d in store.deliveries()} == {"sent"}
    second_life.close()


def test_crash_after_send_before_mark_repeats_the_same_idempotency_key(db_path: str, smtp: LocalSmtp) -> None:
    clock = Clock(NOW)
    with WebhookReceiver(SECRET) as receiver:
        recipient = curator(webhook_url=receiver.url, channels=["email", "webhook"])
        database = Database(db_path)
        store = AlertStore(database)
        store.record([risky("1")], town(recipient), NOW)
        stamp = lambda: int(clock().timestamp())  # noqa: E731
        webhook = WebhookNotifier(SECRET, timestamp=stamp)
        crashing = dispatcher(
            store, clock, email=CrashAfterSend(email(smtp)), webhook=CrashAfterSend(webhook)
        )
        with pytest.raises(Crash):
            crashing.run_once()
        database.close()

        database = Database(db_path)
        store = AlertStore(database)
        clock.advance(6 * MINUTE)
        send = dispatcher(store, clock, email=email(smtp), webhook=webhook)
        report = send.run_once()
        assert report.sent == 2  # the email (resent) and the webhook (never reached before the crash)
        assert send.run_once().messages == 0
        database.close()
        assert len(receiver.accepted) == 1 and receiver.duplicates == 0
    # the e-mail crossed the wire twice with one Message-ID: the mailbox shows it once
    assert len(smtp.received) == 2
    assert smtp.received[0].message["Message-ID"] == smtp.received[1].message["Message-ID"]
    assert len(smtp.mailbox) == 1


def test_telegram_resend_after_a_crash_says_it_may_be_a_repeat(db_path: str) -> None:
    """The Bot API has no idempotency key: the message re-sent after a crash in the window is
    marked as a possible repeat, and the ``message_id`` of the send that counted is kept."""
    clock = Clock(NOW)
    with FakeTelegram(TOKEN) as telegram:
        bot = TelegramBot(telegram.url, TOKEN)
        database = Database(db_path)
        store = AlertStore(database)
        store.record([risky("1", 0.95)], town(curator(email="", telegram_chat_id="1001")), NOW)
        with pytest.raises(Crash):
            dispatcher(store, clock, telegram=CrashAfterSend(TelegramNotifier(bot, SECRET))).run_once()
        [delivery] = store.deliveries()
        assert (delivery.status, delivery.attempts) == ("sending", 1)
        database.close()

        database = Database(db_path)  # a restart
        store = AlertStore(database)
        clock.advance(6 * MINUTE)
        [job] = store.claim_due(clock(), 5 * MINUTE)
        assert job.resumed and job.attempts == 2
        assert store.deliveries()[0].last_error.startswith("прервана попытка отправки")  # visible meanwhile
        send = dispatcher(store, clock, telegram=TelegramNotifier(bot, SECRET))
        assert send.send([job]).sent == 1
        assert send.run_once().messages == 0
        first, repeat = telegram.sent
        assert not first.text.startswith("<i>Повторная")
        assert repeat.text.startswith("<i>Повторная отправка после сбоя: это сообщение могло уже прийти")
        assert "(оповещение №1)" in repeat.text and first.text in repeat.text  # otherwise the same message
        [delivery] = store.deliveries()
        assert (delivery.status, delivery.remote_id, delivery.last_error) == (
            "sent",
            str(repeat.message_id),
            "",
        )
        database.close()
        bot.close()


def test_a_dispatcher_past_its_lease_does_not_send_what_another_took(db_path: str, smtp: LocalSmtp) -> None:
    """A slow (or paused) dispatcher's claim expires and another sends the message: the first one,
    resuming, confirms its claim before the wire and finds it gone."""
    clock = Clock(NOW)
    database = Database(db_path)
    store = AlertStore(database)
    store.record([risky("1"), risky("2")], town(curator()), NOW)
    slow = dispatcher(store, clock, email=email(smtp))
    stale = store.claim_due(clock(), 5 * MINUTE)  # the slow one claimed both, then stalled
    assert len(stale) == 2
    clock.advance(6 * MINUTE)
    other = dispatcher(store, clock, email=email(smtp))
    assert other.run_once().sent == 2
    late = slow.send(stale)
    assert (late.skipped, late.messages, late.sent) == (2, 0, 0)
    assert len(smtp.received) == 2
    assert {(d.status, d.attempts) for d in store.deliveries()} == {("sent", 2)}
    database.close()


def test_webhook_receiver_drops_a_duplicate_by_idempotency_key(db_path: str) -> None:
    clock = Clock(NOW)
    with WebhookReceiver(SECRET) as receiver:
        database = Database(db_path)
        store = AlertStore(database)
        store.record([risky("1")], town(curator(email="", webhook_url=receiver.url)), NOW)
        webhook = WebhookNotifier(SECRET, timestamp=lambda: int(clock().timestamp()))
        with pytest.raises(Crash):
            dispatcher(store, clock, webhook=CrashAfterSend(webhook)).run_once()
        clock.advance(6 * MINUTE)
        assert dispatcher(store, clock, webhook=webhook).run_once().sent == 1
        database.close()
        assert len(receiver.accepted) == 1 and receiver.duplicates == 1


def test_payload_is_json_with_the_alert(store: AlertStore) -> None:
    store.record([risky("1")], town(curator()), NOW)
    [job] = store.claim_due(NOW, 5 * MINUTE)
    from infopole.alerts.render import render

    message = render(job, DASHBOARD, municipality().tz)
    assert json.loads(json.dumps(message.payload))["alert"]["kind"] == "risk"


# ---------------------------------------------------------------- the pipeline step


def test_alerts_step_over_the_real_stores(db_path: str, smtp: LocalSmtp) -> None:
    from flows.steps import alerts
    from infopole.storage.incidents import IncidentStore
    from infopole.storage.posts import PostStore

    database = Database(db_path)
    posts, cases, outbox = PostStore(database), IncidentStore(database), AlertStore(database)
    fire = pair("7", "Пожар в доме на Гагарина, 12", NOW - 5 * MINUTE, risk_score=0.91, block="Безопасность")
    posts.save_batch([fire[0]], [], NOW - 4 * MINUTE, source_id="vk-podslushano-kingisepp")
    posts.save_analyses([fire], NOW - 3 * MINUTE)
    clock = Clock(NOW)
    send = dispatcher(outbox, clock, email=email(smtp))
    first = alerts(posts, cases, outbox, town(curator()), dispatcher=send, clock=clock)
    assert first.decided.recorded.new == 1 and first.decided.recorded.updates == 1  # risk + «Пожар» watchlist
    assert first.dispatched.sent == 1
    clock.advance(10 * MINUTE)
    second = alerts(posts, cases, outbox, town(curator()), dispatcher=send, clock=clock)
    assert second.decided.recorded.duplicates == 2 and second.dispatched.messages == 0
    assert len(smtp.received) == 1 and "Пожар в доме на Гагарина" in smtp.received[0].text
    database.close()
