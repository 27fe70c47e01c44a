"""Webhook signatures and retries against a real local HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from infopole.incidents.webhook import DELIVERY, SIGNATURE, TIMESTAMP, body_of, deliver, payload, sign, verify
from tests.case_fixtures import MUNICIPALITY, NOW, case

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
