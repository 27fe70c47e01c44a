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


def test_discover_flow_stores_candidates_once_and_keeps_decisions(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pipeline import discover_flow
    from flows.serve import deployments
    from infopole.domain.candidate import CandidateStatus
    from infopole.storage.candidates import CandidateStore
    from infopole.storage.db import Database

    municipality = str(resources.files("infopole.municipalities") / "kingisepp.yaml")
    with FakeVkServer(VkDataset.demo(), tokens=[TOKEN]).start() as fake:
        monkeypatch.setenv("INFOPOLE_VK_API_URL", fake.url)
        monkeypatch.setenv("INFOPOLE_VK_TOKEN", TOKEN)
        monkeypatch.setenv("INFOPOLE_VK_REQUESTS_PER_SECOND", "50")
        monkeypatch.delenv("INFOPOLE_OK_ACCESS_TOKEN", raising=False)
        first = discover_flow(municipality, str(tmp_path), platforms=["vk", "ok"])
        db = Database(f"sqlite:///{tmp_path / 'infopole.db'}")
        try:
            store = CandidateStore(db)
            stored = {c.target: c for c in store.list()}
            assert {"-100005", "-100006"} <= set(stored)  # Усть-Луга сегодня and a neighbour's group
            rejected = stored["-100006"]
            assert rejected.id is not None
            store.decide(rejected.id, CandidateStatus.REJECTED, rejected.first_seen_at or datetime.now(UTC))
            second = discover_flow(municipality, str(tmp_path), platforms=["vk", "ok"])
            again = {c.target: c for c in store.list()}
        finally:
            db.close()
    assert first["found"] == len(stored) >= 3 and first["new"] == first["found"]
    assert first["skipped"] == {"ok": "нет учётных данных"}  # no OK credentials: said, not failed
    assert (second["new"], second["updated"]) == (0, first["found"])  # a re-run adds nothing
    assert set(again) == set(stored) and again["-100006"].status is CandidateStatus.REJECTED
    assert all(c.status is CandidateStatus.NEW for t, c in again.items() if t != "-100006")

    schedule = {d.name: d for d in deployments(municipality, str(tmp_path))}["kingisepp-discover"]
    assert schedule.schedules and schedule.parameters == {
        "municipality_file": municipality,
        "data_dir": str(tmp_path),
    }
