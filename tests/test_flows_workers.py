"""The scaled-out setup of docs/flows.md, for real: one Prefect server on PostgreSQL (asyncpg), a process
work pool, two ``prefect worker`` processes, Infopole's own database on PostgreSQL too. A backlog of flow
runs (one collect run per source, then analyse, index and cases runs) is processed with no duplicates:
every run completes once, both workers take part, each post is new once, analysed once, linked to one
case at most, and the one-at-a-time steps never overlap."""

from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from fixtures.services import fresh_database
from sqlalchemy.engine import make_url

from crawlers.fakes.vk_server import FakeVkServer, VkDataset
from infopole.runtime import quiet_third_parties

pytestmark = pytest.mark.postgres

TOKEN = "two-workers-token"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POOL = "infopole-test"
NO_SCHEDULES = """
schedule:
  collect_minutes: 0
  analyse_minutes: 0
  index_minutes: 0
  cases_minutes: 0
  alerts_minutes: 0
  health_minutes: 0
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    with fresh_database(postgres_url) as prefect_db, fresh_database(postgres_url) as infopole_db:
        asyncpg = (
            make_url(prefect_db).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
        )
        yield asyncpg, infopole_db


def test_two_workers_process_a_backlog_with_no_duplicates(databases: tuple[str, str], tmp_path: Path) -> None:
    quiet_third_parties()
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.serve import deploy_to_pool
    from flows.server import local_server, prefect_env
    from infopole.storage.db import Database
    from infopole.storage.tables import AnalysisRow, IncidentPostRow, PostRow, SourceState

    prefect_db, infopole_db = databases
    municipality_file = tmp_path / "kingisepp.yaml"
    text = (resources.files("infopole.municipalities") / "kingisepp.yaml").read_text(encoding="utf-8")
    municipality_file.write_text(text + NO_SCHEDULES, encoding="utf-8")
    data_dir = tmp_path / "var"
    Database(infopole_db).close()  # migrate once, before any worker starts (docs/flows.md)

    with (
        FakeVkServer(VkDataset.demo(now=NOW), tokens=[TOKEN]).start() as vk,
        local_server(tmp_path / "prefect", port=free_port(), database_url=prefect_db) as api,
        temporary_settings(updates={PREFECT_API_URL: api}),
    ):
        env = prefect_env(tmp_path / "prefect", api_url=api)
        env.update(
            {
                "INFOPOLE_DATABASE_URL": infopole_db,
                "INFOPOLE_VK_API_URL": vk.url,
                "INFOPOLE_VK_TOKEN": TOKEN,
                "INFOPOLE_VK_REQUESTS_PER_SECOND": "100",
                "PREFECT_WORKER_QUERY_SECONDS": "1",
                "PREFECT_WORKER_PREFETCH_SECONDS": "1",
            }
        )
        prefect = [sys.executable, "-m", "prefect"]
        subprocess.run([*prefect, "work-pool", "create", POOL, "--type", "process"], env=env, check=True)
        os.environ.update({k: env[k] for k in ("INFOPOLE_DATABASE_URL", "INFOPOLE_VK_TOKEN")})
        try:
            ids = deploy_to_pool(str(municipality_file), str(data_dir), POOL)
        finally:
            for name in ("INFOPOLE_DATABASE_URL", "INFOPOLE_VK_TOKEN"):
                os.environ.pop(name, None)
        logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
        workers = [
            subprocess.Popen(
                [*prefect, "worker", "start", "--pool", POOL, "--name", f"worker-{n}", "--limit", "2"],
                env=env,
                stdout=open(log, "wb"),  # noqa: SIM115 - the child owns it
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for n, log in zip((1, 2), logs, strict=True)
        ]
        try:
            with get_client(sync_client=True) as client:
                sources = _enabled_sources(municipality_file)
                collect = [
                    client.create_flow_run_from_deployment(
                        UUID(ids["kingisepp-collect"]), parameters={"sources": [s]}
                    )
                    for s in sources
                ]
                _wait(client, [run.id for run in collect])
                later = [
                    client.create_flow_run_from_deployment(UUID(ids[f"kingisepp-{step}"]))
                    for step in ("analyse", "analyse", "index", "index", "cases", "cases")
                ]
                runs = _wait(client, [run.id for run in later])
                singles: dict[str, list[Any]] = {}
                for run in runs:
                    singles.setdefault(str(run.deployment_id), []).append(run)
                all_runs = [client.read_flow_run(run.id) for run in collect]
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    # a loaded machine can keep a worker in its graceful shutdown for long; what this
                    # test checks is the work done above, so the worker's process group is killed
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(timeout=30)

    assert len(all_runs) == len(sources) and all(r.state and r.state.is_completed() for r in all_runs)
    assert all(r.run_count == 1 for r in [*all_runs, *runs])  # each run executed once, by one worker
    taken = [_taken(log.read_text(errors="replace")) for log in logs]
    assert taken[0] and taken[1], taken  # both workers took part, and every run was claimed exactly once
    assert sorted(taken[0] + taken[1]) == sorted(str(r.id) for r in [*all_runs, *runs])
    for same_step in singles.values():  # analyse, index, cases: one at a time across both workers
        spans = sorted((r.start_time, r.end_time) for r in same_step)
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))

    engine = sa.create_engine(infopole_db)
    with engine.connect() as db:
        posts = db.scalar(sa.select(sa.func.count()).select_from(PostRow))
        new_counted = db.scalar(sa.select(sa.func.sum(SourceState.items_total)))
        analysed = db.scalar(sa.select(sa.func.count()).select_from(AnalysisRow))
        indexed = db.scalar(sa.select(sa.func.count()).select_from(AnalysisRow).where(AnalysisRow.indexed))
        linked = db.execute(sa.select(IncidentPostRow.post_key)).scalars().all()
    engine.dispose()
    assert posts is not None and posts > 100 and new_counted == posts  # no post was new twice
    assert analysed == indexed == posts
    assert linked and len(linked) == len(set(linked))


def _taken(log: str) -> list[str]:
    """Runs a worker claimed, once per claim. A worker proposes Pending for each run it submits; the
    server refuses when another worker won or the deployment's runs wait their turn (the worker logs an
    aborted submission and may submit the run again later)."""
    events = re.findall(r"(submitting|Aborted submission of) flow run '([0-9a-f-]{36})'", log)
    claims: list[str] = []
    pending: dict[str, int] = {}
    for event, run_id in events:
        if event == "submitting":
            pending[run_id] = pending.get(run_id, 0) + 1
        elif pending.get(run_id):
            pending[run_id] -= 1
    for run_id, count in pending.items():
        claims += [run_id] * count
    return claims


def _enabled_sources(path: Path) -> list[str]:
    from infopole.config.municipality import load_municipality

    return [s.id for s in load_municipality(path).sources if s.enabled]


def _wait(client: Any, run_ids: list[Any], timeout: float = 300) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = [client.read_flow_run(run_id) for run_id in run_ids]
        if all(run.state is not None and run.state.is_final() for run in runs):
            bad = [
                (run.name, run.state.name, run.state.message) for run in runs if not run.state.is_completed()
            ]
            assert not bad, bad
            return runs
        time.sleep(1)
    raise AssertionError(f"flow runs not finished in {timeout} s")
