"""Batching VK calls with ``execute``: up to 25 API calls for the price of one request.

VK counts requests per token (3 per second for a user token), and an ``execute`` request
is one request however many calls its VKScript makes (at most 25). The script emitted
here is the simplest VKScript there is::

    return [API.wall.getComments({"owner_id": -1, "post_id": 5, "count": 100}), ...];

VK answers ``{"response": [r1, r2, ...], "execute_errors": [{method, error_code, error_msg}, ...]}``:
a call that failed is ``false`` in ``response`` and its error is the next one in
``execute_errors``. A failed call is repeated here on its own with ``VkClient.call``, so it
goes through the same retries and error mapping as any other call (``SourceUnavailable``
for a closed wall, ``BadRequest`` for a vanished post) and the caller need not know it was
batched. If ``execute`` itself fails for a reason other than the token (a VKScript error,
a quota), every call is made singly instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crawlers.base import AuthError, CollectorError, RateLimited
from crawlers.vk.client import VkClient, _wire

log = logging.getLogger(__name__)

MAX_CALLS = 25  # VK's limit of API calls in one execute


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallResult:
    """The answer of one batched call, or the collector error its single retry ended with."""

    call: ApiCall
    response: Any = None
    error: CollectorError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def vkscript(calls: Sequence[ApiCall]) -> str:
    """``return [API.m1({...}), API.m2({...})];`` with JSON object literals (valid VKScript)."""
    if not 0 < len(calls) <= MAX_CALLS:
        raise ValueError(f"execute takes 1..{MAX_CALLS} calls, not {len(calls)}")
    parts = []
    for call in calls:
        params = {key: _wire(value) for key, value in call.params.items() if value is not None}
        parts.append(f"API.{call.method}({json.dumps(params, ensure_ascii=False, separators=(',', ':'))})")
    return "return [" + ",".join(parts) + "];"


class Executor:
    """Runs lists of calls through ``execute`` in chunks of ``batch_size``; ``batch_size`` 1 disables it."""

    def __init__(self, client: VkClient, *, batch_size: int = MAX_CALLS) -> None:
        if not 1 <= batch_size <= MAX_CALLS:
            raise ValueError(f"batch_size must be within 1..{MAX_CALLS}")
        self.client = client
        self.batch_size = batch_size

    def run(self, calls: Sequence[ApiCall]) -> list[CallResult]:
        """One result per call, in order. Auth and rate-limit errors are raised, not returned."""
        results: list[CallResult] = []
        for start in range(0, len(calls), self.batch_size):
            results += self._chunk(list(calls[start : start + self.batch_size]))
        return results

    def _chunk(self, calls: list[ApiCall]) -> list[CallResult]:
        if len(calls) == 1 or self.batch_size == 1:
            return [self._single(call) for call in calls]
        try:
            body = self.client.call_raw("execute", code=vkscript(calls))
        except (AuthError, RateLimited):
            raise
        except CollectorError as exc:  # a script VK would not run: do the calls one by one
            log.info("VK execute failed (%s); %d calls made singly", exc, len(calls))
            return [self._single(call) for call in calls]
        answers = body.get("response")
        if not isinstance(answers, list) or len(answers) != len(calls):
            log.info("VK execute answered %r; %d calls made singly", type(answers).__name__, len(calls))
            return [self._single(call) for call in calls]
        errors = list(body.get("execute_errors") or ())
        if errors:
            log.info("VK execute: %d of %d calls failed, repeated singly", len(errors), len(calls))
        return [
            self._single(call) if answer is False else CallResult(call, answer)
            for call, answer in zip(calls, answers, strict=True)
        ]

    def _single(self, call: ApiCall) -> CallResult:
        try:
            return CallResult(call, self.client.call(call.method, **call.params))
        except (AuthError, RateLimited):
            raise
        except CollectorError as exc:
            return CallResult(call, error=exc)
