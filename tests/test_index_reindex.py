"""Reindex without downtime, per backend, and from the post store through the pipeline step.

The contract suite checks that readers never see an empty or half-built index during a
rebuild; here are the mechanics each backend relies on: the embedded store's generation
files and pointer, Elasticsearch's versioned indices behind the alias.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from test_index_contract import LIVE, MSK, NOW, ROWS, corpus, make_pair

from flows import steps
from index.base import SearchIndex
from index.embedded import DEFERRED_INDEXES, FACET_COLUMNS, LIST_COLUMNS, SCHEMA_VERSION, EmbeddedIndex
from index.es import ElasticsearchIndex
from index.queries import MAPPING_VERSION
from infopole.config.municipality import load_municipality
from infopole.storage.db import Database
from infopole.storage.posts import PostStore

KINGISEPP = Path(__file__).parent.parent / "infopole" / "municipalities" / "kingisepp.yaml"


@pytest.fixture
def es_index(elasticsearch_url: str) -> Iterator[ElasticsearchIndex]:
    index = ElasticsearchIndex(
        Elasticsearch(elasticsearch_url, request_timeout=30),
        prefix=f"test-{uuid.uuid4().hex[:10]}",
        municipality_slug="kingisepp",
        tz=MSK,
        clock=lambda: NOW,
    )
    index.ensure()
    yield index
    index.drop()
    index.close()


def test_embedded_generations_switch_other_processes_and_free_the_old_file(tmp_path: Path) -> None:
    writer = EmbeddedIndex(tmp_path / "kingisepp.sqlite3", tz=MSK, clock=lambda: NOW)
    reader = EmbeddedIndex(tmp_path / "kingisepp.sqlite3", tz=MSK, clock=lambda: NOW)  # the dashboard
    try:
        writer.upsert(corpus()[:5])
        assert reader.count("") == 5 and writer.data_file() == tmp_path / "kingisepp.sqlite3"
        assert writer.rebuild(corpus()).ok == len(ROWS)
        assert writer.generation() == 1
        assert writer.data_file() == tmp_path / "kingisepp.g1.sqlite3"
        assert not (tmp_path / "kingisepp.sqlite3").exists(), "the retired generation is deleted"
        assert reader.count("") == len(LIVE), "an open reader follows the pointer"
        # the stale instance writes into the current generation, not into the deleted file
        late = replace(corpus()[0], id="vk:-100:901", text="Лифт стоит", lemmas="лифт стоять")
        assert reader.upsert([late]).ok == 1
        assert writer.count("лифт") == 1
        writer.rebuild(corpus()[:3])
        assert writer.data_file().name == "kingisepp.g2.sqlite3"
        assert sorted(p.name for p in tmp_path.iterdir() if "g1" in p.name) == []
        assert reader.count("") == 3
        reopened = EmbeddedIndex(tmp_path / "kingisepp.sqlite3", tz=MSK, clock=lambda: NOW)
        assert reopened.count("") == 3 and reopened.files()[0].name == "kingisepp.g2.sqlite3"
        reopened.close()
    finally:
        writer.close()
        reader.close()


def test_es_rebuild_moves_the_alias_to_the_next_version_and_cleans_up(es_index: ElasticsearchIndex) -> None:
    client = es_index.client
    es_index.upsert(corpus()[:5])
    first = es_index.concrete_index
    assert first == f"{es_index.alias}-v{MAPPING_VERSION}"
    assert es_index.rebuild(corpus()).ok == len(ROWS)
    second = f"{es_index.alias}-v{MAPPING_VERSION + 1}"
    assert list(client.indices.get_alias(name=es_index.alias)) == [second]
    assert not client.indices.exists(index=first)
    assert es_index.count("") == len(LIVE)
    meta = client.indices.get_mapping(index=second)[second]["mappings"]["_meta"]
    assert meta["mapping_version"] == MAPPING_VERSION  # the new index took the template's mappings
    settings = client.indices.get_settings(index=second)[second]["settings"]["index"]
    assert settings["refresh_interval"] == "1s"
    # an interrupted rebuild left an index behind: the next rebuild removes it and goes past it
    leftover = f"{es_index.alias}-v{MAPPING_VERSION + 2}"
    client.indices.create(index=leftover)
    es_index.rebuild(corpus()[:4])
    third = f"{es_index.alias}-v{MAPPING_VERSION + 3}"
    assert sorted(client.indices.get(index=f"{es_index.alias}-v*")) == [third]
    assert es_index.concrete_index == third
    assert es_index.count("") == 4
    assert es_index.upsert(corpus()[4:6]).ok == 2  # writes go through the alias to the new index
    assert client.count(index=third)["count"] == 6


@pytest.mark.parametrize("backend", ["embedded", "elasticsearch"])
def test_reindex_step_rebuilds_from_the_post_store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    index: SearchIndex = (
        request.getfixturevalue("es_index")
        if backend == "elasticsearch"
        else EmbeddedIndex(tmp_path / "index.sqlite3", tz=MSK, clock=lambda: NOW)
    )
    db = Database(f"sqlite:///{tmp_path / 'infopole.sqlite3'}")
    try:
        store = PostStore(db)
        pairs = [make_pair(row) for row in ROWS]
        store.save_batch([post for post, _ in pairs], [], NOW)
        early, late = NOW - timedelta(hours=2), NOW
        store.save_analyses(pairs[:-3], early)
        store.save_analyses(pairs[-3:], late)  # analysed while the rebuild was loading
        report = steps.reindex(
            store, index, load_municipality(KINGISEPP), clock=lambda: NOW - timedelta(hours=1)
        )
        assert report.ok == len(ROWS) + 3 and not report.failed  # the last three again, in the catch-up
        assert index.count("") == len(LIVE)
        assert index.count("block:ЖКХ") == 9
        stored = index.get(pairs[0][0].key)
        assert stored is not None and stored.department == "Комитет ЖКХ, транспорта и экологии"
    finally:
        db.close()
        if backend == "embedded":
            index.close()


def test_embedded_file_of_schema_1_gains_the_facet_columns_in_place(tmp_path: Path) -> None:
    """A file written before the facet columns existed is migrated on open, its facets intact."""
    path = tmp_path / "kingisepp.sqlite3"
    index = EmbeddedIndex(path, tz=MSK, clock=lambda: NOW)
    index.upsert(corpus())
    expected = index.aggregate("")
    index.close()
    with sqlite3.connect(path) as old:  # back to schema 1: no facet columns, no covering index
        old.execute("DROP INDEX docs_facets")
        for column in (*FACET_COLUMNS, *LIST_COLUMNS):
            old.execute(f"ALTER TABLE docs DROP COLUMN {column}")
        old.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    reopened = EmbeddedIndex(path, tz=MSK, clock=lambda: NOW)
    try:
        assert reopened.aggregate("") == expected
        assert expected.settlements and expected.entities and expected.heat_department
        (version,) = reopened._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        assert int(version) == SCHEMA_VERSION
    finally:
        reopened.close()


def test_es_bulk_load_relaxes_settings_and_restores_them(es_index: ElasticsearchIndex) -> None:
    client, name = es_index.client, es_index.concrete_index

    def settings() -> dict[str, str]:
        return client.indices.get_settings(index=name, flat_settings=True)[name]["settings"]

    es_index.chunk_size, es_index.max_chunk_bytes = 4, 2_000  # several chunks in flight, cut by bytes
    with es_index.bulk_load():
        assert settings()["index.refresh_interval"] == "-1"
        assert settings()["index.translog.durability"] == "async"
        report = es_index.upsert(corpus())
        assert report.ok == len(ROWS) and not report.failed
        assert client.count(index=name)["count"] == 0, "no refresh inside a bulk load"
    assert settings()["index.refresh_interval"] == "1s"
    assert settings()["index.translog.durability"].lower() == "request"
    assert es_index.count("") == len(LIVE), "searchable right after the load"


def test_embedded_bulk_load_into_an_empty_file_builds_the_indexes_at_the_end(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "kingisepp.sqlite3", tz=MSK, clock=lambda: NOW)

    def indexes() -> set[str]:
        rows = index._db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        return {name for (name,) in rows}

    try:
        built = indexes()
        assert set(DEFERRED_INDEXES) <= built
        with index.bulk_load():
            assert not indexes() & set(DEFERRED_INDEXES), "dropped while loading an empty file"
            assert index.upsert(corpus()).ok == len(ROWS)
            assert index.upsert(corpus()[:3]).ok == 3  # updates inside the load stay idempotent
        assert indexes() == built
        assert index.count("") == len(LIVE)
        with index.bulk_load():  # not empty now: nothing is dropped
            assert indexes() == built
    finally:
        index.close()
