"""The embedded backend: one SQLite file with an FTS5 table, for a small municipality and the demo.

Why SQLite FTS5: it ships with Python (no server to run in a district administration),
it is transactional, and in WAL mode one writer process (the indexing flow) and any
number of readers (dashboard, alerts) work on the same file at once. FTS5 has no Russian
stemmer, which is fine: like Elasticsearch we index the lemmas from ``nlp.lemmas`` (column
``lemmas``) and, for phrases, the exact lower-cased words (column ``words``). Both columns
are produced by Python and only split on spaces by FTS5 (``unicode61`` with diacritics
kept, so «й» stays «й», and «-» as a token character, so «кто-то» is one token as in
``nlp.lemmas``).

Layout: ``docs`` holds one row per post (typed columns for filters and sorts, the full
``IndexDocument`` as JSON for hits); ``doc_values`` holds every keyword value
(blocks, entities, settlement…) as ``(doc, field, value, norm)`` rows, so multi-valued
filters and facets are plain indexed SQL; ``fts`` is an external-content FTS5 index over
``docs`` kept in sync by triggers. Single-valued facets (platform, source, settlement,
department) are also plain columns of ``docs``, and the covering index ``docs_facets`` holds
every column an aggregation over a date range reads, so the heat map of a quarter is an
index-only scan: ``aggregate`` selects the matching rows once into a temporary table (with
their blocks) and runs each facet as a ``GROUP BY`` over it. The query AST is translated into a parameterised
``WHERE``: user text only ever travels as bound parameters (FTS5 strings are quoted and
their quotes doubled), column names come from fixed whitelists.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from index.base import (
    Aggregations,
    Bucket,
    Cursor,
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
from index.document import IndexDocument, norm
from index.query import (
    And,
    Compare,
    DateRange,
    Flag,
    MatchAll,
    Not,
    Or,
    Phrase,
    Query,
    Term,
    Word,
    parse_query,
    walk_positive,
)

SCHEMA_VERSION = 2
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
NUMERIC_COLUMNS = {
    "risk_score",
    "reach",
    "toxicity",
    "incident_score",
    "likes",
    "views",
    "reposts",
    "comments",
}
FLAG_COLUMNS = {"is_incident"}
# single-valued keyword fields that are also columns of ``docs`` (NULL when absent), for facets
FACET_COLUMNS = ("platform", "source_id", "settlement", "department")
# multi-valued keyword fields kept in ``docs`` as JSON arrays (NULL when empty): an aggregation
# expands them with ``json_each`` from the covering index instead of a seek per document
LIST_COLUMNS = ("blocks", "entities")
COMPARISONS = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "="}
BATCH = 1000
BULK_BATCH = 20_000  # documents per transaction inside ``bulk_load``: FTS5 flushes its terms per commit
# page cache per connection (KiB, SQLite's negative form): the id, time and value indexes of a
# million posts take hundreds of MB, and inserts at random places in them must not re-read pages
CACHE_KIB = 262_144

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    published_us INTEGER NOT NULL,
    local_day TEXT NOT NULL,
    sentiment TEXT NOT NULL,
    is_incident INTEGER NOT NULL,
    incident_score REAL NOT NULL,
    risk_score REAL NOT NULL,
    toxicity REAL NOT NULL,
    reach INTEGER NOT NULL,
    likes INTEGER NOT NULL,
    views INTEGER NOT NULL,
    reposts INTEGER NOT NULL,
    comments INTEGER NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    platform TEXT,
    source_id TEXT,
    settlement TEXT,
    department TEXT,
    blocks TEXT,
    entities TEXT,
    lemmas TEXT NOT NULL,
    words TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_time ON docs (published_us, id);
CREATE INDEX IF NOT EXISTS docs_risk ON docs (risk_score, published_us, id);
CREATE INDEX IF NOT EXISTS docs_reach ON docs (reach, published_us, id);
CREATE TABLE IF NOT EXISTS doc_values (
    doc INTEGER NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    norm TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS doc_values_filter ON doc_values (field, norm, doc);
CREATE INDEX IF NOT EXISTS doc_values_doc ON doc_values (doc, field, value);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
    lemmas, words, content='docs', content_rowid='rowid',
    tokenize="unicode61 remove_diacritics 0 tokenchars '-'"
);
CREATE TRIGGER IF NOT EXISTS docs_ai AFTER INSERT ON docs BEGIN
    INSERT INTO fts (rowid, lemmas, words) VALUES (new.rowid, new.lemmas, new.words);
END;
CREATE TRIGGER IF NOT EXISTS docs_ad AFTER DELETE ON docs BEGIN
    INSERT INTO fts (fts, rowid, lemmas, words) VALUES ('delete', old.rowid, old.lemmas, old.words);
END;
CREATE TRIGGER IF NOT EXISTS docs_au AFTER UPDATE OF lemmas, words ON docs BEGIN
    INSERT INTO fts (fts, rowid, lemmas, words) VALUES ('delete', old.rowid, old.lemmas, old.words);
    INSERT INTO fts (rowid, lemmas, words) VALUES (new.rowid, new.lemmas, new.words);
END;
"""
# after the columns of schema 2 exist (``_migrate`` adds them to a file of schema 1)
FACET_INDEX = """
CREATE INDEX IF NOT EXISTS docs_facets ON docs (
    published_us, is_deleted, sentiment, local_day, platform, source_id, settlement, department,
    blocks, entities
);
"""

