"""Elasticsearch request bodies as plain dicts: a pure translation of the query AST and the mappings.

Nothing here talks to a node, so the bodies are pinned in tests and reviewed as data;
``index/es.py`` only sends them. The node we run (the integ-test-zip build) has neither
the ``russian`` analyzer nor ``analysis-common`` (so no ``lowercase`` normalizer) nor
painless: text arrives already lemmatised and lower-cased by ``nlp.lemmas`` and is split
on spaces by the core ``whitespace`` analyzer, and keyword filters match Python-``norm``-ed
copies under ``norm.*`` while facets use the display values.

Mapping choices for speed at a million posts (measured with ``bench/index.py``): each keyword
is indexed once for its job — ``norm.*`` is searchable without doc values (filters), the
display field has doc values but no inverted index (facets, sorts), with global ordinals built
at refresh rather than by the first analyst's query; ``lemmas`` keeps term frequencies but no
positions (phrases run on ``words``); ``url`` is only stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from index.base import Cursor, Sort
from index.document import IndexDocument, norm
from index.query import And, Compare, DateRange, Flag, MatchAll, Not, Or, Phrase, Query, Term, Word

MAPPING_VERSION = 2
KEYWORD_FIELDS = (
    "blocks",
    "block",
    "sentiment",
    "platform",
    "source_id",
    "settlement",
    "street",
    "kind",
    "author_id",
    "entities",
    "story_id",
    "department",
)
HEAT_COLUMNS = 10_000  # settlements/departments per block: far above any municipality's count
HEAT_ROWS = 1_000


def _keyword() -> dict[str, Any]:
    return {"type": "keyword"}


def _facet() -> dict[str, Any]:
    """A display value: aggregated, never searched (filters go to its ``norm.*`` copy)."""
    return {"type": "keyword", "index": False, "eager_global_ordinals": True}


def _filter() -> dict[str, Any]:
    """A normalised copy: searched, never aggregated or sorted."""
    return {"type": "keyword", "doc_values": False}


def mappings() -> dict[str, Any]:
    """Explicit mappings; ``dynamic: false`` keeps stray fields of ``_source`` out of the index."""
    properties: dict[str, Any] = {
        "id": _keyword(),
        "published_at": {"type": "date"},
        "lemmas": {"type": "text", "analyzer": "whitespace", "index_options": "freqs"},
        "words": {"type": "text", "analyzer": "whitespace"},
        "owner_id": _keyword(),
        "parent_key": _keyword(),
        "duplicate_of": _keyword(),
        "model_id": _keyword(),
        "url": {"type": "keyword", "index": False, "doc_values": False},
        "is_incident": {"type": "boolean"},
        "is_deleted": {"type": "boolean"},
        "incident_score": {"type": "double"},
        "risk_score": {"type": "double"},
        "toxicity": {"type": "double"},
        "reach": {"type": "long"},
        "likes": {"type": "long"},
        "views": {"type": "long"},
        "reposts": {"type": "long"},
        "comments": {"type": "long"},
        "location": {"type": "geo_point"},
        "norm": {"type": "object", "properties": {field: _filter() for field in KEYWORD_FIELDS}},
    }
    properties.update({field: _facet() for field in KEYWORD_FIELDS})
    return {"dynamic": "false", "_meta": {"mapping_version": MAPPING_VERSION}, "properties": properties}


def index_template(prefix: str) -> dict[str, Any]:
    """The composable template for every municipality's indices under ``prefix``."""
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"},
            "mappings": mappings(),
        },
        "_meta": {"mapping_version": MAPPING_VERSION, "owner": "infopole"},
    }


def document_body(document: IndexDocument) -> dict[str, Any]:
    """``_source`` of one document: the record itself plus the derived search fields."""
    body = document.to_json()
    body["words"] = document.words
    body["norm"] = {
        field: [norm(value) for value in _values(getattr(document, field))] for field in KEYWORD_FIELDS
    }
    if document.lat is not None and document.lon is not None:
        body["location"] = {"lat": document.lat, "lon": document.lon}
    return body


def _values(value: Any) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return tuple(str(item) for item in value if item)
    return (str(value),) if value else ()


def source_to_document(source: dict[str, Any]) -> IndexDocument:
    data = {key: value for key, value in source.items() if key not in ("words", "norm", "location")}
    return IndexDocument.from_json(data)


