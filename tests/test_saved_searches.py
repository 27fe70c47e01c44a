"""Saved searches on a real SQLite database: owners, sharing, validation, watchlists for alerts, the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alert_fixtures import KINGISEPP, NOW, municipality, pair

from index.query import QuerySyntaxError
from infopole.alerts.detect import Snapshot, detect
from infopole.alerts.run import read_snapshot
from infopole.config.municipality import Severity, Watchlist
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from infopole.storage.searches import SavedSearchError, SavedSearchStore, saved_watchlists


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'infopole.sqlite3'}")
    yield database
    database.close()


@pytest.fixture
def store(db: Database) -> SavedSearchStore:
    return SavedSearchStore(db)


def test_save_parses_the_query_and_refuses_errors_with_the_position(store: SavedSearchStore) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        store.save("ivanova", "Вода", "вода AND (block:ЖКХ", NOW)
    assert error.value.position == 9  # the unclosed parenthesis
    with pytest.raises(SavedSearchError, match="пустой запрос"):
        store.save("ivanova", "Пусто", "   ", NOW)
    with pytest.raises(SavedSearchError, match="название"):
        store.save("ivanova", " ", "вода", NOW)
    assert store.visible_to("ivanova") == []


def test_save_replaces_query_and_flags_and_keeps_the_creation_time(store: SavedSearchStore) -> None:
    first = store.save("ivanova", "Вода", " вода settlement:Ивангород ", NOW)
    assert first.query == "вода settlement:Ивангород" and not first.shared and not first.watch
    later = NOW + timedelta(hours=2)
    second = store.save("ivanova", "Вода", '"горячей воды" date:-7d', later, shared=True, watch=True)
    assert second.id == first.id
    assert (second.created_at, second.updated_at) == (NOW, later)
    assert second.query == '"горячей воды" date:-7d' and second.shared and second.watch
    assert store.get("ivanova", "Вода") == second


def test_owners_see_their_own_and_shared_searches(store: SavedSearchStore) -> None:
    store.save("ivanova", "Вода", "вода", NOW)
    store.save("ivanova", "Дороги", "block:Дороги", NOW, shared=True)
    store.save("petrov", "Вода", "вода sentiment:negative", NOW)
    store.save("petrov", "Мусор", "мусор", NOW, shared=True)
    assert [(s.owner, s.name) for s in store.visible_to("ivanova")] == [
        ("ivanova", "Вода"),
        ("ivanova", "Дороги"),
        ("petrov", "Мусор"),
    ]
    found = store.find("ivanova", "Вода")
    assert found is not None and found.owner == "ivanova"  # own first, not petrov's private one
    shared = store.find("ivanova", "Мусор")
    assert shared is not None and shared.owner == "petrov"
    assert store.find("sidorov", "Вода") is None  # private to each owner
    assert not store.remove("ivanova", "Мусор")  # only the owner removes
    assert store.remove("petrov", "Мусор")
    assert store.find("ivanova", "Мусор") is None


def test_watched_searches_become_watchlists_and_raise_alerts(db: Database, store: SavedSearchStore) -> None:
    store.save("ivanova", "Лифт", "лифт OR подъёмник", NOW, watch=True, severity=Severity.HIGH)
    store.save("ivanova", "Дороги", "block:Дороги", NOW)  # not watched
    assert saved_watchlists(store) == [
        Watchlist(name="Лифт (ivanova)", query="лифт OR подъёмник", severity=Severity.HIGH)
    ]
    posts = PostStore(db)
    stuck = pair("1", "Третий день не работает лифт в доме 5 на Ленина", NOW - timedelta(hours=1))
    posts.save_batch([stuck[0]], [], NOW)
    posts.save_analyses([stuck], NOW)
    snapshot = read_snapshot(posts, IncidentStore(db), municipality(), NOW)
    assert list(snapshot.watchlists) == saved_watchlists(store)
    alerts = [a for a in detect(snapshot, municipality(), NOW) if a.key.startswith("watch:")]
    assert [(a.key, a.severity) for a in alerts] == [(f"watch:Лифт (ivanova):{stuck[0].key}", "high")]
    assert detect(Snapshot(posts=[stuck]), municipality(), NOW) == []  # without the saved search: none


def infopole(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infopole.cli", *args, "-m", str(KINGISEPP), "--data-dir", str(cwd / "var")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "COLUMNS": "200", "INFOPOLE_USER": "ivanova"},
    )


def test_cli_add_list_run_remove(tmp_path: Path) -> None:
    bad = infopole("searches", "add", "Вода", "вода AND (block:ЖКХ", cwd=tmp_path)
    assert bad.returncode == 2
    assert "позиции 10" in bad.stderr or "позиция 10" in bad.stderr, bad.stderr
    added = infopole("searches", "add", "Вода", "вода date:-7d", "--shared", "--watch", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    listed = infopole("searches", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "Вода" in listed.stdout and "вода date:-7d" in listed.stdout and "medium" in listed.stdout
    ran = infopole("searches", "run", "Вода", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "найдено 0" in ran.stdout  # an empty index answers, it does not fail
    assert infopole("searches", "remove", "Вода", "--owner", "petrov", cwd=tmp_path).returncode == 1
    assert infopole("searches", "remove", "Вода", cwd=tmp_path).returncode == 0
    assert infopole("searches", "run", "Вода", cwd=tmp_path).returncode == 1