# secondary indexes an upsert never reads (it reads ``id`` and ``doc_values_doc``)
DEFERRED_INDEXES = ("docs_time", "docs_risk", "docs_reach", "docs_facets", "doc_values_filter")

UPSERT = """
INSERT INTO docs (id, published_us, local_day, sentiment, is_incident, incident_score, risk_score,
                  toxicity, reach, likes, views, reposts, comments, is_deleted, platform, source_id,
                  settlement, department, blocks, entities, lemmas, words, doc)
VALUES (:id, :published_us, :local_day, :sentiment, :is_incident, :incident_score, :risk_score,
        :toxicity, :reach, :likes, :views, :reposts, :comments, :is_deleted, :platform, :source_id,
        :settlement, :department, :blocks, :entities, :lemmas, :words, :doc)
ON CONFLICT (id) DO UPDATE SET
    published_us = excluded.published_us, local_day = excluded.local_day,
    sentiment = excluded.sentiment, is_incident = excluded.is_incident,
    incident_score = excluded.incident_score, risk_score = excluded.risk_score,
    toxicity = excluded.toxicity, reach = excluded.reach, likes = excluded.likes,
    views = excluded.views, reposts = excluded.reposts, comments = excluded.comments,
    is_deleted = excluded.is_deleted, platform = excluded.platform, source_id = excluded.source_id,
    settlement = excluded.settlement, department = excluded.department,
    blocks = excluded.blocks, entities = excluded.entities,
    lemmas = excluded.lemmas, words = excluded.words,
    doc = excluded.doc
RETURNING rowid
"""


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# ---------------------------------------------------------------- AST → SQL


def _fts_expression(query: Query) -> str | None:
    """A text-only subtree as one FTS5 MATCH expression (one index lookup instead of many)."""
    if isinstance(query, Word):
        return f"lemmas : {_fts_string(query.lemma)}"
    if isinstance(query, Phrase):
        return f"words : {_fts_string(' '.join(query.words))}"
    if isinstance(query, And | Or):
        parts = [_fts_expression(child) for child in query.children]
        if any(part is None for part in parts):
            return None
        joiner = " AND " if isinstance(query, And) else " OR "
        return joiner.join(f"({part})" for part in parts)
    return None


