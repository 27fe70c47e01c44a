"""The collector interface every platform implements, and the errors a caller can act on.

A collector turns one configured ``Source`` into a stream of ``Batch``es. The caller
persists each batch's posts *and* its cursor in one transaction, so a crash between two
batches resumes from the last stored cursor with nothing lost and nothing fetched twice.
That is why the cursor travels with every batch rather than being returned at the end.

Errors are split by what the caller should do next, not by what the platform called them:
skip the source, stop the credential, park a method, or try the whole source again later.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from infopole.domain.post import Platform, Post, RawPayload
from infopole.domain.source import Source


@dataclass(frozen=True)
class Batch:
    """Posts found since the previous batch, their raw payloads, and the cursor *after* them.

    ``cursor`` is JSON-serialisable and opaque to the caller: pass the last stored one back
    to ``collect`` on the next crawl. A batch may carry no posts: it then only moves the
    cursor (for example, the end of a scan).
    """

    source_id: str
    posts: tuple[Post, ...]
    raw: tuple[RawPayload, ...]
    cursor: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Collector(Protocol):
    """One platform's crawler; workers hold one per credential and call it per source."""

    platform: Platform

    def collect(self, source: Source, cursor: Mapping[str, Any] | None) -> Iterator[Batch]:
        """Yield batches from ``cursor`` (``None``: first crawl) until the source is caught up."""
        ...


class CollectorError(Exception):
    """Base of the errors below. Messages never contain a credential."""


class SourceUnavailable(CollectorError):
    """The source is closed, private, deleted or banned: mark it and skip it, keep the token."""

    def __init__(self, message: str, *, code: int | None = None, source_id: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.source_id = source_id


class AuthError(CollectorError):
    """The credential is invalid, revoked or needs a human (captcha): stop using it, alert an operator."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class RateLimited(CollectorError):
    """A quota is exhausted for a method: park that method until ``retry_after`` seconds pass."""

    def __init__(self, message: str, *, method: str, retry_after: float, code: int | None = None) -> None:
        super().__init__(message)
        self.method = method
        self.retry_after = retry_after
        self.code = code


class TransientError(CollectorError):
    """The platform kept failing after bounded retries: try the source again on the next run."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class BadRequest(CollectorError):
    """The platform rejected the request itself (a bug on our side): never retried."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
