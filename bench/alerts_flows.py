"""``bench.alerts --flows``: the latency through the real Prefect flows on their real schedule.

Instead of the benchmark's own chain, the deployments' flow functions run on Prefect's local test
server (``prefect_test_harness``) with the global concurrency limits of ``flows.serve``: ``collect``
every ``--interval`` seconds as its deployment runs it (``downstream`` from the schedule, so a run
that stored posts chains analyse → index → cases → alerts), and the catch-up flows analyse, index,
cases and alerts each on its own interval, in the schedule's proportions (by default collect 10 min,
analyse/index/alerts 5, cases 10: at ``--interval 600`` exactly the default schedule). Every flow runs
in its own thread, as separate deployments run side by side.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from infopole.config.municipality import Municipality, load_municipality


def municipality_file(base: Path, folder: Path, wall: tuple[str, str], recipient: dict[str, Any]) -> Path:
    """The municipality file with only the benchmark's wall collected, one куратор, no throttle of
    updates and no quiet hours (the run's local hour must not matter)."""
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    for source in data.get("sources", []):
        source["enabled"] = False  # official pages still refer to them
    source_id, owner = wall
    data["sources"].append({"id": source_id, "kind": "vk_wall", "title": "Подслушано", "target": owner})
    data["recipients"] = [recipient]
    alerts = data.setdefault("alerts", {})
    alerts["throttle_minutes"] = 0
    alerts["quiet_hours"] = {"enabled": False}
    path = folder / "municipality.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@contextmanager
def prefect_server(municipality: Municipality) -> Iterator[None]:
    """Prefect's local test server with the limits the deployments take slots from."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.serve import ensure_limits
    from infopole.config.settings import Settings

    with prefect_test_harness(server_startup_timeout=180):
        ensure_limits(municipality, Settings())
        yield


def schedule(
    municipality_path: Path, data_dir: Path, interval: float, *, chain: bool = True
) -> dict[str, tuple[Callable[[], Any], float]]:
    """Flow name → (the deployment's call, its period in seconds), collect at ``interval``; without
    ``chain`` the collect runs as before ``schedule.collect_downstream`` (for comparison)."""
    from flows import pipeline

    plan = load_municipality(municipality_path).schedule
    downstream = plan.collect_downstream and chain
    scale = interval / plan.collect_minutes
    args = (str(municipality_path), str(data_dir))
    every: dict[str, tuple[Callable[[], Any], float]] = {
        "collect": (lambda: pipeline.collect_flow(*args, downstream=downstream), interval)
    }
    for name, flow, minutes in (
        ("analyse", pipeline.analyse_flow, plan.analyse_minutes),
        ("index", pipeline.index_flow, plan.index_minutes),
        ("cases", pipeline.cases_flow, plan.cases_minutes),
        ("alerts", pipeline.alerts_flow, plan.alerts_minutes),
    ):
        if minutes:
            every[name] = (lambda flow=flow: flow(*args), minutes * scale)
    return every


def environment(smtp_port: int, telegram_url: str, bot_token: str, database_url: str) -> None:
    """What ``open_runtime`` reads from the environment, as a deployment's worker would have it."""
    os.environ.update(
        {
            "INFOPOLE_SMTP_HOST": "127.0.0.1",
            "INFOPOLE_SMTP_PORT": str(smtp_port),
            "INFOPOLE_TELEGRAM_BOT_API_URL": telegram_url,
            "INFOPOLE_TELEGRAM_BOT_TOKEN": bot_token,
            "INFOPOLE_DATABASE_URL": database_url,
        }
    )


def start(
    every: dict[str, tuple[Callable[[], Any], float]],
    stop: threading.Event,
    run_schedule: Callable[[Callable[[], None], float, threading.Event, Any], None],
    logs: dict[str, Any],
) -> list[threading.Thread]:
    """One fixed-rate schedule per flow, each in its own thread; a failing run is logged, not fatal."""
    threads = []
    for name, (call, period) in every.items():
        log = logs[name]

        def cycle(call: Callable[[], Any] = call, name: str = name, log: Any = log) -> None:
            try:
                call()
            except Exception as error:  # a failed flow run: Prefect records it, the schedule goes on
                log.errors.append(f"{name}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")

        thread = threading.Thread(target=run_schedule, args=(cycle, period, stop, log), daemon=True)
        threads.append(thread)
    for thread in threads:
        thread.start()
    return threads