def to_sql(query: Query) -> tuple[str, list[Any]]:
    """Translate the AST into a ``WHERE`` fragment over ``docs d`` with bound parameters."""
    fts = _fts_expression(query)
    if fts is not None:
        return "d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)", [fts]
    if isinstance(query, MatchAll):
        return "1", []
    if isinstance(query, Term):
        if query.field not in KEYWORD_FIELDS:
            raise ValueError(f"unknown keyword field {query.field!r}")
        return (
            "d.rowid IN (SELECT doc FROM doc_values WHERE field = ? AND norm = ?)",
            [query.field, query.value],
        )
    if isinstance(query, Flag):
        if query.field not in FLAG_COLUMNS:
            raise ValueError(f"unknown flag field {query.field!r}")
        return f"d.{query.field} = ?", [int(query.value)]
    if isinstance(query, Compare):
        if query.field not in NUMERIC_COLUMNS:
            raise ValueError(f"unknown numeric field {query.field!r}")
        return f"d.{query.field} {COMPARISONS[query.op]} ?", [query.value]
    if isinstance(query, DateRange):
        parts, params = [], []
        if query.start is not None:
            parts.append("d.published_us >= ?")
            params.append(_micros(query.start))
        if query.end is not None:
            parts.append("d.published_us < ?")
            params.append(_micros(query.end))
        return " AND ".join(parts) or "1", params
    if isinstance(query, Not):
        sql, params = to_sql(query.child)
        return f"NOT ({sql})", params
    if isinstance(query, And | Or):
        pieces = [to_sql(child) for child in query.children]
        joiner = " AND " if isinstance(query, And) else " OR "
        return joiner.join(f"({sql})" for sql, _ in pieces), [p for _, params in pieces for p in params]
    raise TypeError(f"not a query node: {query!r}")


def _relevance_match(query: Query) -> str | None:
    terms = list(walk_positive(query))
    if not terms:
        return None
    return " OR ".join(f"({_fts_expression(term)})" for term in terms)


# ---------------------------------------------------------------- the index


