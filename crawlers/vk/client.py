"""A thin, polite client for the VK API over the real ``vk_api`` library.

``vk_api`` does the wire work (form POST, ``v`` and ``access_token``, ``{"response"}`` /
``{"error"}`` parsing); this module adds what a crawler fleet needs around it:

* a configurable base URL: ``vk_api`` hard-codes ``https://api.vk.ru/method/``, so a
  transport adapter mounted on the session rewrites that prefix (tests and the demo point
  it at the local fake, production leaves it alone);
* one rate limiter per token, shared by every thread using the client (VK counts requests
  per token, not per worker);
* error handling by VK error code, mapped to the collector errors in ``crawlers.base``;
* no token leaks: exceptions are rebuilt without ``vk_api``'s request values, and any
  string that still contains the token is scrubbed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jconfig
import requests
import vk_api
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from crawlers.base import AuthError, BadRequest, RateLimited, SourceUnavailable, TransientError
from infopole.config.settings import Settings

log = logging.getLogger(__name__)

VK_PRODUCTION_URL = "https://api.vk.ru"

RETRY_CODES = frozenset({6, 9, 10})  # too many requests per second, flood control, internal error
PARK_CODES = frozenset({29})  # the method's daily quota is spent
AUTH_CODES = frozenset({5, 14})  # token invalid/revoked; captcha needs a human
SOURCE_CODES = frozenset({15, 18, 30, 203, 212})  # closed, deleted, private, banned, comments closed
PARK_SECONDS = 24 * 3600.0

_REDACTED = "***"


class BaseUrlAdapter(HTTPAdapter):
    """Sends requests addressed to ``https://api.vk.ru/`` to another base URL instead.

    Mounting this on the ``requests`` session is the only way to redirect ``vk_api``
    without patching it: the library builds the URL from a constant.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/") + "/"

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        prefix = VK_PRODUCTION_URL + "/"
        if request.url and request.url.startswith(prefix):
            request.url = self.base_url + request.url[len(prefix) :]
        return super().send(request, *args, **kwargs)


