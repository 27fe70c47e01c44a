"""Elasticsearch failure modes on the real node: partial bulk failures, a read-only index, no node at all.

Nothing is lost: a document the node refused comes back in ``IndexReport.failed`` with its
id, and indexing it again once the cause is gone succeeds.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from elasticsearch import ConnectionError, Elasticsearch
from test_index_contract import MSK, NOW, corpus

from index import open_index
from index.embedded import EmbeddedIndex
from index.es import ElasticsearchIndex, IndexUnavailableError
from infopole.config.settings import IndexBackend, Settings

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def es_index(elasticsearch_url: str) -> Iterator[ElasticsearchIndex]:
    client = Elasticsearch(elasticsearch_url, request_timeout=30)
    try:
        client.cluster.health(timeout="5s")
    except ConnectionError as error:
        pytest.fail(
            f"no Elasticsearch at {elasticsearch_url} ({error}): start it with scripts/elasticsearch.sh"
        )
    index = ElasticsearchIndex(
        client,
        prefix=f"test-{uuid.uuid4().hex[:10]}",
        municipality_slug="kingisepp",
        tz=MSK,
        clock=lambda: NOW,
        max_retries=1,
        initial_backoff=0.1,
    )
    index.ensure()
    yield index
    index.drop()
    index.close()


def test_a_refused_document_is_reported_and_the_rest_indexed(es_index: ElasticsearchIndex) -> None:
    good = corpus()[:5]
    bad = replace(corpus()[5], risk_score="очень высокий")  # type: ignore[arg-type]  # the mapping says double
    report = es_index.upsert([*good, bad])
    assert report.ok == 5
    assert report.failed_ids == (bad.id,)
    assert "risk_score" in report.failed[0].reason
    assert es_index.count("") == 5
    assert es_index.upsert([corpus()[5]]).ok == 1  # the next run retries it
    assert es_index.count("") == 6


def test_read_only_index_fails_every_document_then_recovers(es_index: ElasticsearchIndex) -> None:
    es_index.client.indices.put_settings(index=es_index.concrete_index, settings={"index.blocks.write": True})
    try:
        report = es_index.upsert(corpus()[:3])
        assert report.ok == 0
        assert set(report.failed_ids) == {doc.id for doc in corpus()[:3]}
        assert "block" in report.failed[0].reason
    finally:
        es_index.client.indices.put_settings(
            index=es_index.concrete_index, settings={"index.blocks.write": False}
        )
    assert es_index.upsert(corpus()[:3]).ok == 3
    assert es_index.count("") == 3


def test_unreachable_node_is_a_clear_error() -> None:
    client = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)
    index = ElasticsearchIndex(client, prefix="nowhere", municipality_slug="kingisepp")
    with pytest.raises(IndexUnavailableError, match=r"scripts/elasticsearch\.sh start"):
        index.count("вода")
    with pytest.raises(IndexUnavailableError, match="после 0 документов"):
        index.upsert(corpus()[:2])


def test_open_index_chooses_the_backend(tmp_path: Path, elasticsearch_url: str) -> None:
    embedded = open_index(Settings(data_dir=tmp_path), "kingisepp", tz=MSK, clock=lambda: NOW)
    assert isinstance(embedded, EmbeddedIndex)
    assert embedded.path == tmp_path / "index" / "kingisepp.sqlite3"
    embedded.close()
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    settings = Settings(
        data_dir=tmp_path,
        index_backend=IndexBackend.ELASTICSEARCH,
        elasticsearch_url=elasticsearch_url,
        elasticsearch_index_prefix=prefix,
    )
    remote = open_index(settings, "kingisepp", tz=MSK, clock=lambda: NOW)
    assert isinstance(remote, ElasticsearchIndex)
    try:
        assert remote.alias == f"{prefix}-kingisepp"
        assert remote.client.indices.exists_alias(name=remote.alias)
        assert remote.upsert(corpus()[:2]).ok == 2
        assert remote.count("") == 2
    finally:
        remote.drop()
        remote.close()


HOP_HEADERS = ("host", "content-length")


class RejectingProxy:
    """A pass-through HTTP proxy to the real node that answers 429 for chosen documents of a bulk,
    as a node whose write queue is full does (``es_rejected_execution_exception`` per item)."""

    def __init__(self, upstream: str, reject: Callable[[str, int], bool]) -> None:
        self.upstream, self.reject = upstream.rstrip("/"), reject
        self.bulks: list[list[str]] = []  # ids sent in each bulk request
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = urllib.request.Request(
                    proxy.upstream + self.path,
                    data=body or None,
                    method=self.command,
                    headers={
                        k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, headers, payload = response.status, response.headers, response.read()
                except urllib.error.HTTPError as error:
                    status, headers, payload = error.code, error.headers, error.read()
                if self.path.split("?")[0].endswith("/_bulk") and status == 200:
                    payload = proxy._rewrite(body, payload)
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _rewrite(self, request: bytes, payload: bytes) -> bytes:
        lines = request.decode().splitlines()
        ids = [json.loads(line)["index"]["_id"] for line in lines[::2]]
        attempt = sum(id in sent for sent in self.bulks for id in ids[:1])
        self.bulks.append(ids)
        answer = json.loads(payload)
        for id, item in zip(ids, answer["items"], strict=True):
            if self.reject(id, attempt):
                item["index"] = {
                    "_id": id,
                    "status": 429,
                    "error": {"type": "es_rejected_execution_exception", "reason": "write queue full"},
                }
                answer["errors"] = True
        return json.dumps(answer).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_rejections_under_load_are_retried_and_a_persistent_one_is_reported(
    es_index: ElasticsearchIndex, elasticsearch_url: str
) -> None:
    documents = corpus()[:6]
    flaky, stuck = documents[1].id, documents[4].id
    proxy = RejectingProxy(
        elasticsearch_url, lambda id, attempt: id == stuck or (id == flaky and attempt == 0)
    )
    try:
        through = ElasticsearchIndex(
            Elasticsearch(proxy.url, request_timeout=30),
            prefix=es_index.prefix,
            municipality_slug="kingisepp",
            tz=MSK,
            clock=lambda: NOW,
            max_retries=2,
            initial_backoff=0.05,
        )
        report = through.upsert(documents)
        assert report.ok == 5
        assert report.failed_ids == (stuck,) and "es_rejected_execution_exception" in report.failed[0].reason
        assert proxy.bulks[0] == [doc.id for doc in documents]
        assert proxy.bulks[1:] == [[flaky, stuck], [stuck]], "only the rejected documents are sent again"
        through.close()
    finally:
        proxy.close()
    assert es_index.upsert([documents[4]]).ok == 1  # the next run retries it
