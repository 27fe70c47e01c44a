"""A local webhook receiver that verifies the signature and drops duplicate idempotency keys,
as the webhook contract asks receivers to."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from infopole.alerts.fakes.http import LocalHttp
from infopole.alerts.notifiers.webhook import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


@dataclass
class WebhookReceiver:
    secret: bytes
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    duplicates: int = 0
    fail_next: int = 0  # answer 503 this many times
    _keys: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._http = LocalHttp(self._route)
        self.url = f"{self._http.url}/hooks/infopole"

    def __enter__(self) -> WebhookReceiver:
        self._http.start()
        return self

    def __exit__(
        self, *_exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        self._http.stop()

    def _route(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        with self._lock:
            if path != "/hooks/infopole":
                return 404, {"error": "not found"}
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"error": "busy"}
            stamp = headers.get(TIMESTAMP_HEADER.lower(), "")
            signature = headers.get(SIGNATURE_HEADER.lower(), "")
            if not verify(self.secret, stamp, body, signature):
                self.rejected += 1
                return 401, {"error": "bad signature"}
            key = headers.get(IDEMPOTENCY_HEADER.lower(), "")
            if key in self._keys:
                self.duplicates += 1
                return 200, {"status": "duplicate"}
            self._keys.add(key)
            self.accepted.append(json.loads(body))
            return 202, {"status": "accepted"}
