"""A Scrapy downloader middleware that answers 429 politely: wait, then retry, a bounded number of times.

Scrapy's ``RetryMiddleware`` re-queues a 429 at once, which is exactly what a rate limit
asks a client not to do, and AutoThrottle only adapts to latency. This one waits for the
server's ``Retry-After`` (or an exponential backoff when there is none) without blocking
the reactor (``scrapy.utils.defer.sleep``), then sends the request again. After
``TME_RETRY_TIMES`` attempts the 429 response goes on to the spider, which stops there;
the next scheduled crawl resumes from the stored cursor.

Settings (prefixed, per Scrapy's component conventions): ``TME_RETRY_ENABLED``,
``TME_RETRY_TIMES``, ``TME_RETRY_HTTP_CODES``, ``TME_BACKOFF_INITIAL``, ``TME_BACKOFF_MAX``.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import sleep

log = logging.getLogger(__name__)


class RetryAfterMiddleware:
    def __init__(
        self,
        *,
        max_retries: int = 4,
        http_codes: frozenset[int] = frozenset({429, 503}),
        backoff_initial: float = 2.0,
        backoff_max: float = 60.0,
    ) -> None:
        self.max_retries = max_retries
        self.http_codes = http_codes
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        settings = crawler.settings
        if not settings.getbool("TME_RETRY_ENABLED", True):
            raise NotConfigured
        return cls(
            max_retries=settings.getint("TME_RETRY_TIMES", 4),
            http_codes=frozenset(int(code) for code in settings.getlist("TME_RETRY_HTTP_CODES", [429, 503])),
            backoff_initial=settings.getfloat("TME_BACKOFF_INITIAL", 2.0),
            backoff_max=settings.getfloat("TME_BACKOFF_MAX", 60.0),
        )

    def delay(self, response: Response, attempt: int) -> float:
        """The server's ``Retry-After`` (capped), else exponential backoff from ``backoff_initial``."""
        header = response.headers.get(b"Retry-After")
        if header:
            try:
                return min(self.backoff_max, max(0.0, float(header.decode("latin-1"))))
            except ValueError:
                pass
        return min(self.backoff_max, self.backoff_initial * 2**attempt)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.http_codes or request.meta.get("dont_retry"):
            return response
        attempt = int(request.meta.get("tme_retries", 0))
        if attempt >= self.max_retries:
            log.warning("t.me %s: HTTP %s after %d retries, giving up", request.url, response.status, attempt)
            return response
        wait = self.delay(response, attempt)
        log.info("t.me %s: HTTP %s, retry %d in %.1f s", request.url, response.status, attempt + 1, wait)
        await sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["tme_retries"] = attempt + 1
        return retry
