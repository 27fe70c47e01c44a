"""Webhook signatures and retries against a real local HTTP receiver, and the durable outbox:
events kept while the receiver is down and across a restart, delivered once each."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from flows import steps
from infopole.incidents.webhook import (
    DELIVERY,
    IDEMPOTENCY_KEY,
    SIGNATURE,
    TIMESTAMP,
    body_of,
    deliver,
    payload,
    sign,
    verify,
)
from infopole.storage.case_events import CaseEventStore, WebhookTarget
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from tests.case_fixtures import MUNICIPALITY, NOW, analysis, case, post

SECRET = "shared-secret"


class Receiver(BaseHTTPRequestHandler):
    """Answers with the next status from ``plan`` and keeps what it got, checking the signature."""

    plan: ClassVar[list[int]] = []
    got: ClassVar[list[tuple[bytes, dict[str, str], bool]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {key: value for key, value in self.headers.items()}
        Receiver.got.append((body, headers, verify(body, headers, SECRET, NOW)))
        status = Receiver.plan.pop(0) if Receiver.plan else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status < 400 else b"no")

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.plan, Receiver.got = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    thread.join(10)


def _data() -> dict[str, object]:
    incident = case()
    incident.version = 3
    return payload(incident, "case.changed", MUNICIPALITY)


def test_signature_is_pinned_and_checked() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert sign(body, "k", 1700000000) == f"sha256={expected}"
    stamp = str(int(NOW.timestamp()))
    good = {TIMESTAMP: stamp, SIGNATURE: sign(body, SECRET, int(stamp))}
    assert verify(body, good, SECRET, NOW)
    assert not verify(b'{"a":2}', good, SECRET, NOW)  # tampered body
    assert not verify(body, good, "other-secret", NOW)
    assert not verify(body, good, SECRET, NOW + timedelta(minutes=10))  # replayed later
    assert not verify(body, {SIGNATURE: good[SIGNATURE]}, SECRET, NOW)


def test_delivery_retries_5xx_and_is_signed(receiver: str) -> None:
    Receiver.plan = [503, 502]
    with httpx.Client(timeout=5) as client:
        result = deliver(client, receiver, _data(), SECRET, NOW, attempts=4, backoff_s=0.01)
    assert (result.ok, result.status, result.attempts) == (True, 200, 3)
    assert [valid for _, _, valid in Receiver.got] == [True, True, True]
    bodies = {body for body, _, _ in Receiver.got}
    deliveries = {headers[DELIVERY] for _, headers, _ in Receiver.got}
    assert bodies == {body_of(_data())} and len(deliveries) == 1  # the same call each time
    assert b'"event":"case.changed"' in Receiver.got[0][0]


def test_a_4xx_is_not_retried_and_giving_up_is_reported(receiver: str) -> None:
    Receiver.plan = [410]
    with httpx.Client(timeout=5) as client:
        refused = deliver(client, receiver, _data(), SECRET, NOW, backoff_s=0.01)
        assert (refused.ok, refused.status, refused.attempts) == (False, 410, 1)
        Receiver.plan = [500, 500, 500]
        down = deliver(client, receiver, _data(), SECRET, NOW, attempts=3, backoff_s=0.01)
    assert (down.ok, down.attempts, down.error) == (False, 3, "HTTP 500")


# --- the outbox ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _two_cases(db: Database) -> IncidentStore:
    first, second = post("1"), post("2", "Не вывозят мусор на Садовой уже неделю", owner="-100004")
    PostStore(db).save_batch([first, second], [], NOW)
    store = IncidentStore(db)
    store.take_incidents(
        [(first, analysis(first)), (second, analysis(second, block="ЖКХ"))], MUNICIPALITY, NOW
    )
    return store


def _processed() -> dict[str, int]:
    """What a receiver that drops repeats by ``Idempotency-Key`` processed, and how often it saw each."""
    seen: dict[str, int] = {}
    for _, headers, valid in Receiver.got:
        assert valid
        seen[headers[IDEMPOTENCY_KEY]] = seen.get(headers[IDEMPOTENCY_KEY], 0) + 1
    return seen


def test_events_survive_a_receiver_outage_and_a_restart(tmp_path: Path) -> None:
    Receiver.plan, Receiver.got = [], []
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    port = _free_port()
    target = WebhookTarget(f"http://127.0.0.1:{port}/hook", SECRET, max_attempts=5)
    db = Database(url)
    store = _two_cases(db)
    case_id = store.list()[0].id or 0
    store.change(  # a state change, then the receiver is down when the step runs
        case_id,
        lambda c: c.answer("Яму заделали 23.11", NOW, "zhkh"),
        municipality=MUNICIPALITY,
        now=NOW,
        actor="zhkh",
    )
    outbox = CaseEventStore(db)
    events = outbox.events()
    assert [(e.event, e.state) for e in events] == [
        ("case.created", "pending"),
        ("case.created", "pending"),
        ("case.changed", "pending"),
    ]
    with httpx.Client(timeout=2) as client:
        down = outbox.deliver_due(client, target, MUNICIPALITY, NOW)
        assert (down.delivered, down.failed) == (0, 2) and down.waiting == 1  # the case's 2nd event waits
        assert outbox.deliver_due(client, target, MUNICIPALITY, NOW).waiting == 3  # backing off
    kept = {e.id: e for e in outbox.events()}
    assert all(e.state == "pending" for e in kept.values())
    first_retry = min(e.next_attempt_at for e in kept.values() if e.attempts)
    assert timedelta(seconds=22) <= first_retry - NOW <= timedelta(seconds=38)  # 30 s ± 25 %
    db.close()  # the process restarts; the receiver comes back

    server = _serve(port)
    try:
        db = Database(url)
        outbox = CaseEventStore(db)
        later = NOW + timedelta(minutes=5)
        with httpx.Client(timeout=2) as client:
            up = outbox.deliver_due(client, target, MUNICIPALITY, later)
            assert (up.delivered, up.failed, up.dead) == (3, 0, 0)
            assert outbox.deliver_due(client, target, MUNICIPALITY, later + timedelta(hours=1)).delivered == 0
    finally:
        server.shutdown()
    assert list(_processed().values()) == [1, 1, 1]  # exactly once per event
    bodies = [json.loads(body) for body, _, _ in Receiver.got]
    versions = [(b["request"]["service_request_id"], b["version"], b["event"]) for b in bodies]
    assert versions[-1] == (str(case_id), 2, "case.changed") and len(set(versions)) == 3
    assert all(e.state == "delivered" for e in outbox.events())
    db.close()


def test_a_crash_after_sending_repeats_the_same_key_and_dead_events_are_replayed(
    tmp_path: Path, receiver: str
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'outbox.db'}")
    _two_cases(db)
    outbox = CaseEventStore(db)
    target = WebhookTarget(receiver, SECRET, max_attempts=2)
    first = outbox.events()[0]
    with httpx.Client(timeout=2) as client:
        # claimed and sent, then the process dies before recording the delivery
        assert outbox._claim(first, target, NOW)
        deliver(client, receiver, outbox._payload(first, MUNICIPALITY) or {}, SECRET, NOW, attempts=1)
        after_crash = NOW + timedelta(minutes=1)
        assert outbox.deliver_due(client, target, MUNICIPALITY, after_crash).delivered == 2
        assert sorted(_processed().values()) == [1, 2]  # one repeat, same key: the receiver drops it
        # a receiver that keeps failing: dead after max_attempts, visible, then replayed
        store = IncidentStore(db)
        case_id = store.list()[0].id or 0
        store.change(case_id, lambda c: c.resolve(NOW, "zhkh"), municipality=MUNICIPALITY, now=NOW, actor="z")
        Receiver.plan = [500, 503]
        assert outbox.deliver_due(client, target, MUNICIPALITY, after_crash).failed == 1
        assert outbox.deliver_due(client, target, MUNICIPALITY, after_crash + timedelta(minutes=2)).dead == 1
        (dead,) = outbox.events(state="dead")
        assert (dead.incident_id, dead.attempts, dead.last_error) == (case_id, 2, "HTTP 503")
        assert outbox.replay(after_crash, [dead.id]) == 1
        assert outbox.deliver_due(client, target, MUNICIPALITY, after_crash).delivered == 1
    assert outbox.events(state="dead") == [] and len(_processed()) == 3
    db.close()


def test_the_cases_step_escalates_and_delivers_through_the_outbox(tmp_path: Path, receiver: str) -> None:
    """``flows.steps.case_upkeep``: an overdue case is escalated (a new case version) and every
    version reaches the configured receiver, signed, in order, once."""
    db = Database(f"sqlite:///{tmp_path / 'step.db'}")
    store = _two_cases(db)
    hooked = MUNICIPALITY.model_copy(
        update={"cases": MUNICIPALITY.cases.model_copy(update={"webhook_url": receiver})}
    )
    tuesday_noon = NOW + timedelta(hours=24)  # both first answers were due Tuesday 11:00 MSK
    report = steps.case_upkeep(db, store, hooked, salt="s", webhook_secret=SECRET, clock=lambda: tuesday_noon)
    assert sorted(report.escalated) == sorted(c.id for c in store.list())
    assert (report.webhook.delivered, report.webhook.failed) == (4, 0)  # 2 created + 2 escalated
    assert all(verify(body, headers, SECRET, tuesday_noon) for body, headers, _ in Receiver.got)
    events = [json.loads(body) for body, _, _ in Receiver.got]
    assert sorted((e["request"]["service_request_id"], e["version"]) for e in events) == sorted(
        (str(c.id), v) for c in store.list() for v in (1, 2)
    )
    again = steps.case_upkeep(db, store, hooked, salt="s", webhook_secret=SECRET, clock=lambda: tuesday_noon)
    assert (again.escalated, again.webhook.delivered) == ([], 0)
    db.close()


def test_old_delivered_events_are_pruned_and_without_a_webhook_waiting_ones_too(
    tmp_path: Path, receiver: str
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'prune.db'}")
    _two_cases(db)
    outbox = CaseEventStore(db)
    target = WebhookTarget(receiver, SECRET)
    with httpx.Client(timeout=2) as client:
        assert outbox.deliver_due(client, target, MUNICIPALITY, NOW).delivered == 2
    store = IncidentStore(db)
    case_id = store.list()[0].id or 0
    store.change(case_id, lambda c: c.resolve(NOW, "zhkh"), municipality=MUNICIPALITY, now=NOW, actor="z")
    later = NOW + timedelta(days=31)
    # with a webhook, only delivered events go; the waiting one stays for the receiver
    assert outbox.prune(later - timedelta(days=30), webhook=True) == 2
    assert [e.state for e in outbox.events()] == ["pending"]
    assert outbox.prune(NOW - timedelta(days=1), webhook=False) == 0  # nothing that old
    assert outbox.prune(later - timedelta(days=30), webhook=False) == 1
    assert outbox.events() == []
    db.close()
