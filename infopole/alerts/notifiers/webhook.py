"""A signed webhook: JSON POSTed with an HMAC-SHA256 signature over the timestamp and the body.

The receiver recomputes ``sha256=hex(HMAC(secret, "<timestamp>.<body>"))`` and compares; the
timestamp lets it refuse replays, and ``Idempotency-Key`` lets it drop the duplicate that
at-least-once delivery may produce.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

import httpx

from infopole.alerts.notifiers.base import DeliveryError, Message

SIGNATURE_HEADER = "X-Infopole-Signature"
TIMESTAMP_HEADER = "X-Infopole-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookNotifier:
    def __init__(
        self,
        secret: bytes,
        *,
        timestamp: Callable[[], int],
        client: httpx.Client | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.secret = secret
        self.timestamp = timestamp
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, message: Message) -> str:
        body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode()
        stamp = str(self.timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(self.secret, stamp, body),
            IDEMPOTENCY_HEADER: message.idempotency_key,
        }
        try:
            response = self.client.post(message.address, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook недоступен: {type(error).__name__}: {error}") from error
        if response.status_code >= 300:
            retryable = response.status_code in (408, 425, 429) or response.status_code >= 500
            raise DeliveryError(f"webhook HTTP {response.status_code}", retryable=retryable)
        return response.headers.get("X-Request-Id", "")