# ---------------------------------------------------------------- AST → query DSL


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def to_es(query: Query) -> dict[str, Any]:
    """The query DSL of one AST node (without the deleted-documents filter)."""
    if isinstance(query, MatchAll):
        return {"match_all": {}}
    if isinstance(query, Word):
        return {"term": {"lemmas": query.lemma}}
    if isinstance(query, Phrase):
        return {"match_phrase": {"words": " ".join(query.words)}}
    if isinstance(query, Term):
        return {"term": {f"norm.{query.field}": query.value}}
    if isinstance(query, Flag):
        return {"term": {query.field: query.value}}
    if isinstance(query, Compare):
        if query.op == "=":
            return {"term": {query.field: query.value}}
        operator = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[query.op]
        return {"range": {query.field: {operator: query.value}}}
    if isinstance(query, DateRange):
        bounds: dict[str, str] = {}
        if query.start is not None:
            bounds["gte"] = _iso(query.start)
        if query.end is not None:
            bounds["lt"] = _iso(query.end)
        return {"range": {"published_at": bounds}} if bounds else {"match_all": {}}
    if isinstance(query, And):
        return {"bool": {"must": [to_es(child) for child in query.children]}}
    if isinstance(query, Or):
        return {"bool": {"should": [to_es(child) for child in query.children], "minimum_should_match": 1}}
    if isinstance(query, Not):
        return {"bool": {"must_not": [to_es(query.child)]}}
    raise TypeError(f"not a query node: {query!r}")


def live(query: Query) -> dict[str, Any]:
    """The query restricted to documents not deleted on the platform."""
    return {"bool": {"must": [to_es(query)], "filter": [{"term": {"is_deleted": False}}]}}


SORTS: dict[Sort, list[Any]] = {
    Sort.TIME: [{"published_at": "desc"}, {"id": "desc"}],
    Sort.RELEVANCE: [{"_score": "desc"}, {"published_at": "desc"}, {"id": "desc"}],
    Sort.RISK: [{"risk_score": "desc"}, {"published_at": "desc"}, {"id": "desc"}],
    Sort.REACH: [{"reach": "desc"}, {"published_at": "desc"}, {"id": "desc"}],
}


def search_body(query: Query, *, sort: Sort, size: int, search_after: Cursor | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": live(query),
        "sort": SORTS[sort],
        "size": size,
        "track_total_hits": True,
    }
    if search_after is not None:
        body["search_after"] = list(search_after)
    return body


def count_body(query: Query) -> dict[str, Any]:
    return {"query": live(query)}


def _terms(field: str, size: int) -> dict[str, Any]:
    return {"terms": {"field": field, "size": size, "order": [{"_count": "desc"}, {"_key": "asc"}]}}


def _heat(column: str) -> dict[str, Any]:
    return {
        "terms": {"field": "blocks", "size": HEAT_ROWS, "order": {"_key": "asc"}},
        "aggs": {
            "columns": {
                "terms": {"field": column, "size": HEAT_COLUMNS, "order": {"_key": "asc"}},
                "aggs": {"negative": {"filter": {"term": {"norm.sentiment": "negative"}}}},
            }
        },
    }


def aggregations_body(query: Query, *, size: int, tz: ZoneInfo) -> dict[str, Any]:
    """Facets, the day histogram in the municipality's zone and both heat-map matrices, in one request."""
    return {
        "query": live(query),
        "size": 0,
        "track_total_hits": True,
        "aggs": {
            "blocks": _terms("blocks", size),
            "settlements": _terms("settlement", size),
            "sources": _terms("source_id", size),
            "platforms": _terms("platform", size),
            "sentiments": _terms("sentiment", size),
            "entities": _terms("entities", size),
            "days": {
                "date_histogram": {
                    "field": "published_at",
                    "calendar_interval": "day",
                    "time_zone": tz.key,
                    "format": "yyyy-MM-dd",
                }
            },
            "heat_settlement": _heat("settlement"),
            "heat_department": _heat("department"),
        },
    }


def _periods(start: datetime, end: datetime, previous_start: datetime) -> dict[str, Any]:
    return {
        "filters": {
            "filters": {
                "current": {"range": {"published_at": {"gte": _iso(start), "lt": _iso(end)}}},
                "previous": {"range": {"published_at": {"gte": _iso(previous_start), "lt": _iso(start)}}},
            }
        },
        "aggs": {"negative": {"filter": {"term": {"norm.sentiment": "negative"}}}},
    }


def trend_body(query: Query, *, start: datetime, end: datetime) -> dict[str, Any]:
    """Blocks and settlements split into the period and the same-length period before, in one request.

    Every key is fetched (far fewer than ``HEAT_ROWS``/``HEAT_COLUMNS``) because the order is by the
    current period's count, which a terms aggregation over both periods cannot sort on."""
    previous_start = start - (end - start)
    periods = _periods(start, end, previous_start)
    window = {"range": {"published_at": {"gte": _iso(previous_start), "lt": _iso(end)}}}
    return {
        "query": {"bool": {"must": [live(query)], "filter": [window]}},
        "size": 0,
        "track_total_hits": False,
        "aggs": {
            "periods": periods,
            "blocks": {"terms": {"field": "blocks", "size": HEAT_ROWS}, "aggs": {"periods": periods}},
            "settlements": {
                "terms": {"field": "settlement", "size": HEAT_COLUMNS},
                "aggs": {"periods": periods},
            },
        },
    }
