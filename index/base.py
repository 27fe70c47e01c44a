"""The contract every search backend keeps: ``SearchIndex`` and the records it speaks.

Callers (pipelines, alerts, dashboards) depend on this Protocol only, and one contract
test suite runs against every backend, so "the embedded store for a small municipality"
and "Elasticsearch for a region" return the same hits, counts and aggregations.
Highlighting is computed here, in Python, from the hit's original text: engine snippets
would show the lemma column («горячий вода») instead of what the resident wrote, and two
engines would cut snippets differently.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from index.document import IndexDocument
from index.query import Phrase, Query, Word, walk_positive
from nlp.lemmas import TOKEN, lemma

Cursor = tuple[Any, ...]


class Sort(StrEnum):
    TIME = "time"  # newest first
    RELEVANCE = "relevance"  # best text match first; newest first without text terms
    RISK = "risk"  # highest risk first, then newest
    REACH = "reach"  # widest reach first, then newest


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A page of a search. ``query`` may be text (parsed with the index's clock and zone) or an AST."""

    query: Query | str = ""
    sort: Sort = Sort.TIME
    size: int = 20
    search_after: Cursor | None = None
    highlight: bool = True


@dataclass(frozen=True, slots=True)
class Snippet:
    """A fragment of the original text with the matched words as ``(start, stop)`` offsets.

    Offsets rather than markup so that HTML, Telegram and DOCX renderers each escape and
    mark the text their own way.
    """

    text: str
    spans: tuple[tuple[int, int], ...]

    def marked(self, open_tag: str = "<mark>", close_tag: str = "</mark>", *, escape: bool = True) -> str:
        quote = html.escape if escape else (lambda text: text)
        parts, cursor = [], 0
        for start, stop in self.spans:
            parts.append(quote(self.text[cursor:start]))
            parts.append(open_tag + quote(self.text[start:stop]) + close_tag)
            cursor = stop
        parts.append(quote(self.text[cursor:]))
        return "".join(parts)

    @property
    def matched(self) -> tuple[str, ...]:
        return tuple(self.text[start:stop] for start, stop in self.spans)


@dataclass(frozen=True, slots=True)
class Hit:
    document: IndexDocument
    sort: Cursor  # pass as ``search_after`` to continue after this hit
    score: float | None = None
    snippets: tuple[Snippet, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[Hit, ...]
    total: int

    @property
    def next_after(self) -> Cursor | None:
        return self.hits[-1].sort if self.hits else None


@dataclass(frozen=True, slots=True)
class FailedDocument:
    id: str
    reason: str


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What an upsert did, per document: nothing is dropped silently; failed ids are retried next run."""

    ok: int = 0
    failed: tuple[FailedDocument, ...] = ()

    @property
    def failed_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.failed)


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One cell of the heat map: messages of a block in a territory (or department) and how negative."""

    row: str  # block
    column: str  # settlement or department
    count: int
    negative: int

    @property
    def negative_share(self) -> float:
        return self.negative / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True)
class Aggregations:
    """Facets of one query. Term buckets are ordered by count desc, then key asc, and cut at ``size``;
    a document with several blocks or entities counts once in each. Days are local dates of the
    municipality ("YYYY-MM-DD"), gaps between the first and last day filled with zeros."""

    total: int
    blocks: tuple[Bucket, ...] = ()
    settlements: tuple[Bucket, ...] = ()
    sources: tuple[Bucket, ...] = ()
    platforms: tuple[Bucket, ...] = ()
    sentiments: tuple[Bucket, ...] = ()
    entities: tuple[Bucket, ...] = ()
    days: tuple[Bucket, ...] = ()
    heat_settlement: tuple[HeatCell, ...] = field(default=())
    heat_department: tuple[HeatCell, ...] = field(default=())

    def cell(self, block: str, settlement: str) -> HeatCell | None:
        return next((c for c in self.heat_settlement if c.row == block and c.column == settlement), None)


@dataclass(frozen=True, slots=True)
class TrendRow:
    """One block or settlement in ``[start, end)`` against the same-length period just before."""

    key: str
    count: int
    negative: int
    previous_count: int
    previous_negative: int

    @property
    def change(self) -> int:
        return self.count - self.previous_count

    @property
    def growth(self) -> float | None:
        """Relative change of the count; ``None`` when the previous period had nothing (new topic)."""
        return self.change / self.previous_count if self.previous_count else None

    @property
    def negative_share(self) -> float:
        return self.negative / self.count if self.count else 0.0

    @property
    def previous_negative_share(self) -> float:
        return self.previous_negative / self.previous_count if self.previous_count else 0.0

    @property
    def negative_share_change(self) -> float:
        return self.negative_share - self.previous_negative_share


