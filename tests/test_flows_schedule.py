"""Prefect's own scheduler creates the runs of our deployments: a real ``prefect server start`` (its
services on, SQLite, as ``infopole run`` starts it), the municipality's deployments registered, and
within seconds every deployment with a schedule has its upcoming runs, once per scheduled time, and
the unscheduled ``reindex`` none. (Prefect 3.8.8's scheduler failed under SQLAlchemy 2.1; the pin to
2.0 is what this test guards.)"""

from __future__ import annotations

import socket
import time
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import cast
from uuid import UUID

from infopole.config.municipality import load_municipality
from infopole.runtime import quiet_third_parties

WAIT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_server_creates_the_scheduled_runs_of_our_deployments(tmp_path: Path) -> None:
    quiet_third_parties()
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.serve import deployments
    from flows.server import local_server

    municipality_file = str(resources.files("infopole.municipalities") / "kingisepp.yaml")
    home = tmp_path / "prefect"
    with (
        local_server(home, port=free_port()) as api,
        temporary_settings(updates={PREFECT_API_URL: api}),
    ):
        ids = {d.name: cast(UUID, d.apply()) for d in deployments(municipality_file, str(tmp_path / "var"))}
        scheduled = {name for name in ids if not name.endswith("-reindex")}
        deadline = time.monotonic() + WAIT_S
        with get_client(sync_client=True) as client:
            while True:
                runs = client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=list(ids.values()))),
                    sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                    limit=200,
                )
                by_deployment = Counter(run.deployment_id for run in runs)
                if all(by_deployment[ids[name]] > 0 for name in scheduled) or time.monotonic() > deadline:
                    break
                time.sleep(1)
    log = (home / "server.log").read_text(errors="replace")

    missing = [name for name in scheduled if by_deployment[ids[name]] == 0]
    assert not missing, (missing, log[-3000:])
    assert by_deployment[ids["kingisepp-reindex"]] == 0  # started by hand only
    assert all(run.state is not None and run.state.is_scheduled() for run in runs)
    times = Counter((run.deployment_id, run.expected_start_time) for run in runs)
    assert max(times.values()) == 1  # one run per deployment and scheduled time
    weekly = [run for run in runs if run.deployment_id == ids["kingisepp-weekly-report"]]
    tz = load_municipality(Path(municipality_file)).tz
    local = [run.expected_start_time.astimezone(tz) for run in weekly if run.expected_start_time]
    assert local and all((t.weekday(), t.hour, t.minute) == (0, 8, 0) for t in local)  # Monday 08:00 local
    assert "Can't evaluate bulk DML" not in log and "Error scheduling" not in log
