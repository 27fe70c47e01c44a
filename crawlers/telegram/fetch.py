"""A small polite page fetcher for the t.me web preview, returning Scrapy ``HtmlResponse``s.

It is the collector's stand-in for Scrapy's downloader (see
``crawlers.telegram.preview_collector`` for why), with the same manners the spider's
settings ask of Scrapy: one request at a time per fetcher, at least ``min_interval``
seconds apart, and bounded retries with exponential backoff and jitter on 429, 5xx and
network errors. A ``Retry-After`` header is honoured when it is short; a long one is not
slept through: the source is handed back to the scheduler as ``RateLimited``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from scrapy.http import HtmlResponse
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from crawlers.base import BadRequest, RateLimited, SourceUnavailable, TransientError

log = logging.getLogger(__name__)

USER_AGENT = "Mozilla/5.0 (compatible; infopole/0.1; +municipal monitoring)"
METHOD = "t.me/s"  # what ``RateLimited.method`` names: the whole preview, one budget


class _Retryable(Exception):
    def __init__(self, status: int | None, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class PreviewFetcher:
    """GETs preview pages one at a time; share one instance per process (t.me counts per IP)."""

    def __init__(
        self,
        base_url: str = "https://t.me",
        *,
        min_interval: float = 2.0,
        max_attempts: int = 4,
        backoff_initial: float = 2.0,
        backoff_max: float = 60.0,
        max_retry_after: float = 60.0,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.min_interval = min_interval
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.timeout = timeout
        self.requests_made = 0
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.headers["Accept-Language"] = (
            "en-US,en;q=0.9"  # the «edited» marker is parsed in English
        )
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def __repr__(self) -> str:
        return f"PreviewFetcher(base_url={self.base_url!r})"

    def page(self, channel: str, before: int | None = None) -> HtmlResponse:
        """``/s/<channel>`` (the newest posts) or ``/s/<channel>?before=<id>`` (the page older than id)."""
        path = f"/s/{channel}" + (f"?before={before}" if before else "")
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(self._get_once, path)
        except _Retryable as exc:
            if exc.status == 429:
                raise RateLimited(
                    f"{path}: still 429 after {self.max_attempts} attempts",
                    method=METHOD,
                    retry_after=exc.retry_after or self.backoff_max,
                    code=429,
                ) from None
            raise TransientError(
                f"{path}: {exc} after {self.max_attempts} attempts", code=exc.status
            ) from None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after
        backoff = wait_exponential(multiplier=self.backoff_initial, max=self.backoff_max) + wait_random(
            0, self.backoff_initial
        )
        return float(backoff(state))

    def _get_once(self, path: str) -> HtmlResponse:
        self._pace()
        url = self.base_url + path
        try:
            answer = self._session.get(url, timeout=self.timeout, allow_redirects=True)
        except requests.RequestException as exc:
            raise _Retryable(None, f"{type(exc).__name__}: {exc}") from None
        if answer.status_code == 429:
            retry_after = _seconds(answer.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.max_retry_after:
                raise RateLimited(
                    f"{path}: 429, Retry-After {retry_after:.0f} s",
                    method=METHOD,
                    retry_after=retry_after,
                    code=429,
                )
            raise _Retryable(429, "HTTP 429", retry_after)
        if answer.status_code >= 500:
            raise _Retryable(answer.status_code, f"HTTP {answer.status_code}")
        if answer.status_code == 404:
            raise SourceUnavailable(f"{path}: HTTP 404", code=404)
        if answer.status_code >= 400:
            raise BadRequest(f"{path}: HTTP {answer.status_code}", code=answer.status_code)
        return HtmlResponse(
            url=answer.url,
            status=answer.status_code,
            body=answer.content,
            encoding=answer.encoding or "utf-8",
        )

    def _pace(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.min_interval
            self.requests_made += 1
        if slot > now:
            self._sleep(slot - now)

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "t.me preview %s: %s, retry %d/%d in %.2f s",
            state.args[0] if state.args else "?",
            exc,
            state.attempt_number,
            self.max_attempts - 1,
            state.next_action.sleep if state.next_action else 0.0,
        )


def _seconds(value: Any) -> float | None:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None
