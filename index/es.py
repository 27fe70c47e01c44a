"""The Elasticsearch 8 backend: sends the bodies of ``index/queries.py`` and maps the answers.

Layout: one composable template per prefix (explicit mappings, ``dynamic: false``), and
per municipality a versioned concrete index ``<prefix>-<slug>-v<mapping>`` behind the
alias ``<prefix>-<slug>``. Everything reads and writes through the alias, so a mapping
change is "create v2 from the template, reindex from stored posts, switch the alias"
without readers noticing.

Writes: this process cuts the documents into chunks (by count and by bytes, each source
serialised once with orjson) while up to ``bulk_workers`` earlier chunks are in flight, each
sent by ``helpers.streaming_bulk`` with ``max_retries`` for 429 rejections. So Python builds
the next request while the node indexes the previous one, and a long generator of posts is
read no faster than the node takes them (at most ``bulk_workers + 1`` chunks in memory).
Every document's outcome is counted, and a document that still failed is reported by id
so the indexing flow retries it on its next run. An unreachable node is an error, not a
page of failures: ``IndexUnavailableError`` says where the node was expected.

A large load (a rebuild, a backfill, the benchmark) runs inside ``bulk_load()``: no refreshes,
no replicas and an asynchronous translog while it lasts, the index's own settings restored
and one refresh after.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from elasticsearch import BadRequestError, Elasticsearch, NotFoundError, TransportError
from elasticsearch.helpers import streaming_bulk

from index.base import (
    Aggregations,
    Bucket,
    FailedDocument,
    HeatCell,
    Hit,
    IndexReport,
    SearchPage,
    SearchRequest,
    Sort,
    Trend,
    check_period,
    highlight,
    trend_rows,
)
from index.document import IndexDocument
from index.queries import (
    MAPPING_VERSION,
    aggregations_body,
    count_body,
    document_body,
    index_template,
    search_body,
    source_to_document,
    trend_body,
)
from index.query import Query, parse_query


def _version(name: str) -> int:
    """N of ``<alias>-v<N>``; -1 for a name of another shape."""
    _, _, number = name.rpartition("-v")
    return int(number) if number.isdigit() else -1


class IndexUnavailableError(RuntimeError):
    """The search engine cannot be reached or refused the whole request."""


# index settings a bulk load relaxes, and what they are while it lasts
BULK_LOAD_SETTINGS = {
    "refresh_interval": "-1",  # one refresh at the end instead of a new segment every second
    "number_of_replicas": 0,  # replicas are copied once from the finished primary
    "translog.durability": "async",  # an fsync every few seconds, not per bulk request
}
Action = dict[str, Any]


class ElasticsearchIndex:
    """``SearchIndex`` over one municipality's alias. One client per process, shared by callers."""

    def __init__(
        self,
        client: Elasticsearch,
        *,
        prefix: str,
        municipality_slug: str,
        tz: ZoneInfo | str = "Europe/Moscow",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        chunk_size: int = 1000,
        max_chunk_bytes: int = 5 * 2**20,
        bulk_workers: int = 2,
        max_retries: int = 3,
        initial_backoff: float = 1.0,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.alias = f"{prefix}-{municipality_slug}"
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.clock = clock
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
        self.bulk_workers = bulk_workers
        self.max_retries = max_retries
        self.initial_backoff = initial_backoff
        self._loading = False

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        prefix: str,
        municipality_slug: str,
        tz: ZoneInfo | str = "Europe/Moscow",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> ElasticsearchIndex:
        client = Elasticsearch(url, request_timeout=60, retry_on_timeout=True, max_retries=3)
        index = cls(client, prefix=prefix, municipality_slug=municipality_slug, tz=tz, clock=clock)
        index.ensure()
        return index

    @property
    def template_name(self) -> str:
        return f"{self.prefix}-posts"

    @property
    def concrete_index(self) -> str:
        """The versioned index the alias points at now (``<alias>-v<N>``; N grows with each rebuild)."""
        names = self._behind_alias()
        return names[-1] if names else f"{self.alias}-v{MAPPING_VERSION}"

    def _behind_alias(self) -> list[str]:
        try:
            found = self._call("алиас", self.client.indices.get_alias, name=self.alias)
        except NotFoundError:
            return []
        return sorted(found, key=_version)

    def _generations(self) -> list[str]:
        """Every ``<alias>-v<N>`` index, behind the alias or left over by an interrupted rebuild."""
        found = self._call(
            "список индексов",
            self.client.indices.get,
            index=f"{self.alias}-v*",
            expand_wildcards="all",
            allow_no_indices=True,
        )
        return sorted((name for name in found if _version(name) >= 0), key=_version)

    def _call(self, what: str, function: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return function(**kwargs)
        except TransportError as error:  # connection refused, timeout: nothing reached the node
            raise IndexUnavailableError(
                f"Elasticsearch недоступен ({what}): {error}. Запустите узел: scripts/elasticsearch.sh start"
            ) from error

    def ensure(self) -> None:
        """Create the template, the versioned index and the alias if missing (safe to race)."""
        self._call(
            "шаблон",
            self.client.indices.put_index_template,
            name=self.template_name,
            **index_template(self.prefix),
        )
        if self._call("алиас", self.client.indices.exists_alias, name=self.alias):
            return
        try:
            self._call(
                "создание индекса",
                self.client.indices.create,
                index=self.concrete_index,
                aliases={self.alias: {"is_write_index": True}},
            )
        except BadRequestError as error:
            if error.error != "resource_already_exists_exception":
                raise

    def drop(self) -> None:
        """Delete the indices, alias and template (tests and a full rebuild)."""
        for name in self._generations():
            self.client.options(ignore_status=404).indices.delete(index=name)
        self.client.options(ignore_status=404).indices.delete_index_template(name=self.template_name)

    # writing -----------------------------------------------------------

    def upsert(self, documents: Iterable[IndexDocument]) -> IndexReport:
        report = self._bulk(documents, self.alias)
        if report.ok and not self._loading:
            self._call("refresh", self.client.indices.refresh, index=self.alias)
        return report

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Relax the write index's durability and refresh settings for a large load, then restore them.

        Upserts inside do not refresh; the documents become searchable at the end. If the process
        dies inside, the index keeps ``refresh_interval: -1`` until the next ``bulk_load`` or
        rebuild (nothing is lost: the indexing flow's run is retried and upserts are idempotent).
        """
        target = self.concrete_index
        names = [f"index.{name}" for name in BULK_LOAD_SETTINGS]
        current = self._call(
            "настройки",
            self.client.indices.get_settings,
            index=target,
            name=names,
            include_defaults=True,
            flat_settings=True,
        )[target]
        merged = {**current.get("defaults", {}), **current.get("settings", {})}
        saved = {name: merged.get(f"index.{name}") for name in BULK_LOAD_SETTINGS}
        self._call("настройки", self.client.indices.put_settings, index=target, settings=BULK_LOAD_SETTINGS)
        self._loading = True
        try:
            yield
        finally:
            self._loading = False
            self._call("настройки", self.client.indices.put_settings, index=target, settings=saved)
            self._call("refresh", self.client.indices.refresh, index=target)

    def _actions(
        self, documents: Iterable[IndexDocument], target: str, failed: list[FailedDocument]
    ) -> Iterator[list[Action]]:
        """Chunks of index actions, cut at ``chunk_size`` documents or ``max_chunk_bytes``."""
        chunk: list[Action] = []
        size = 0
        for document in documents:
            try:
                source = orjson.dumps(document_body(document))
            except (ValueError, TypeError, AttributeError) as error:  # orjson's errors are TypeErrors
                reason = f"{type(error).__name__}: {error}"
                failed.append(FailedDocument(getattr(document, "id", "?"), reason))
                continue
            chunk.append({"_op_type": "index", "_index": target, "_id": document.id, "_source": source})
            size += len(source)
            if len(chunk) >= self.chunk_size or size >= self.max_chunk_bytes:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    def _send(self, chunk: list[Action]) -> tuple[int, list[FailedDocument]]:
        """One chunk through the official helper: 429s retried with backoff, other failures reported."""
        ok, failed = 0, []
        for success, info in streaming_bulk(
            self.client,
            chunk,
            chunk_size=len(chunk),
            max_chunk_bytes=self.max_chunk_bytes * 2,  # one request per chunk (the cut was made above)
            max_retries=self.max_retries,
            initial_backoff=self.initial_backoff,
            raise_on_error=False,
            raise_on_exception=True,
            yield_ok=True,
        ):
            item = info.get("index", {})
            if success:
                ok += 1
            else:
                reason = json.dumps(item.get("error", item), ensure_ascii=False)[:500]
                failed.append(FailedDocument(str(item.get("_id", "?")), reason))
        return ok, failed

    def _bulk(self, documents: Iterable[IndexDocument], target: str) -> IndexReport:
        failed: list[FailedDocument] = []
        ok = 0
        in_flight: deque[Future[tuple[int, list[FailedDocument]]]] = deque()

        def settle(future: Future[tuple[int, list[FailedDocument]]]) -> None:
            nonlocal ok
            try:
                done, refused = future.result()
            except TransportError as error:
                raise IndexUnavailableError(
                    f"Elasticsearch недоступен при индексации после {ok} документов: {error}"
                ) from error
            ok += done
            failed.extend(refused)

        with ThreadPoolExecutor(max_workers=max(1, self.bulk_workers)) as pool:
            try:
                for chunk in self._actions(documents, target, failed):
                    in_flight.append(pool.submit(self._send, chunk))
                    while len(in_flight) >= max(1, self.bulk_workers):  # backpressure
                        settle(in_flight.popleft())
                while in_flight:
                    settle(in_flight.popleft())
            finally:
                for future in in_flight:
                    future.cancel()
        return IndexReport(ok=ok, failed=tuple(failed))

    def rebuild(
        self,
        documents: Iterable[IndexDocument],
        *,
        catch_up: Callable[[], Iterable[IndexDocument]] | None = None,
    ) -> IndexReport:
        """Load ``documents`` into ``<alias>-v<N+1>`` (current template and mappings), switch the alias
        to it in one ``_aliases`` request, then delete the old index. Readers see the old index until
        the switch and the new one after it, never an empty or half-built one.

        ``catch_up`` is called after the switch for what changed during the load (posts analysed
        since the rebuild began; writes in that window went to the old index) and upserted.
        """
        self.ensure()  # the template with today's mappings, and an alias to switch from
        live = self._behind_alias()
        generations = self._generations()
        target = f"{self.alias}-v{max(map(_version, generations), default=0) + 1}"
        for leftover in (name for name in generations if name not in live):  # an interrupted rebuild
            self._call("удаление", self.client.indices.delete, index=leftover)
        # no refreshes, no replicas, no fsync per request while loading: searchable at the switch
        self._call("создание индекса", self.client.indices.create, index=target, settings=BULK_LOAD_SETTINGS)
        report = self._bulk(documents, target)
        template = index_template(self.prefix)["template"]["settings"]
        restored = {name: template.get(name) for name in BULK_LOAD_SETTINGS}  # None: the default
        self._call("настройки", self.client.indices.put_settings, index=target, settings=restored)
        self._call("refresh", self.client.indices.refresh, index=target)
        actions: list[dict[str, Any]] = [
            {"add": {"index": target, "alias": self.alias, "is_write_index": True}},
            *({"remove": {"index": name, "alias": self.alias}} for name in live),
        ]
        self._call("переключение алиаса", self.client.indices.update_aliases, actions=actions)
        for name in live:
            self._call("удаление", self.client.indices.delete, index=name)
        if catch_up is not None:
            late = self.upsert(catch_up())
            report = IndexReport(ok=report.ok + late.ok, failed=report.failed + late.failed)
        return report

    def mark_deleted(self, ids: Iterable[str]) -> int:
        actions = (
            {"_op_type": "update", "_index": self.alias, "_id": id, "doc": {"is_deleted": True}} for id in ids
        )
        marked = 0
        for success, info in streaming_bulk(
            self.client,
            actions,
            chunk_size=self.chunk_size,
            max_retries=self.max_retries,
            initial_backoff=self.initial_backoff,
            raise_on_error=False,
            yield_ok=True,
        ):
            item = info.get("update", {})
            if success:
                marked += item.get("result") == "updated"  # "noop": it was already marked
            elif item.get("status") != 404:  # a post never indexed has nothing to mark
                raise IndexUnavailableError(
                    f"не удалось отметить удаление {item.get('_id')}: {item.get('error')}"
                )
        self._call("refresh", self.client.indices.refresh, index=self.alias)
        return marked

    # reading -----------------------------------------------------------

    def parse(self, query: Query | str) -> Query:
        return parse_query(query, now=self.clock(), tz=self.tz) if isinstance(query, str) else query

    def get(self, id: str) -> IndexDocument | None:
        try:
            response = self._call("чтение", self.client.get, index=self.alias, id=id)
        except NotFoundError:
            return None
        return source_to_document(response["_source"])

    def count(self, query: Query | str = "") -> int:
        response = self._call("подсчёт", self.client.count, index=self.alias, **count_body(self.parse(query)))
        return int(response["count"])

    def search(self, request: SearchRequest) -> SearchPage:
        query = self.parse(request.query)
        body = search_body(query, sort=request.sort, size=request.size, search_after=request.search_after)
        response = self._call("поиск", self.client.search, index=self.alias, **body)
        hits = []
        for raw in response["hits"]["hits"]:
            document = source_to_document(raw["_source"])
            hits.append(
                Hit(
                    document=document,
                    sort=tuple(raw["sort"]),
                    score=float(raw["sort"][0]) if request.sort is Sort.RELEVANCE else None,
                    snippets=highlight(document, query) if request.highlight else (),
                )
            )
        return SearchPage(hits=tuple(hits), total=int(response["hits"]["total"]["value"]))

    def aggregate(self, query: Query | str = "", *, size: int = 10) -> Aggregations:
        body = aggregations_body(self.parse(query), size=size, tz=self.tz)
        response = self._call("агрегация", self.client.search, index=self.alias, **body)
        aggs = response["aggregations"]

        def buckets(name: str) -> tuple[Bucket, ...]:
            return tuple(Bucket(str(b["key"]), int(b["doc_count"])) for b in aggs[name]["buckets"])

        def heat(name: str) -> tuple[HeatCell, ...]:
            return tuple(
                HeatCell(
                    row["key"], column["key"], int(column["doc_count"]), int(column["negative"]["doc_count"])
                )
                for row in aggs[name]["buckets"]
                for column in row["columns"]["buckets"]
            )

        return Aggregations(
            total=int(response["hits"]["total"]["value"]),
            blocks=buckets("blocks"),
            settlements=buckets("settlements"),
            sources=buckets("sources"),
            platforms=buckets("platforms"),
            sentiments=buckets("sentiments"),
            entities=buckets("entities"),
            days=tuple(Bucket(b["key_as_string"], int(b["doc_count"])) for b in aggs["days"]["buckets"]),
            heat_settlement=heat("heat_settlement"),
            heat_department=heat("heat_department"),
        )

    def trend(self, query: Query | str = "", *, start: datetime, end: datetime, size: int = 10) -> Trend:
        check_period(start, end)
        body = trend_body(self.parse(query), start=start, end=end)
        response = self._call("тренд", self.client.search, index=self.alias, **body)
        aggs = response["aggregations"]

        def split(periods: dict[str, Any]) -> tuple[int, int, int, int]:
            current, previous = periods["buckets"]["current"], periods["buckets"]["previous"]
            return (
                int(current["doc_count"]),
                int(current["negative"]["doc_count"]),
                int(previous["doc_count"]),
                int(previous["negative"]["doc_count"]),
            )

        def rows(name: str) -> tuple[tuple[str, int, int, int, int], ...]:
            return tuple((str(b["key"]), *split(b["periods"])) for b in aggs[name]["buckets"])

        total, _, previous_total, _ = split(aggs["periods"])
        return Trend(
            start=start,
            end=end,
            total=total,
            previous_total=previous_total,
            blocks=trend_rows(rows("blocks"), size),
            settlements=trend_rows(rows("settlements"), size),
        )

    def close(self) -> None:
        self.client.close()
