"""A thin, polite client for the VK API over the real ``vk_api`` library.

``vk_api`` does the wire work (form POST, ``v`` and ``access_token``, ``{"response"}`` /
``{"error"}`` parsing); this module adds what a crawler fleet needs around it:

* a configurable base URL: ``vk_api`` hard-codes ``https://api.vk.ru/method/``, so a
  transport adapter mounted on the session rewrites that prefix (tests and the demo point
  it at the local fake, production leaves it alone);
* one request budget per token (``crawlers.quota``): the rate limit and the methods parked
  after error 29, shared by every thread using the client and, when the client is built
  with the installation's database, by every worker process and machine (VK counts
  requests per token, not per worker);
* error handling by VK error code, mapped to the collector errors in ``crawlers.base``;
* no token leaks: exceptions are rebuilt without ``vk_api``'s request values, and any
  string that still contains the token is scrubbed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

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
from crawlers.quota import LocalQuota, RateLimiter, SharedQuota, TokenQuota
from infopole.config.settings import Settings

if TYPE_CHECKING:
    from infopole.storage.db import Database

log = logging.getLogger(__name__)

VK_PRODUCTION_URL = "https://api.vk.ru"

RETRY_CODES = frozenset({6, 9, 10})  # too many requests per second, flood control, internal error
PARK_CODES = frozenset({29})  # the method's daily quota is spent
AUTH_CODES = frozenset({5, 14})  # token invalid/revoked; captcha needs a human
SOURCE_CODES = frozenset({15, 18, 30, 203, 212})  # closed, deleted, private, banned, comments closed
# VK does not publish when daily method quotas (error 29) reset; they are counted per calendar
# day of VK's servers, in Moscow time (UTC+3, no daylight saving since 2014). A method is parked
# until the next 00:00 MSK: never longer than a day, and at worst one early request is spent.
VK_DAY = timezone(timedelta(hours=3), "MSK")

__all__ = ["RateLimiter", "VkClient", "daily_reset", "scrub"]

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


def daily_reset(now: datetime) -> datetime:
    """The next 00:00 Moscow time after ``now``, in UTC: when VK's daily method quotas reset."""
    local = now.astimezone(VK_DAY)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), VK_DAY)
    return midnight.astimezone(UTC)


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
    """Calls VK methods for one token. Share one instance between threads: the budget is per token.

    Retries (6, 9, 10) are bounded with exponential backoff and jitter; other codes are
    raised at once as the collector error that tells the caller what to do. A method that
    hit its daily quota (29) is parked in the token's ``quota`` until VK's daily reset
    (``daily_reset``) and refused without a request until then, so workers do not keep
    spending requests on it. Built with ``db`` (``from_settings``), the rate limit and the
    parks are shared by every process of the installation; without, by this process only.
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
        quota: TokenQuota | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not token:
            raise ValueError("a VK token is required")
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.quota: TokenQuota = quota or LocalQuota(limiter or RateLimiter(requests_per_second), now=now)
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.requests_made = 0
        self._now = now
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
    def from_settings(cls, settings: Settings, *, db: Database | None = None, **overrides: Any) -> VkClient:
        """The client configured for this installation (``INFOPOLE_VK_*``).

        With ``db`` (the installation's database), the token's rate limit and parked methods
        are shared by every worker process through it; the database holds a hash of the token.
        """
        if settings.vk_token is None:
            raise AuthError("INFOPOLE_VK_TOKEN is not set")
        token = settings.vk_token.get_secret_value()
        options: dict[str, Any] = {
            "api_url": settings.vk_api_url,
            "api_version": settings.vk_api_version,
            "requests_per_second": settings.vk_requests_per_second,
        }
        options.update(overrides)
        if db is not None and "quota" not in options:
            from infopole.storage.quotas import TokenQuotaStore, token_hash

            options["quota"] = SharedQuota(
                TokenQuotaStore(db), token_hash("vk", token), float(options["requests_per_second"])
            )
        return cls(token, **options)

    def __repr__(self) -> str:
        return f"VkClient(api_url={self.api_url!r})"

    def parked_until(self, method: str) -> datetime | None:
        """Until when (UTC) ``method`` is parked after error 29, or ``None``."""
        return self.quota.parked_until(method)

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
                f"{method} is parked after VK error 29 until {until:%Y-%m-%d %H:%M} UTC",
                method=method,
                retry_after=max(0.0, (until - self._now()).total_seconds()),
                code=29,
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
        self.quota.acquire()
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
            now = self._now()
            until = daily_reset(now)
            self.quota.park(method, until, code)
            log.warning("VK %s parked until %s UTC after error %s", method, f"{until:%Y-%m-%d %H:%M}", code)
            return RateLimited(text, method=method, retry_after=(until - now).total_seconds(), code=code)
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
