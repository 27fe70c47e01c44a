"""A small client for the OK (Одноклассники) REST API, ``<base>/fb.do``, with OK's request signing.

Every call carries ``application_key``, ``method``, ``format=json``, ``access_token`` and
``sig``. The signature is OK's documented algorithm for OAuth sessions::

    session_secret_key = md5(access_token + application_secret_key)          (lower-case hex)
    sig = md5("".join(f"{k}={v}" for k, v in sorted(params)) + session_secret_key)

where ``params`` are all request parameters except ``sig``, ``access_token`` and
``session_key``, with their raw (not URL-encoded) UTF-8 values. An app's «eternal»
access token comes with its ``session_secret_key`` already computed; either secret works.

Errors come back as HTTP 200 with ``{"error_code", "error_msg", "error_data"}`` and are
mapped to the collector errors by what the caller should do:

* 1 UNKNOWN, 2 SERVICE, HTTP 5xx and network errors: bounded retries with backoff (tenacity);
* 8 FLOOD_BLOCKED, 11 LIMIT_REACHED: ``RateLimited`` (reschedule; never slept through here);
* 101 bad application key, 102 session expired, 103 bad session, 104 bad signature,
  10 permission denied: ``AuthError``, never retried: an operator must fix the credential;
* 300 NOT_FOUND, 454/455 (group or topic blocked, deleted, closed): ``SourceUnavailable``;
* 100 PARAM and anything else: ``BadRequest``.

No secret (token, application or session secret) ever reaches a log line, an exception
message or a payload: messages are scrubbed, and request parameters are never echoed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from crawlers.base import AuthError, BadRequest, RateLimited, SourceUnavailable, TransientError
from crawlers.vk.client import RateLimiter
from infopole.config.settings import Settings

log = logging.getLogger(__name__)

OK_PRODUCTION_URL = "https://api.ok.ru"
UNSIGNED = frozenset({"sig", "access_token", "session_key"})

RETRY_CODES = frozenset({1, 2})  # UNKNOWN, SERVICE (temporarily unavailable)
PARK_SECONDS = {8: 600.0, 11: 3600.0}  # FLOOD_BLOCKED: minutes; LIMIT_REACHED: the hourly/daily quota
AUTH_CODES = frozenset({10, 101, 102, 103, 104})
SOURCE_CODES = frozenset({300, 454, 455})

_REDACTED = "***"


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def session_secret_key(access_token: str, application_secret_key: str) -> str:
    return md5_hex(access_token + application_secret_key)


def signature(params: Mapping[str, Any], secret_key: str) -> str:
    """``sig`` for ``params`` (all request parameters; unsigned ones are left out here)."""
    signed = "".join(f"{key}={params[key]}" for key in sorted(params) if key not in UNSIGNED)
    return md5_hex(signed + secret_key)


class OkClient:
    """Calls OK API methods for one application and token; share one instance per process (one limiter)."""

    def __init__(
        self,
        application_key: str,
        access_token: str,
        *,
        session_secret: str = "",
        application_secret_key: str = "",
        api_url: str = OK_PRODUCTION_URL,
        requests_per_second: float = 3.0,
        max_attempts: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        if not application_key or not access_token:
            raise ValueError("an OK application key and access token are required")
        if not session_secret and not application_secret_key:
            raise ValueError("an OK session secret or application secret key is required to sign requests")
        self._application_key = application_key
        self._access_token = access_token
        self._application_secret = application_secret_key
        self._secret_key = session_secret or session_secret_key(access_token, application_secret_key)
        self.api_url = api_url.rstrip("/")
        self.limiter = RateLimiter(requests_per_second)
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.timeout = timeout
        self.requests_made = 0
        self._http = session or requests.Session()
        self._http.headers["User-Agent"] = "infopole/0.1 (+municipal monitoring)"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> OkClient:
        """The client configured for this installation (``INFOPOLE_OK_*``)."""
        missing = [
            name
            for name, value in (
                ("INFOPOLE_OK_APPLICATION_KEY", settings.ok_application_key),
                ("INFOPOLE_OK_ACCESS_TOKEN", settings.ok_access_token),
            )
            if value is None
        ]
        if settings.ok_session_secret is None and settings.ok_application_secret_key is None:
            missing.append("INFOPOLE_OK_SESSION_SECRET or INFOPOLE_OK_APPLICATION_SECRET_KEY")
        if missing:
            raise AuthError(f"OK credentials are not set: {', '.join(missing)}")
        assert settings.ok_application_key is not None and settings.ok_access_token is not None
        options: dict[str, Any] = {
            "api_url": settings.ok_api_url,
            "session_secret": settings.ok_session_secret.get_secret_value()
            if settings.ok_session_secret
            else "",
            "application_secret_key": (
                settings.ok_application_secret_key.get_secret_value()
                if settings.ok_application_secret_key
                else ""
            ),
        }
        options.update(overrides)
        return cls(
            settings.ok_application_key.get_secret_value(),
            settings.ok_access_token.get_secret_value(),
            **options,
        )

    def __repr__(self) -> str:
        return f"OkClient(api_url={self.api_url!r})"

    def signed_params(self, method: str, params: Mapping[str, Any]) -> dict[str, str]:
        """The full form of one request: the method's parameters, the fixed ones, ``sig`` and the token."""
        values = {key: _wire(value) for key, value in params.items() if value is not None}
        values.update(application_key=self._application_key, method=method, format="json")
        values["sig"] = signature(values, self._secret_key)
        values["access_token"] = self._access_token
        return values

    def call(self, method: str, **params: Any) -> Any:
        """``method`` with ``params``; returns OK's JSON answer (a dict or a list)."""
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=self.backoff_initial, max=self.backoff_max)
            + wait_random(0, self.backoff_initial),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(self._call_once, method, params)
        except _Retryable as exc:
            raise TransientError(
                f"{method}: {exc.message} persisted after {self.max_attempts} attempts", code=exc.code
            ) from None

    def _call_once(self, method: str, params: Mapping[str, Any]) -> Any:
        form = self.signed_params(method, params)
        self.limiter.acquire()
        self.requests_made += 1
        error: Exception
        try:
            answer = self._http.post(self.api_url + "/fb.do", data=form, timeout=self.timeout)
        except requests.RequestException as exc:
            error = _Retryable(None, self.scrub(f"{type(exc).__name__}: {exc}"))
        else:
            if answer.status_code >= 500 or answer.status_code == 429:
                error = _Retryable(None, f"HTTP {answer.status_code}")
            elif answer.status_code >= 400:
                error = BadRequest(f"{method}: HTTP {answer.status_code}")
            else:
                try:
                    body = answer.json()
                except ValueError:
                    error = _Retryable(None, "a response that is not JSON")
                else:
                    if not (isinstance(body, Mapping) and "error_code" in body):
                        return body
                    error = self._translate(method, int(body["error_code"]), str(body.get("error_msg") or ""))
        # raised outside the except blocks, so no exception holding the request is chained
        raise error

    def _translate(self, method: str, code: int, message: str) -> Exception:
        text = f"{method}: OK error {code}: {self.scrub(message)}"
        if code in RETRY_CODES:
            return _Retryable(code, text)
        if code in PARK_SECONDS:
            log.warning("OK %s rate-limited (error %s), rescheduling", method, code)
            return RateLimited(text, method=method, retry_after=PARK_SECONDS[code], code=code)
        if code in AUTH_CODES:
            return AuthError(text, code=code)
        if code in SOURCE_CODES:
            return SourceUnavailable(text, code=code)
        return BadRequest(text, code=code)

    def scrub(self, text: str) -> str:
        """``text`` without any of this client's secrets."""
        for secret in (self._access_token, self._secret_key, self._application_secret):
            if secret:
                text = text.replace(secret, _REDACTED)
        return text

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "OK %s: %s, retry %d/%d in %.2f s",
            state.args[0] if state.args else "?",
            getattr(exc, "message", "error"),
            state.attempt_number,
            self.max_attempts - 1,
            state.next_action.sleep if state.next_action else 0.0,
        )


class _Retryable(Exception):
    """Internal: a failure worth another attempt (OK 1, 2, HTTP 5xx, network)."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _wire(value: Any) -> str:
    """OK wants booleans as true/false and lists comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(item) for item in value)
    return str(value)