@dataclass(frozen=True, slots=True)
class Trend:
    """Counts and negative share per block and settlement for ``[start, end)`` vs ``[previous_start, start)``.

    Rows cover every key seen in either period, ordered by the current count desc, then the
    previous count desc, then the key, and are cut at ``size``."""

    start: datetime
    end: datetime
    total: int
    previous_total: int
    blocks: tuple[TrendRow, ...] = ()
    settlements: tuple[TrendRow, ...] = ()

    @property
    def previous_start(self) -> datetime:
        return self.start - (self.end - self.start)

    def block(self, key: str) -> TrendRow | None:
        return next((row for row in self.blocks if row.key == key), None)

    def settlement(self, key: str) -> TrendRow | None:
        return next((row for row in self.settlements if row.key == key), None)


def trend_rows(counts: Iterable[tuple[str, int, int, int, int]], size: int) -> tuple[TrendRow, ...]:
    """Rows from ``(key, count, negative, previous_count, previous_negative)``, ordered and cut."""
    rows = [TrendRow(*item) for item in counts if item[1] or item[3]]
    rows.sort(key=lambda row: (-row.count, -row.previous_count, row.key))
    return tuple(rows[:size])


def check_period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("trend period bounds must be aware datetimes")
    if end <= start:
        raise ValueError(f"empty trend period: {start.isoformat()} .. {end.isoformat()}")


@runtime_checkable
class SearchIndex(Protocol):
    """One municipality's searchable information field."""

    def upsert(self, documents: Iterable[IndexDocument]) -> IndexReport:
        """Insert or replace by ``id``: indexing the same document twice changes nothing."""
        ...

    def mark_deleted(self, ids: Iterable[str]) -> int:
        """Mark posts deleted on the platform; they stay stored but leave every result. Returns how many."""
        ...

    def search(self, request: SearchRequest) -> SearchPage: ...

    def count(self, query: Query | str = "") -> int: ...

    def aggregate(self, query: Query | str = "", *, size: int = 10) -> Aggregations: ...

    def trend(self, query: Query | str = "", *, start: datetime, end: datetime, size: int = 10) -> Trend:
        """Blocks and settlements of ``query`` in ``[start, end)`` against the same-length period before."""
        ...

    def rebuild(
        self,
        documents: Iterable[IndexDocument],
        *,
        catch_up: Callable[[], Iterable[IndexDocument]] | None = None,
    ) -> IndexReport:
        """Replace the whole index with ``documents`` without downtime: build a new generation (a new
        SQLite file, a new Elasticsearch index), switch readers to it atomically, drop the old one.
        ``catch_up`` runs after the switch for documents that changed meanwhile."""
        ...

    def get(self, id: str) -> IndexDocument | None:
        """The stored document, deleted or not (for reindexing and checks)."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- highlighting (shared by backends)

SNIPPET_CHARS = 160


def highlight(document: IndexDocument, query: Query, *, max_snippets: int = 2) -> tuple[Snippet, ...]:
    """Snippets of the original text around words that match the query's words (by lemma) or phrases."""
    terms = list(walk_positive(query))
    lemmas = {term.lemma for term in terms if isinstance(term, Word)}
    phrases = [term.words for term in terms if isinstance(term, Phrase)]
    if not terms:
        return ()
    text = document.full_text
    found = [(match.start(), match.end(), match.group(0)) for match in TOKEN.finditer(text)]
    words = [token.lower().replace("ё", "е") for _, _, token in found]
    marked = [lemma(word) in lemmas for word in words]
    for phrase in phrases:
        width = len(phrase)
        for start in range(len(words) - width + 1):
            if tuple(words[start : start + width]) == phrase:
                for offset in range(width):
                    marked[start + offset] = True
    spans = [(start, stop) for (start, stop, _), hit in zip(found, marked, strict=True) if hit]
    return _cut(text, spans, max_snippets)


def _cut(text: str, spans: Sequence[tuple[int, int]], max_snippets: int) -> tuple[Snippet, ...]:
    snippets: list[Snippet] = []
    index = 0
    while index < len(spans) and len(snippets) < max_snippets:
        first_start = spans[index][0]
        start = max(0, first_start - SNIPPET_CHARS // 3)
        if start > 0:  # do not cut a word in half
            space = text.rfind(" ", 0, start + 1)
            start = space + 1 if space >= 0 else 0
        stop = min(len(text), start + SNIPPET_CHARS)
        if stop < len(text):
            space = text.find(" ", stop)
            stop = space if space >= 0 else len(text)
        inside = []
        while index < len(spans) and spans[index][1] <= stop:
            inside.append((spans[index][0] - start, spans[index][1] - start))
            index += 1
        if not inside:  # a single very long token: take it whole
            stop = spans[index][1]
            inside.append((spans[index][0] - start, stop - start))
            index += 1
        snippets.append(Snippet(text[start:stop], tuple(inside)))
    return tuple(snippets)