class EmbeddedIndex:
    """``SearchIndex`` on one SQLite file. One writer process; any number of reader threads.

    Each thread gets its own connection (a sqlite3 connection must not be shared between
    threads), so the dashboard's worker threads can search while the pipeline writes: WAL
    lets readers see the last committed state without blocking the writer.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        tz: ZoneInfo | str = "Europe/Moscow",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.clock = clock
        self._local = threading.local()
        self._batch = BATCH
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        db = self._db
        db.executescript(SCHEMA)
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?), ('timezone', ?)",
            (str(SCHEMA_VERSION), self.tz.key),
        )
        _migrate(db)
        db.executescript(FACET_INDEX)
        stored = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if stored["timezone"] != self.tz.key:
            # local days are stored at upsert time, so a different zone would mix two calendars
            raise ValueError(f"index {self.path} was built for {stored['timezone']}, not {self.tz.key}")

    # generations ---------------------------------------------------------
    #
    # ``path`` names the index; the data lives in ``path`` itself until the first rebuild, then in
    # ``<stem>.g<N><suffix>`` named by the pointer file ``<path>.current``. A rebuild writes a new
    # generation and replaces the pointer atomically (``os.replace``): a connection notices the
    # new pointer on its next use and reopens, and a query already running finishes on the old
    # file, which POSIX keeps readable until its last descriptor closes. Renaming the new file
    # over the old one instead would be unsafe in WAL mode: the old ``-wal`` file keeps its name
    # and a new connection would replay it into the wrong database.

    @property
    def pointer(self) -> Path:
        return self.path.with_name(self.path.name + ".current")

    def _mark(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.pointer)
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def data_file(self) -> Path:
        """The SQLite file of the current generation."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return self.path
        return self.path.with_name(name)

    def generation(self) -> int:
        match = re.search(r"\.g(\d+)" + re.escape(self.path.suffix) + "$", self.data_file().name)
        return int(match.group(1)) if match else 0

    def files(self) -> list[Path]:
        """The current generation's files on disk (database, WAL, shared memory): its disk size."""
        data = self.data_file()
        candidates = [data, data.with_name(data.name + "-wal"), data.with_name(data.name + "-shm")]
        return [path for path in candidates if path.exists()]

    def _connect(self, path: Path) -> sqlite3.Connection:
        connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA busy_timeout = 30000")
        connection.execute("PRAGMA temp_store = MEMORY")  # aggregate's matching set
        connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # grows as used, up to this
        with self._connections_lock:
            self._connections.append(connection)
        return connection

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection to the current generation (reopened after a rebuild's swap)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        mark = self._mark()
        if connection is not None and self._local.mark == mark:
            return connection
        if connection is not None:
            self._forget(connection)
        self._local.mark = mark
        connection = self._local.connection = self._connect(self.data_file())
        return connection

    def _forget(self, connection: sqlite3.Connection) -> None:
        with self._connections_lock:
            if connection in self._connections:
                self._connections.remove(connection)
        connection.close()

    def _begin(self) -> sqlite3.Connection:
        """A write transaction on the current generation: the pointer is checked under the write lock,
        so a writer that waited for a rebuild never commits into the generation just retired."""
        while True:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            if self._mark() == self._local.mark:
                return db
            db.execute("ROLLBACK")

    # writing -----------------------------------------------------------

    def _row(self, document: IndexDocument) -> dict[str, Any]:
        return {
            "id": document.id,
            "published_us": _micros(document.published_at),
            "local_day": document.published_at.astimezone(self.tz).date().isoformat(),
            "sentiment": document.sentiment,
            "is_incident": int(document.is_incident),
            "incident_score": document.incident_score,
            "risk_score": document.risk_score,
            "toxicity": document.toxicity,
            "reach": document.reach,
            "likes": document.likes,
            "views": document.views,
            "reposts": document.reposts,
            "comments": document.comments,
            "is_deleted": int(document.is_deleted),
            **{column: getattr(document, column) or None for column in FACET_COLUMNS},
            **{column: _json_list(getattr(document, column)) for column in LIST_COLUMNS},
            "lemmas": document.lemmas,
            "words": document.words,
            "doc": json.dumps(document.to_json(), ensure_ascii=False),
        }

    @staticmethod
    def _values(document: IndexDocument) -> Iterator[tuple[str, str]]:
        for field in KEYWORD_FIELDS:
            value = getattr(document, field)
            for item in value if isinstance(value, tuple) else (value,):
                if item:
                    yield field, str(item)

    def upsert(self, documents: Iterable[IndexDocument]) -> IndexReport:
        """Insert or replace by id, in transactions of ``BATCH``; a bad document fails alone.

        A batch is first written without per-document savepoints (three statements fewer per
        document); only if the database refuses one of them is the batch redone one savepoint
        per document, so that the refused document fails alone."""
        ok, failed = 0, []
        iterator = iter(documents)
        while batch := list(islice(iterator, self._batch)):
            rows: list[tuple[IndexDocument, dict[str, Any]]] = []
            for document in batch:
                try:
                    rows.append((document, self._row(document)))
                except (ValueError, TypeError, AttributeError) as error:
                    reason = f"{type(error).__name__}: {error}"
                    failed.append(FailedDocument(getattr(document, "id", "?"), reason))
            written = self._write(rows, isolate=False)
            if written is None:
                written = self._write(rows, isolate=True)
            assert written is not None
            ok += len(rows) - len(written)
            failed.extend(written)
        return IndexReport(ok=ok, failed=tuple(failed))

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Larger transactions and no waiting for the disk while a large load runs (a rebuild, the
        benchmark), then the usual durability again. A crash inside loses at most the last
        transactions, which the indexing flow retries (upserts are idempotent).

        Into an empty file, the secondary indexes that upserts do not read are dropped and built
        once at the end from sorted data, instead of a random insert into each per document (a
        crash inside leaves them missing; the next open creates them)."""
        db = self._db
        self._batch = BULK_BATCH
        db.execute("PRAGMA synchronous = OFF")
        if db.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is None:
            for name in DEFERRED_INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {name}")
        try:
            yield
        finally:
            self._batch = BATCH
            db.executescript(SCHEMA + FACET_INDEX)  # every ``IF NOT EXISTS``: builds what was dropped
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA optimize")

    def _write(
        self, rows: list[tuple[IndexDocument, dict[str, Any]]], *, isolate: bool
    ) -> list[FailedDocument] | None:
        """One transaction; the refused documents, or ``None`` if one was refused without ``isolate``."""
        refused: list[FailedDocument] = []
        db = self._begin()
        try:
            for document, row in rows:
                if isolate:
                    db.execute("SAVEPOINT one")
                try:
                    (rowid,) = db.execute(UPSERT, row).fetchone()
                    db.execute("DELETE FROM doc_values WHERE doc = ?", (rowid,))
                    db.executemany(
                        "INSERT INTO doc_values (doc, field, value, norm) VALUES (?, ?, ?, ?)",
                        [(rowid, f, v, norm(v)) for f, v in self._values(document)],
                    )
                except sqlite3.Error as error:
                    if not isolate:
                        db.execute("ROLLBACK")
                        return None
                    db.execute("ROLLBACK TO one")
                    refused.append(FailedDocument(document.id, f"{type(error).__name__}: {error}"))
                finally:
                    if isolate:
                        db.execute("RELEASE one")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return refused

    def mark_deleted(self, ids: Iterable[str]) -> int:
        marked = 0
        db = self._begin()
        try:
            for id in ids:
                cursor = db.execute(
                    "UPDATE docs SET is_deleted = 1, doc = json_set(doc, '$.is_deleted', json('true'))"
                    " WHERE id = ? AND is_deleted = 0",
                    (id,),
                )
                marked += cursor.rowcount
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return marked

    def rebuild(
        self,
        documents: Iterable[IndexDocument],
        *,
        catch_up: Callable[[], Iterable[IndexDocument]] | None = None,
    ) -> IndexReport:
        """Build the next generation from ``documents`` and switch to it; readers keep working.

        ``catch_up`` is called after the switch for what changed while the new file was being
        built (posts analysed since the rebuild began), and its documents are upserted too.
        """
        retired = self.data_file()
        target = self.path.with_name(f"{self.path.stem}.g{self.generation() + 1}{self.path.suffix}")
        for leftover in _with_sidecars(target):  # a rebuild that died half-way
            leftover.unlink(missing_ok=True)
        fresh = EmbeddedIndex(target, tz=self.tz, clock=self.clock)
        try:
            with fresh.bulk_load():
                report = fresh.upsert(documents)
            fresh._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            fresh.close()
        staged = self.pointer.with_name(self.pointer.name + ".tmp")
        with open(staged, "w", encoding="utf-8") as handle:
            handle.write(target.name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, self.pointer)
        for path in _with_sidecars(retired):  # open descriptors keep the old generation readable
            path.unlink(missing_ok=True)
        if catch_up is not None:
            late = self.upsert(catch_up())
            report = IndexReport(ok=report.ok + late.ok, failed=report.failed + late.failed)
        return report

    # reading -----------------------------------------------------------

    def parse(self, query: Query | str) -> Query:
        return parse_query(query, now=self.clock(), tz=self.tz) if isinstance(query, str) else query

    def _where(self, query: Query) -> tuple[str, list[Any]]:
        sql, params = to_sql(query)
        return f"d.is_deleted = 0 AND ({sql})", params

    def get(self, id: str) -> IndexDocument | None:
        row = self._db.execute("SELECT doc FROM docs WHERE id = ?", (id,)).fetchone()
        return IndexDocument.from_json(json.loads(row[0])) if row else None

    def count(self, query: Query | str = "") -> int:
        where, params = self._where(self.parse(query))
        (total,) = self._db.execute(f"SELECT count(*) FROM docs d WHERE {where}", params).fetchone()
        return int(total)

    def search(self, request: SearchRequest) -> SearchPage:
        query = self.parse(request.query)
        where, params = self._where(query)
        total = self.count(query)
        join, join_params, score = "", [], "0.0"
        if request.sort is Sort.RELEVANCE and (match := _relevance_match(query)):
            join = (
                "LEFT JOIN (SELECT rowid AS r, -bm25(fts) AS s FROM fts WHERE fts MATCH ?) rel"
                " ON rel.r = d.rowid"
            )
            join_params, score = [match], "coalesce(rel.s, 0.0)"
        keys = {
            Sort.TIME: ["d.published_us", "d.id"],
            Sort.RELEVANCE: [score, "d.published_us", "d.id"],
            Sort.RISK: ["d.risk_score", "d.published_us", "d.id"],
            Sort.REACH: ["d.reach", "d.published_us", "d.id"],
        }[request.sort]
        after, after_params = "", []
        if request.search_after is not None:
            if len(request.search_after) != len(keys):
                raise ValueError("search_after does not belong to this sort")
            after = f" AND ({', '.join(keys)}) < ({', '.join('?' * len(keys))})"
            after_params = list(request.search_after)
        sql = (
            f"SELECT d.doc, {', '.join(keys)} FROM docs d {join} WHERE {where}{after}"
            f" ORDER BY {', '.join(key + ' DESC' for key in keys)} LIMIT ?"
        )
        rows = self._db.execute(sql, [*join_params, *params, *after_params, request.size]).fetchall()
        hits = []
        for doc_json, *sort_values in rows:
            document = IndexDocument.from_json(json.loads(doc_json))
            hits.append(
                Hit(
                    document=document,
                    sort=tuple(sort_values),
                    score=float(sort_values[0]) if request.sort is Sort.RELEVANCE else None,
                    snippets=highlight(document, query) if request.highlight else (),
                )
            )
        return SearchPage(hits=tuple(hits), total=total)

    def aggregate(self, query: Query | str = "", *, size: int = 10) -> Aggregations:
        where, params = self._where(self.parse(query))
        db = self._db  # one generation and, in one read transaction, one snapshot for every part
        columns = ", ".join(f"d.{column}" for column in (*FACET_COLUMNS, *LIST_COLUMNS))
        db.execute("BEGIN")
        try:
            db.execute("DROP TABLE IF EXISTS temp.m")
            db.execute("DROP TABLE IF EXISTS temp.mb")
            db.execute(
                "CREATE TEMP TABLE m AS SELECT d.rowid AS doc, d.sentiment, d.local_day,"
                f" {columns} FROM docs d WHERE {where}",
                params,
            )
            # one row per (matching document, block): the blocks facet and both heat maps read it
            db.execute(
                "CREATE TEMP TABLE mb AS SELECT m.sentiment, m.settlement, m.department, j.value AS block"
                " FROM m, json_each(m.blocks) j WHERE m.blocks IS NOT NULL"
            )

            def single(column: str) -> tuple[Bucket, ...]:
                rows = db.execute(
                    f"SELECT {column}, count(*) AS c FROM m WHERE {column} IS NOT NULL AND {column} != ''"
                    f" GROUP BY {column} ORDER BY c DESC, {column} ASC LIMIT ?",
                    [size],
                ).fetchall()
                return tuple(Bucket(value, count) for value, count in rows)

            def blocks() -> tuple[Bucket, ...]:
                rows = db.execute(
                    "SELECT block, count(*) AS c FROM mb GROUP BY block ORDER BY c DESC, block ASC LIMIT ?",
                    [size],
                ).fetchall()
                return tuple(Bucket(value, count) for value, count in rows)

            def entities() -> tuple[Bucket, ...]:
                rows = db.execute(
                    "SELECT j.value, count(*) AS c FROM m, json_each(m.entities) j"
                    " WHERE m.entities IS NOT NULL GROUP BY j.value ORDER BY c DESC, j.value ASC LIMIT ?",
                    [size],
                ).fetchall()
                return tuple(Bucket(value, count) for value, count in rows)

            def heat(column: str) -> tuple[HeatCell, ...]:
                rows = db.execute(
                    f"SELECT block, {column}, count(*), sum(sentiment = 'negative') FROM mb"
                    f" WHERE {column} IS NOT NULL AND {column} != ''"
                    f" GROUP BY block, {column} ORDER BY block, {column}"
                ).fetchall()
                return tuple(HeatCell(block, key, count, negative) for block, key, count, negative in rows)

            days = db.execute("SELECT local_day, count(*) FROM m GROUP BY local_day").fetchall()
            (total,) = db.execute("SELECT count(*) FROM m").fetchone()
            result = Aggregations(
                total=int(total),
                blocks=blocks(),
                settlements=single("settlement"),
                sources=single("source_id"),
                platforms=single("platform"),
                sentiments=single("sentiment"),
                entities=entities(),
                days=fill_days(dict(days)),
                heat_settlement=heat("settlement"),
                heat_department=heat("department"),
            )
            db.execute("DROP TABLE temp.mb")
            db.execute("DROP TABLE temp.m")
        finally:
            if db.in_transaction:
                db.execute("COMMIT")
        return result

    def trend(self, query: Query | str = "", *, start: datetime, end: datetime, size: int = 10) -> Trend:
        check_period(start, end)
        where, params = self._where(self.parse(query))
        db = self._db
        bounds = [_micros(start), _micros(start - (end - start)), _micros(end)]
        matching = (
            "m AS (SELECT d.published_us >= ? AS cur, d.sentiment = 'negative' AS neg, d.blocks, d.settlement"
            f" FROM docs d WHERE {where} AND d.published_us >= ? AND d.published_us < ?)"
        )
        sql_params = [bounds[0], *params, bounds[1], bounds[2]]
        sums = "sum(m.cur), sum(m.cur AND m.neg), sum(NOT m.cur), sum(NOT m.cur AND m.neg)"

        def rows(source: str, key: str) -> tuple[tuple[str, int, int, int, int], ...]:
            return tuple(
                db.execute(f"WITH {matching} SELECT {key}, {sums} FROM {source} GROUP BY {key}", sql_params)
            )

        current, previous = db.execute(
            f"WITH {matching} SELECT coalesce(sum(cur), 0), coalesce(sum(NOT cur), 0) FROM m", sql_params
        ).fetchone()
        return Trend(
            start=start,
            end=end,
            total=int(current),
            previous_total=int(previous),
            blocks=trend_rows(rows("m, json_each(m.blocks) j", "j.value"), size),
            settlements=trend_rows(rows("m WHERE m.settlement IS NOT NULL", "m.settlement"), size),
        )

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


def _json_list(values: tuple[str, ...]) -> str | None:
    items = [str(value) for value in values if value]
    return json.dumps(items, ensure_ascii=False) if items else None


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a file of an older schema up to ``SCHEMA_VERSION`` in place (one transaction).

    Schema 2 added the facet columns; their values are taken from the stored documents."""
    (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if int(version) >= SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        present = {row[1] for row in db.execute("PRAGMA table_info(docs)")}
        for column in FACET_COLUMNS:
            if column not in present:
                db.execute(f"ALTER TABLE docs ADD COLUMN {column} TEXT")
                db.execute(f"UPDATE docs SET {column} = nullif(json_extract(doc, '$.{column}'), '')")
        for column in LIST_COLUMNS:
            if column not in present:
                db.execute(f"ALTER TABLE docs ADD COLUMN {column} TEXT")
                db.execute(f"UPDATE docs SET {column} = nullif(json_extract(doc, '$.{column}'), '[]')")
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _with_sidecars(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def fill_days(counts: dict[str, int]) -> tuple[Bucket, ...]:
    """Every day from the first to the last with documents, zeros included, as a chart needs."""
    if not counts:
        return ()
    day, last = date.fromisoformat(min(counts)), date.fromisoformat(max(counts))
    result = []
    while day <= last:
        result.append(Bucket(day.isoformat(), counts.get(day.isoformat(), 0)))
        day += timedelta(days=1)
    return tuple(result)


def cursor_json(cursor: Cursor) -> str:
    """A cursor as text for a URL or a saved page (both backends' cursors are JSON scalars)."""
    return json.dumps(list(cursor), ensure_ascii=False)
