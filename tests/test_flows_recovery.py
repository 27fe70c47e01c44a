"""The flows for real (Prefect's test harness) against the VK fake: kill -9 at each step, then a re-run,
reaches the same stored posts, analyses, index, cases and alerts as an uninterrupted run; dead letters,
backpressure, deployments, reports and metrics.

The crash is ``INFOPOLE_CRASH_AT=<step>:<n>`` (``flows.recovery.crash_point``): the flow's process
calls ``os._exit(9)`` right after the step committed ``n`` items, like ``kill -9`` (no ``finally``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawlers.fakes.vk_server import FakeVkServer, VkDataset
from index.base import IndexReport
from index.document import IndexDocument
from index.embedded import EmbeddedIndex
from infopole.runtime import quiet_third_parties

TOKEN = "flow-recovery-token"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[1]
SMALL_BATCHES = """
schedule:
  analyse_batch: 40
  index_batch: 40
  max_batches_per_run: 100
"""


@pytest.fixture(scope="module")
def harness() -> Iterator[str]:
    quiet_third_parties()
    from prefect.settings import PREFECT_API_URL, PREFECT_LOCAL_STORAGE_PATH, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        tempfile.TemporaryDirectory() as results,
        temporary_settings({PREFECT_LOCAL_STORAGE_PATH: Path(results)}),  # no cache from earlier sessions
        prefect_test_harness(server_startup_timeout=180),
    ):
        yield str(PREFECT_API_URL.value())


@pytest.fixture(scope="module")
def vk() -> Iterator[FakeVkServer]:
    with FakeVkServer(VkDataset.demo(now=NOW), tokens=[TOKEN]).start() as fake:
        yield fake


@pytest.fixture(scope="module")
def municipality_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    text = (resources.files("infopole.municipalities") / "kingisepp.yaml").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("muni") / "kingisepp.yaml"
    path.write_text(text + SMALL_BATCHES, encoding="utf-8")
    return str(path)


@pytest.fixture
def vk_env(vk: FakeVkServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "INFOPOLE_VK_API_URL": vk.url,
        "INFOPOLE_VK_TOKEN": TOKEN,
        "INFOPOLE_VK_REQUESTS_PER_SECOND": "100",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def snapshot(municipality_file: str, data_dir: Path) -> dict[str, Any]:
    """Everything a run leaves behind that must not depend on crashes."""
    from flows.pipeline import open_runtime
    from infopole.storage.tables import AlertRow, AnalysisRow, IncidentPostRow, IncidentRow, PostRow

    with open_runtime(municipality_file, str(data_dir)) as runtime:
        with runtime.db.session() as s:
            posts = {key: digest for key, digest in s.execute(select(PostRow.key, PostRow.content_hash))}
            analyses = {
                key: (digest, indexed)
                for key, digest, indexed in s.execute(
                    select(AnalysisRow.post_key, AnalysisRow.content_hash, AnalysisRow.indexed)
                )
            }
            members: dict[int, list[str]] = {}
            for case_id, key in s.execute(select(IncidentPostRow.incident_id, IncidentPostRow.post_key)):
                members.setdefault(case_id, []).append(key)
            cases = sorted(
                (row.block or "", row.department_id or "", row.status, tuple(sorted(members.get(row.id, []))))
                for row in s.scalars(select(IncidentRow))
            )
            alerts = sorted(s.scalars(select(AlertRow.key)))
        in_index = sorted(key for key in analyses if runtime.index.get(key) is not None)
        return {
            "posts": posts,
            "analyses": analyses,
            "cases": cases,
            "alerts": alerts,
            "index": in_index,
            "index_count": runtime.index.count(),
        }


def crash(flow: str, step: str, municipality_file: str, data_dir: Path, env: dict[str, str], api: str) -> int:
    """Run one flow in a child process that dies with ``os._exit(9)`` after ``step`` committed an item."""
    code = f"from flows.pipeline import {flow}; {flow}({municipality_file!r}, {str(data_dir)!r})"
    child_env = {**os.environ, **env, "PREFECT_API_URL": api, "INFOPOLE_CRASH_AT": f"{step}:1"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=child_env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 9, done.stderr[-3000:]
    return done.returncode


def test_a_flow_killed_at_each_step_and_run_again_ends_as_an_uninterrupted_run(
    harness: str, vk_env: dict[str, str], municipality_file: str, tmp_path: Path
) -> None:
    from flows import pipeline

    reference = tmp_path / "reference"
    first = pipeline.cycle_flow(municipality_file, str(reference))
    assert first["crawl"]["new"] > 100 and first["crawl"]["failed"] == {}
    assert first["indexed"] == first["analysed"] == first["crawl"]["new"]
    assert first["cases"]["opened"] > 0 and first["alerts"]["new"] > 0

    crashed = tmp_path / "crashed"
    for flow, step in (
        ("collect_flow", "collect"),
        ("analyse_flow", "analyse"),
        ("index_flow", "index"),
        ("cases_flow", "cases"),
        ("alerts_flow", "alerts"),
    ):
        crash(flow, step, municipality_file, crashed, vk_env, harness)
        getattr(pipeline, flow)(municipality_file, str(crashed))  # the re-run completes the work

    expected, got = snapshot(municipality_file, reference), snapshot(municipality_file, crashed)
    assert got["posts"] == expected["posts"]
    assert got["analyses"] == expected["analyses"]
    assert got["index"] == expected["index"] and got["index_count"] == expected["index_count"]
    assert got["cases"] == expected["cases"]
    assert got["alerts"] == expected["alerts"]

    again = pipeline.cycle_flow(municipality_file, str(crashed))  # and nothing is left to do
    assert (again["crawl"]["new"], again["analysed"], again["indexed"]) == (0, 0, 0)
    assert again["cases"] == {"opened": 0, "joined": 0, "answered": 0}
    assert again["alerts"]["new"] == 0
    assert snapshot(municipality_file, crashed) == got


class Poisoned:
    """The real analyzer, failing on posts whose text contains a marker (an analyzer bug on odd input)."""

    def __init__(self, analyzer: Any, marker: str) -> None:
        self.analyzer = analyzer
        self.marker = marker
        self.model_id = analyzer.model_id

    def map(self, posts: list[Any], spreads: Any = None, *, parents: Any = None) -> list[Any]:
        if any(self.marker in post.text for post in posts):
            raise ValueError("analyzer crashed on this text")
        return list(self.analyzer.map(posts, spreads, parents=parents))


def test_a_post_the_analyzer_fails_on_becomes_a_dead_letter_and_is_replayed(
    harness: str, vk_env: dict[str, str], municipality_file: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from flows import pipeline, recovery
    from infopole.cli import app
    from infopole.storage.deadletters import DeadLetterStore

    pipeline.collect_flow(municipality_file, str(tmp_path))
    with pipeline.open_runtime(municipality_file, str(tmp_path)) as runtime:
        pending = runtime.posts.posts_to_analyse(limit=10_000)
        poison = next(post for post in pending if len(post.text) > 40)
        analyzer = Poisoned(pipeline.analyzer_of(runtime), poison.text)
        letters = DeadLetterStore(runtime.db, max_attempts=2)

        first = recovery.analyse(runtime.posts, analyzer, letters, batch_size=40)
        assert (first.analysed, first.failed, first.dead) == (len(pending) - 1, 1, 0)
        assert [p.key for p in runtime.posts.posts_to_analyse()] == [poison.key]  # still pending, not lost
        second = recovery.analyse(runtime.posts, analyzer, letters, batch_size=40)
        assert (second.analysed, second.failed, second.dead) == (0, 1, 1)
        third = recovery.analyse(runtime.posts, analyzer, letters, batch_size=40)
        assert (third.analysed, third.failed) == (0, 0)  # dead: skipped, the step goes on
        [letter] = letters.list(dead_only=True)
        assert (letter.step, letter.item_key, letter.attempts) == ("analyse", poison.key, 2)
        assert "analyzer crashed" in letter.error

    runner = CliRunner()
    municipality = ["-m", municipality_file, "--data-dir", str(tmp_path)]
    listed = runner.invoke(app, ["deadletters", "list", *municipality])
    assert listed.exit_code == 0 and "Отложено: 1" in listed.output
    replayed = runner.invoke(app, ["deadletters", "replay", "--step", "analyse", *municipality])
    assert replayed.exit_code == 0 and "replayed: 1" in replayed.output

    with pipeline.open_runtime(municipality_file, str(tmp_path)) as runtime:  # the analyzer was fixed
        fixed = recovery.analyse(runtime.posts, pipeline.analyzer_of(runtime), DeadLetterStore(runtime.db))
        assert (fixed.analysed, fixed.failed) == (1, 0)
        assert DeadLetterStore(runtime.db).list() == []


class SlowIndex(EmbeddedIndex):
    """The real embedded index, slowed down, counting documents per upsert call."""

    calls: list[int]

    def upsert(self, documents: Iterable[IndexDocument]) -> IndexReport:
        batch = list(documents)
        self.calls.append(len(batch))
        time.sleep(0.2)
        return super().upsert(batch)


def test_a_slow_index_gets_bounded_runs_and_analysis_waits_for_it(
    harness: str, vk_env: dict[str, str], municipality_file: str, tmp_path: Path
) -> None:
    from flows import pipeline, recovery
    from infopole.storage.deadletters import DeadLetterStore
    from infopole.storage.queues import pending_index_count, queue_sizes

    pipeline.collect_flow(municipality_file, str(tmp_path))
    with pipeline.open_runtime(municipality_file, str(tmp_path)) as runtime:
        letters = DeadLetterStore(runtime.db)
        total = queue_sizes(runtime.db).pending_analyse
        analysed = recovery.analyse(
            runtime.posts,
            pipeline.analyzer_of(runtime),
            letters,
            batch_size=30,
            backlog_max=60,
            pending_index=lambda: pending_index_count(runtime.db),
        )
        assert analysed.paused_for_index and analysed.analysed == 60  # stops once 60 wait for the index
        slow = SlowIndex(tmp_path / "slow.sqlite3", tz=runtime.municipality.tz)
        slow.calls = []
        run = recovery.index(
            runtime.posts,
            slow,
            runtime.municipality,
            letters,
            batch_size=25,
            max_batches=2,
        )
        assert run.indexed == 50 and slow.calls == [25, 25]  # bounded: the rest waits, nothing is lost
        sizes = queue_sizes(runtime.db)
        assert (sizes.pending_index, sizes.pending_analyse) == (10, total - 60)


def test_deployments_follow_the_municipality_schedule(municipality_file: str, tmp_path: Path) -> None:
    from flows.serve import concurrency_limits, deployments
    from infopole.config.municipality import load_municipality
    from infopole.config.settings import Settings

    plan = {d.name: d for d in deployments(municipality_file, str(tmp_path))}
    assert set(plan) == {
        f"kingisepp-{name}"
        for name in (
            "collect", "analyse", "index", "cases", "alerts", "health",
            "weekly-report", "quarterly-report", "reindex", "discover",
        )
    }  # fmt: skip
    weekly = (plan["kingisepp-weekly-report"].schedules or [])[0].schedule
    assert (weekly.cron, weekly.timezone) == ("0 8 * * 1", "Europe/Moscow")  # type: ignore[union-attr]
    discover = (plan["kingisepp-discover"].schedules or [])[0].schedule
    assert (discover.cron, discover.timezone) == ("0 6 * * 1", "Europe/Moscow")  # type: ignore[union-attr]
    collect = (plan["kingisepp-collect"].schedules or [])[0].schedule
    assert collect.interval.total_seconds() == 600  # type: ignore[union-attr]
    assert plan["kingisepp-reindex"].schedules == []
    assert plan["kingisepp-analyse"].concurrency_limit == 1
    limits = concurrency_limits(load_municipality(Path(municipality_file)), Settings(vk_token=TOKEN))
    assert limits["infopole-kingisepp-platform-vk"] == 2
    assert [slots for name, slots in limits.items() if name.startswith("infopole-token-vk-")] == [1]
    assert TOKEN not in "".join(limits)


def test_weekly_report_and_metrics_after_a_cycle(
    harness: str, vk_env: dict[str, str], municipality_file: str, tmp_path: Path
) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from flows import pipeline
    from flows.metrics import render

    pipeline.cycle_flow(municipality_file, str(tmp_path))
    monday = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 08:00 in Moscow
    [path] = pipeline.reports_flow(municipality_file, str(tmp_path), "weekly", monday)[:1]
    assert Path(path).exists() and Path(path).stat().st_size > 0
    written = Path(path).stat().st_mtime_ns
    assert pipeline.reports_flow(municipality_file, str(tmp_path), "weekly", monday)[0] == path
    assert Path(path).stat().st_mtime_ns == written  # cached by (kind, municipality, day): not redone
    Path(path).unlink()
    assert pipeline.reports_flow(municipality_file, str(tmp_path), "weekly", monday)[0] == path
    assert Path(path).exists()  # a report deleted since is written again, not answered from the cache

    with pipeline.open_runtime(municipality_file, str(tmp_path)) as runtime:
        families = {f.name: f for f in text_string_to_metric_families(render(runtime).decode())}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples
    }
    assert samples[("infopole_queue_size", (("queue", "analyse"),))] == 0
    assert samples[("infopole_queue_size", (("queue", "index"),))] == 0
    collected = {
        dict(k[1])["source"]: v for k, v in samples.items() if k[0] == "infopole_posts_collected_total"
    }
    indexed = {dict(k[1])["source"]: v for k, v in samples.items() if k[0] == "infopole_posts_indexed_total"}
    stored = {dict(k[1])["source"]: v for k, v in samples.items() if k[0] == "infopole_posts_stored"}
    assert len(collected) == 6 and sum(collected.values()) == sum(stored.values()) > 100  # each post new once
    assert sum(indexed.values()) > 100
    assert samples[("infopole_publication_to_index_seconds_count", ())] == sum(indexed.values())
    assert samples[("infopole_cases_open", ())] > 0


def test_health_flow_reports_the_installation(
    harness: str, vk_env: dict[str, str], municipality_file: str, tmp_path: Path
) -> None:
    from flows import pipeline

    pipeline.collect_flow(municipality_file, str(tmp_path))
    report = pipeline.health_flow(municipality_file, str(tmp_path))
    assert report["fatal"] == [] and report["pending_analyse"] > 100
    assert report["sources"] and "failing" not in report["sources"].values()


class NewModel:
    """The real analyzer under a new model id, as after a model update."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer
        self.model_id = "infopole-nlp/test-update"

    def map(self, posts: list[Any], spreads: Any = None, *, parents: Any = None) -> list[Any]:
        analyses = self.analyzer.map(posts, spreads, parents=parents)
        return [replace(a, model_id=self.model_id) for a in analyses]


def test_reanalysis_after_a_model_update_keeps_the_live_index_as_it_is(
    harness: str, vk_env: dict[str, str], municipality_file: str, tmp_path: Path
) -> None:
    from flows import pipeline
    from flows.reindex import reanalyse
    from infopole.storage.queues import queue_sizes, stale_analyses

    pipeline.cycle_flow(municipality_file, str(tmp_path))
    with pipeline.open_runtime(municipality_file, str(tmp_path)) as runtime:
        model = NewModel(pipeline.analyzer_of(runtime))
        stale = stale_analyses(runtime.db, model.model_id, limit=10_000)
        assert len(stale) > 100
        done, failed = reanalyse(runtime, model, model.model_id, batch_size=40)
        assert (done, failed) == (len(stale), 0)
        assert stale_analyses(runtime.db, model.model_id) == []
        assert queue_sizes(runtime.db).pending_index == 0  # the live index is not rewritten post by post
        assert reanalyse(runtime, model, model.model_id) == (0, 0)  # resumable: nothing left
