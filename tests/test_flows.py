"""The Prefect cycle flow for real (Prefect's test harness) against the VK fake: a re-run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from crawlers.fakes.vk_server import FakeVkServer, VkDataset
from infopole.runtime import quiet_third_parties

TOKEN = "flow-test-token"


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    quiet_third_parties()
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_cycle_flow_runs_and_a_rerun_changes_nothing(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pipeline import cycle_flow

    municipality = str(resources.files("infopole.municipalities") / "kingisepp.yaml")
    dataset = VkDataset.demo(now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with FakeVkServer(dataset, tokens=[TOKEN]).start() as fake:
        monkeypatch.setenv("INFOPOLE_VK_API_URL", fake.url)
        monkeypatch.setenv("INFOPOLE_VK_TOKEN", TOKEN)
        monkeypatch.setenv("INFOPOLE_VK_REQUESTS_PER_SECOND", "50")
        first = cycle_flow(municipality, str(tmp_path))
        second = cycle_flow(municipality, str(tmp_path))
    assert first["crawl"]["new"] > 100 and first["crawl"]["failed"] == {}
    assert first["analysed"] == first["crawl"]["new"]
    assert first["indexed"] == first["analysed"]
    assert first["cases"]["opened"] > 0
    assert second["crawl"]["new"] == 0
    assert (second["analysed"], second["indexed"]) == (0, 0)
    assert second["cases"] == {"opened": 0, "joined": 0, "answered": 0}
    assert first["alerts"]["new"] > 0  # the demo field has a fire and a protest call
    assert second["alerts"] == {"new": 0, "sent": 0}