class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart across all threads that share it.

    Slots are reserved under a lock and slept for outside it, so waiting threads queue in
    order instead of stampeding. ``safety`` widens the interval a little because VK counts
    arrivals, and network jitter can squeeze two well-spaced sends closer together.
    """

    def __init__(
        self,
        rate: float,
        *,
        safety: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = (1.0 + safety) / rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)


def scrub(value: Any, secret: str) -> Any:
    """A copy of ``value`` (str, list, dict) with ``secret`` and ``access_token`` entries redacted."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, _REDACTED)
    if isinstance(value, Mapping):
        return {
            key: (_REDACTED if key == "access_token" else scrub(item, secret)) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        cleaned = [scrub(item, secret) for item in value]
        # VK's request_params is a list of {"key": ..., "value": ...}
        for item in cleaned:
            if isinstance(item, dict) and item.get("key") == "access_token":
                item["value"] = _REDACTED
        return cleaned
    return value


class VkClient:
    """Calls VK methods for one token. Share one instance between threads: the limiter is per token.

    Retries (6, 9, 10) are bounded with exponential backoff and jitter; other codes are
    raised at once as the collector error that tells the caller what to do. A method that
    hit its daily quota (29) is parked in this client and refused locally until the park
    expires, so workers do not keep spending requests on it.
    """

    def __init__(
        self,
        token: str,
        *,
        api_url: str = VK_PRODUCTION_URL,
        api_version: str = "5.199",
        requests_per_second: float = 3.0,
        max_attempts: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not token:
            raise ValueError("a VK token is required")
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.limiter = limiter or RateLimiter(requests_per_second)
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.requests_made = 0
        self._parked: dict[str, float] = {}
        self._lock = threading.Lock()

        http = session or requests.Session()
        http.headers["User-Agent"] = "infopole/0.1 (+municipal monitoring)"
        if self.api_url != VK_PRODUCTION_URL:
            http.mount(VK_PRODUCTION_URL + "/", BaseUrlAdapter(self.api_url))
        http.request = _with_timeout(http.request, timeout)  # type: ignore[method-assign]
        self._vk = vk_api.VkApi(
            token=token, api_version=api_version, session=http, config=jconfig.MemoryConfig
        )
        # Our limiter replaces vk_api's per-instance 0.34 s delay, and our retry policy
        # replaces its handlers: vk_api retries error 6 forever and raises on captcha.
        self._vk.RPS_DELAY = 0.0
        self._vk.error_handlers = {}

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> VkClient:
        """The client configured for this installation (``INFOPOLE_VK_*``)."""
        if settings.vk_token is None:
            raise AuthError("INFOPOLE_VK_TOKEN is not set")
        options: dict[str, Any] = {
            "api_url": settings.vk_api_url,
            "api_version": settings.vk_api_version,
            "requests_per_second": settings.vk_requests_per_second,
        }
        options.update(overrides)
        return cls(settings.vk_token.get_secret_value(), **options)

    def __repr__(self) -> str:
        return f"VkClient(api_url={self.api_url!r})"

    def parked_until(self, method: str) -> float | None:
        """Monotonic time until which ``method`` is parked, or ``None``."""
        with self._lock:
            until = self._parked.get(method)
            if until is not None and until <= time.monotonic():
                del self._parked[method]
                return None
            return until

    def call(self, method: str, **params: Any) -> Any:
        """``method`` with ``params``; returns the ``response`` part of VK's answer."""
        return self._call(method, params, raw=False)

    def call_raw(self, method: str, **params: Any) -> dict[str, Any]:
        """Like ``call``, but the whole answer (``execute`` puts ``execute_errors`` beside ``response``)."""
        body: dict[str, Any] = self._call(method, params, raw=True)
        return body

    def _call(self, method: str, params: dict[str, Any], *, raw: bool) -> Any:
        until = self.parked_until(method)
        if until is not None:
            raise RateLimited(
                f"{method} is parked after VK error 29", method=method, retry_after=until - time.monotonic()
            )
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.max_attempts),
            # exponential from backoff_initial, plus up to one backoff_initial of jitter so that
            # workers sharing a token do not retry in lockstep
            wait=wait_exponential(multiplier=self.backoff_initial, max=self.backoff_max)
            + wait_random(0, self.backoff_initial),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(self._call_once, method, params, raw)
        except _Retryable as exc:
            raise TransientError(
                f"{method}: VK error {exc.code} persisted after {self.max_attempts} attempts: {exc.message}",
                code=exc.code,
            ) from None

    def _call_once(self, method: str, params: dict[str, Any], raw: bool = False) -> Any:
        values = {key: _wire(value) for key, value in params.items() if value is not None}
        self.limiter.acquire()
        with self._lock:
            self.requests_made += 1
        try:
            return self._vk.method(method, values, raw=raw)
        except vk_api.ApiError as exc:
            error = self._translate(method, exc.code, str(exc.error.get("error_msg", "")))
        except vk_api.ApiHttpError as exc:
            status = exc.response.status_code
            if status >= 500 or status == 429:
                error = _Retryable(10, f"HTTP {status}")
            else:
                error = BadRequest(f"{method}: HTTP {status}", code=None)
        except requests.RequestException as exc:
            error = _Retryable(10, self._scrub(f"{type(exc).__name__}: {exc}"))
        except ValueError as exc:  # a body that is not JSON
            error = _Retryable(10, self._scrub(f"invalid response: {exc}"))
        # raised outside the except blocks: the vk_api exception (it holds the request
        # values, token included) must not be chained as __context__
        raise error

    def _translate(self, method: str, code: int, message: str) -> Exception:
        message = self._scrub(message)
        text = f"{method}: VK error {code}: {message}"
        if code in RETRY_CODES:
            return _Retryable(code, message)
        if code in PARK_CODES:
            with self._lock:
                self._parked[method] = time.monotonic() + PARK_SECONDS
            log.warning("VK %s parked for %.0f h after error %s", method, PARK_SECONDS / 3600, code)
            return RateLimited(text, method=method, retry_after=PARK_SECONDS, code=code)
        if code in AUTH_CODES:
            return AuthError(text, code=code)
        if code in SOURCE_CODES:
            return SourceUnavailable(text, code=code)
        return BadRequest(text, code=code)

    def _scrub(self, text: str) -> str:
        return str(scrub(text, self._token))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "VK %s: error %s, retry %d/%d in %.2f s",
            state.args[0] if state.args else "?",
            getattr(exc, "code", "?"),
            state.attempt_number,
            self.max_attempts - 1,
            wait,
        )


class _Retryable(Exception):
    """Internal: a failure worth another attempt (VK 6, 9, 10, HTTP 5xx, network)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message


def _wire(value: Any) -> Any:
    """VK wants booleans as 1/0 and lists comma-separated."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return value


def _with_timeout(
    request: Callable[..., requests.Response], timeout: float
) -> Callable[..., requests.Response]:
    """``vk_api`` sends without a timeout; a hung connection must not hang a worker forever."""

    def send(*args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", timeout)
        return request(*args, **kwargs)

    return send
