"""Elasticsearch failure modes on the real node: partial bulk failures, a read-only index, no node at all.

Nothing is lost: a document the node refused comes back in ``IndexReport.failed`` with its
id, and indexing it again once the cause is gone succeeds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
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
