"""A signed JSON webhook per new or changed case, for appeals systems that want a push.

The body is the case as Open311 shows it plus the event; the signature is an HMAC-SHA256 of
``"{timestamp}.{body}"`` with the receiver's shared secret (header ``X-Infopole-Signature:
sha256=<hex>``), so a receiver can reject forged and replayed calls. ``X-Infopole-Delivery`` is the
same for the same case version (and sent again as the usual ``Idempotency-Key``), so a receiver
can drop a delivery it has already processed.
``deliver`` retries connection errors and 5xx with exponential backoff and jitter; a 4xx is the
receiver refusing the call and is not retried. The cases step does not call it on a change: each
change writes its event to the outbox (``case_events``) and ``storage.case_events`` delivers it,
one try per run with backoff between runs, so an event outlives a receiver outage or a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident
from infopole.incidents.georeport import request_json

SIGNATURE = "X-Infopole-Signature"
TIMESTAMP = "X-Infopole-Timestamp"
EVENT = "X-Infopole-Event"
DELIVERY = "X-Infopole-Delivery"
IDEMPOTENCY_KEY = "Idempotency-Key"
TOLERANCE_S = 300


def payload(incident: Incident, event: str, municipality: Municipality) -> dict[str, Any]:
    return {
        "event": event,  # case.created, case.changed
        "municipality": municipality.slug,
        "version": incident.version,
        "kind": incident.kind.value,
        "status": incident.status.value,
        "request": request_json(incident, municipality),
    }


def body_of(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> bool:
    """What a receiver does: a fresh timestamp and a signature that matches, compared in constant time."""
    try:
        timestamp = int(headers[TIMESTAMP])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > TOLERANCE_S:
        return False
    return hmac.compare_digest(sign(body, secret, timestamp), headers.get(SIGNATURE, ""))


def delivery_key(data: Mapping[str, Any]) -> str:
    """The same for every delivery of one case version: the receiver's idempotency key."""
    request = data.get("request", {})
    digest = hashlib.sha256(f"{request.get('service_request_id')}:{data.get('version')}".encode())
    return digest.hexdigest()[:32]


def headers_for(data: Mapping[str, Any], body: bytes, secret: str, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    delivery = delivery_key(data)
    return {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE: sign(body, secret, timestamp),
        TIMESTAMP: str(timestamp),
        EVENT: str(data.get("event", "")),
        DELIVERY: delivery,
        IDEMPOTENCY_KEY: delivery,
    }


class _Retryable(Exception):
    """A 5xx answer: the receiver is down or overloaded, so try again later."""


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    ok: bool
    status: int | None
    attempts: int
    error: str = ""


def deliver(
    client: httpx.Client,
    url: str,
    data: Mapping[str, Any],
    secret: str,
    now: datetime,
    attempts: int = 4,
    backoff_s: float = 2.0,
) -> DeliveryResult:
    body = body_of(data)
    headers = headers_for(data, body, secret, now)
    tries = 0

    def post_once() -> httpx.Response:
        nonlocal tries
        tries += 1
        response = client.post(url, content=body, headers=headers)
        if response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}")
        return response

    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=backoff_s, max=60 * backoff_s),
        retry=retry_if_exception(lambda error: isinstance(error, _Retryable | httpx.TransportError)),
    )
    try:
        response = retrying(post_once)
    except RetryError as error:
        cause = error.last_attempt.exception()
        return DeliveryResult(False, None, tries, str(cause))
    return DeliveryResult(
        response.is_success, response.status_code, tries, "" if response.is_success else response.text[:200]
    )
