"""A Prefect server for one machine: ``prefect server start`` as a child process.

Prefect keeps its own database (flow runs, schedules, logs) apart from Infopole's: SQLite in
``<data_dir>/prefect`` by default, or PostgreSQL when ``database_url`` is given
(``postgresql+asyncpg://…``: Prefect's server is async). The UI is at the printed address.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARTUP_TIMEOUT_S = 180


def prefect_env(home: Path, *, api_url: str | None = None, database_url: str | None = None) -> dict[str, str]:
    """The environment of a Prefect process of this installation: its home, no telemetry."""
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": env.get("PREFECT_UI_ENABLED", "true"),
        }
    )
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    if database_url is not None:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    return env


@contextmanager
def local_server(
    home: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 4200,
    database_url: str | None = None,
    log_file: Path | None = None,
) -> Iterator[str]:
    """Start a Prefect server, wait until it answers, yield its API URL, stop it on exit."""
    home.mkdir(parents=True, exist_ok=True)
    log = open(log_file or home / "server.log", "ab")  # noqa: SIM115 - closed in finally
    env = prefect_env(home, database_url=database_url)
    env.pop("PREFECT_API_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://{host}:{port}/api"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_healthy(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Prefect server exited with code {process.returncode}; see server.log")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise RuntimeError(f"Prefect server at {url} did not answer in {STARTUP_TIMEOUT_S} s")
