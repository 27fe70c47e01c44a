"""Search over the information field: one contract (``SearchIndex``), two backends.

The embedded SQLite store is the default; Elasticsearch is for a region that outgrew one machine.

Typical use::

    index = open_index(settings, "kingisepp", tz=municipality.tz)
    report = index.upsert(build_document(post, analysis) for post, analysis in pairs)
    page = index.search(SearchRequest('block:ЖКХ "горячей воды" date:-7d', sort=Sort.RISK))
    more = index.search(SearchRequest(..., search_after=page.next_after))
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from index.base import SearchIndex, SearchPage, SearchRequest, Sort
from index.document import IndexDocument, build_document
from index.query import QuerySyntaxError, parse_query
from infopole.config.settings import IndexBackend, Settings

__all__ = [
    "IndexDocument",
    "QuerySyntaxError",
    "SearchIndex",
    "SearchPage",
    "SearchRequest",
    "Sort",
    "build_document",
    "open_index",
    "parse_query",
]


def open_index(
    settings: Settings,
    municipality_slug: str,
    *,
    tz: ZoneInfo | str = "Europe/Moscow",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SearchIndex:
    """The index of one municipality on the configured backend.

    ``tz`` is the municipality's zone (days of histograms and ``date:today``); ``clock`` is
    injected so that relative dates in tests and reports are reproducible.
    """
    if settings.index_backend is IndexBackend.ELASTICSEARCH:
        from index.es import ElasticsearchIndex  # imported lazily: the embedded default needs no client

        return ElasticsearchIndex.connect(
            settings.elasticsearch_url,
            prefix=settings.elasticsearch_index_prefix,
            municipality_slug=municipality_slug,
            tz=tz,
            clock=clock,
        )
    from index.embedded import EmbeddedIndex

    return EmbeddedIndex(settings.index_dir / f"{municipality_slug}.sqlite3", tz=tz, clock=clock)
