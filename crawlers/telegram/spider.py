"""The Scrapy spider over a channel's public web preview ``<base>/s/<channel>``.

It only parses: each callback is a function of a response, so
``spider.parse(HtmlResponse(url, body=saved_page))`` yields the page's ``Post``s and, while
older posts are still wanted, the ``Request`` for ``?before=<id>``. The HTTP manners live
in settings and the downloader middleware (``RetryAfterMiddleware``), not in callbacks.

Run it standalone (one channel, posts as JSON lines)::

    scrapy runspider crawlers/telegram/spider.py -a channel=kingisepp_online -o posts.jsonl

Workers use ``TelegramPreviewCollector`` instead, which calls the same ``parse_page``; its
module docstring says why a ``CrawlerProcess`` is not run inside a worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from crawlers.telegram.preview import channel_name, parse_page
from infopole.domain.post import Post

POLITE_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 2.0,
    "AUTOTHROTTLE_MAX_DELAY": 60.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "DOWNLOAD_DELAY": 2.0,
    "DOWNLOAD_DELAY_JITTER": 0.5,  # ±50 %, so requests do not tick like a metronome
    # 429 is retried by RetryAfterMiddleware with a wait; Scrapy's own retry keeps 5xx and network errors
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 3,
    "RETRY_HTTP_CODES": [500, 502, 504, 522, 524, 408],
    "TME_RETRY_ENABLED": True,
    "TME_RETRY_TIMES": 4,
    "TME_RETRY_HTTP_CODES": [429, 503],
    "DOWNLOADER_MIDDLEWARES": {"crawlers.telegram.middleware.RetryAfterMiddleware": 560},
    "HTTPERROR_ALLOWED_CODES": [],
    "DEFAULT_REQUEST_HEADERS": {"Accept-Language": "en-US,en;q=0.9"},
    "USER_AGENT": "Mozilla/5.0 (compatible; infopole/0.1; +municipal monitoring)",
    # t.me/s is the page Telegram publishes for reading public channels without an account;
    # manners are kept by the throttling above rather than by robots.txt
    "ROBOTSTXT_OBEY": False,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,  # a worker opens no control ports
    "REMOTE_CONTROL_ENABLED": False,
}


class TelegramPreviewSpider(scrapy.Spider):
    """Arguments (``-a``): ``channel``, ``source_id``, ``salt``, ``base_url``, ``min_id``, ``max_pages``.

    Paging stops at ``min_id`` (the highest id stored by an earlier crawl), at the oldest
    page, or after ``max_pages`` pages.
    """

    name = "telegram_preview"
    custom_settings = POLITE_SETTINGS

    def __init__(
        self,
        channel: str = "",
        source_id: str = "",
        salt: str = "",
        base_url: str = "https://t.me",
        min_id: int | str = 0,
        max_pages: int | str = 50,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.channel = channel_name(channel)
        self.source_id = source_id or f"tg-{self.channel}"
        self.salt = salt
        self.base_url = base_url.rstrip("/")
        self.min_id = int(min_id)
        self.max_pages = int(max_pages)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(f"{self.base_url}/s/{self.channel}", callback=self.parse, meta={"page": 1})

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Post | scrapy.Request]:
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        page = parse_page(
            response,
            channel=self.channel,
            source_id=self.source_id,
            salt=self.salt,
            fetched_at=datetime.now(UTC),
        )
        for post in reversed(page.posts):  # newest first, like the crawl itself
            if int(post.post_id) > self.min_id:
                yield post
        number = int(response.request.meta.get("page", 1)) if response.request is not None else 1
        lowest = page.lowest_id
        if page.before is None or lowest is None or lowest <= self.min_id or number >= self.max_pages:
            return
        yield response.follow(
            f"/s/{self.channel}?before={page.before}", callback=self.parse, meta={"page": number + 1}
        )
