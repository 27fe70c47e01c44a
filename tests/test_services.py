"""The real services the other tests stand on: an Elasticsearch 8 node and a PostgreSQL server.

Needs the plugin ``tests/fixtures/services.py`` (``pytest_plugins`` in ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from elasticsearch import Elasticsearch
from fixtures.services import check_elasticsearch, check_postgres, delete_indices, fresh_database
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

POST = {
    "post_id": "-100003_42",
    "text": "Нет горячей воды на ул. Ленина, 5 😡",
    "published_at": "2026-11-23T18:30:00Z",
}


@pytest.fixture
def es(elasticsearch_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(elasticsearch_url, request_timeout=30)
    yield client
    client.close()


def scalar(url: str, sql: str) -> object:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql)).scalar_one()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- Elasticsearch


@pytest.mark.elasticsearch
def test_node_is_elasticsearch_8_and_healthy(es: Elasticsearch, elasticsearch_url: str) -> None:
    nodes = es.nodes.info(node_id="_local")
    (node,) = nodes["nodes"].values()
    assert node["version"].startswith("8.")
    assert check_elasticsearch(elasticsearch_url) == node["version"]
    assert es.cluster.health()["status"] in {"green", "yellow"}


@pytest.mark.elasticsearch
def test_a_document_is_indexed_and_found(es: Elasticsearch, es_index_prefix: str) -> None:
    index = f"{es_index_prefix}posts"
    # The standard analyzer: this distribution has no analysis-common, hence no `russian` analyzer.
    es.indices.create(
        index=index,
        mappings={
            "dynamic": "strict",
            "properties": {
                "post_id": {"type": "keyword"},
                "text": {"type": "text"},
                "published_at": {"type": "date"},
            },
        },
        settings={"number_of_shards": 1, "number_of_replicas": 0},
    )
    es.index(index=index, id=POST["post_id"], document=POST, refresh="wait_for")

    found = es.search(index=index, query={"match": {"text": "ГОРЯЧЕЙ воды"}})
    assert found["hits"]["total"]["value"] == 1
    (hit,) = found["hits"]["hits"]
    assert hit["_id"] == POST["post_id"]
    assert hit["_source"] == POST

    assert es.search(index=index, query={"match": {"text": "электричества"}})["hits"]["total"]["value"] == 0
    dated = es.search(index=index, query={"range": {"published_at": {"gte": "2026-11-24"}}})
    assert dated["hits"]["total"]["value"] == 0


@pytest.mark.elasticsearch
def test_cleanup_deletes_only_the_indices_under_the_prefix(
    es: Elasticsearch, elasticsearch_url: str, es_index_prefix: str
) -> None:
    mine = [f"{es_index_prefix}a", f"{es_index_prefix}b"]
    neighbour = f"{es_index_prefix.rstrip('-')}x-c"  # same start, not under the prefix
    for name in [*mine, neighbour]:
        es.indices.create(index=name)
    assert delete_indices(elasticsearch_url, es_index_prefix) == mine
    assert not es.indices.exists(index=mine[0]) and not es.indices.exists(index=mine[1])
    assert es.indices.exists(index=neighbour)
    es.indices.delete(index=neighbour)
    assert delete_indices(elasticsearch_url, es_index_prefix) == []


def test_an_unreachable_node_fails_instead_of_skipping() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"scripts/elasticsearch\.sh start"):
        check_elasticsearch("http://127.0.0.1:9")


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_postgres_accepts_sqlalchemy_psycopg(postgres_url: str) -> None:
    url = make_url(postgres_url)
    assert url.drivername == "postgresql+psycopg"
    assert scalar(postgres_url, "SELECT current_database()") == url.database
    assert scalar(postgres_url, "SELECT current_user") == url.username
    # DROP DATABASE … WITH (FORCE) in the fixtures needs PostgreSQL 13 or newer.
    assert int(str(scalar(postgres_url, "SHOW server_version_num"))) >= 130000
    assert scalar(postgres_url, "SELECT 'Кингисепп 😡'") == "Кингисепп 😡"


@pytest.mark.postgres
def test_fresh_databases_are_empty_and_isolated(postgres_url: str, postgres_db_url: str) -> None:
    tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    with fresh_database(postgres_url) as other_url:
        assert make_url(other_url).database != make_url(postgres_db_url).database
        assert scalar(postgres_db_url, tables) == 0
        assert scalar(other_url, tables) == 0

        engine = sa.create_engine(postgres_db_url, poolclass=NullPool)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE posts (id text PRIMARY KEY, body text NOT NULL)"))
            connection.execute(sa.text("INSERT INTO posts VALUES ('1', 'Нет воды')"))
        engine.dispose()

        assert scalar(postgres_db_url, "SELECT body FROM posts") == "Нет воды"
        assert scalar(other_url, tables) == 0
    other = make_url(other_url).database
    assert scalar(postgres_url, f"SELECT count(*) FROM pg_database WHERE datname = '{other}'") == 0


def test_an_unreachable_postgres_fails_instead_of_skipping() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"scripts/postgres\.sh start"):
        check_postgres("postgresql+psycopg://infopole:infopole@127.0.0.1:9/nowhere")
