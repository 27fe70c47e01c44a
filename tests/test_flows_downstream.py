"""One collect flow run, and no other flow, takes a new alerting post all the way to the куратор's
mailbox: the collect run chains analyse → index → cases → alerts (``downstream``), so an alert waits
one polling interval rather than the sum of the steps' schedules. Prefect's test harness, the VK
fake and a real local SMTP server."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from crawlers.fakes.vk_server import FakeVkServer, VkDataset
from infopole.alerts.fakes.smtp import LocalSmtp
from infopole.runtime import quiet_third_parties

TOKEN = "flow-downstream-token"
WALL = -100003  # «Подслушано» of the municipality file
TAG = "#срочно7319"


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    quiet_third_parties()
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        tempfile.TemporaryDirectory() as results,
        temporary_settings({PREFECT_LOCAL_STORAGE_PATH: Path(results)}),
        prefect_test_harness(server_startup_timeout=180),
    ):
        yield


def municipality_with_curator(folder: Path) -> str:
    """The demo municipality with one куратор by e-mail, no quiet hours (the test runs any hour)."""
    text = (resources.files("infopole.municipalities") / "kingisepp.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["recipients"] = [
        {
            "position": "Заместитель главы (тест)",
            "role": "curator",
            "email": "kurator@test.example",
            "min_severity": "low",
        }
    ]
    data.setdefault("alerts", {})["quiet_hours"] = {"enabled": False}
    path = folder / "kingisepp.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_one_collect_run_delivers_a_new_alerting_post(
    harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pipeline import collect_flow, open_runtime
    from infopole.storage.tables import AlertDeliveryRow

    municipality = municipality_with_curator(tmp_path)
    data_dir = str(tmp_path / "data")
    dataset = VkDataset.demo(now=datetime.now(UTC))
    with FakeVkServer(dataset, tokens=[TOKEN]).start() as vk, LocalSmtp() as smtp:
        for name, value in {
            "INFOPOLE_VK_API_URL": vk.url,
            "INFOPOLE_VK_TOKEN": TOKEN,
            "INFOPOLE_VK_REQUESTS_PER_SECOND": "100",
            "INFOPOLE_SMTP_HOST": "127.0.0.1",
            "INFOPOLE_SMTP_PORT": str(smtp.port),
        }.items():
            monkeypatch.setenv(name, value)
        history = collect_flow(municipality, data_dir, downstream=True)  # the history, then a new post
        assert history["new"] > 100 and history["downstream"]["analyse"]["analysed"] == history["new"]

        text = (
            f"{TAG} Пожар в подвале пятиэтажки на улице Садовой, дым идёт по всем подъездам, жильцов выводят"
        )
        dataset.add_post(WALL, text, date=int(time.time()), views=1200)
        run = collect_flow(municipality, data_dir, downstream=True)
        assert run["new"] == 1
        assert run["downstream"]["analyse"]["analysed"] == 1
        assert run["downstream"]["index"]["indexed"] == 1
        assert run["downstream"]["alerts"]["new"] >= 1 and run["downstream"]["alerts"]["sent"] >= 1
        mails = [item for item in smtp.mailbox if TAG in item.text]
        assert len(mails) == 1  # delivered, once

        with open_runtime(municipality, data_dir) as runtime, runtime.db.session() as session:
            statuses = set(session.scalars(select(AlertDeliveryRow.status)))
        assert "pending" not in statuses and "sending" not in statuses  # the outbox is empty

        again = collect_flow(municipality, data_dir, downstream=True)  # nothing new: no chain
        assert again["new"] == 0 and "downstream" not in again
    assert len([item for item in smtp.mailbox if TAG in item.text]) == 1


def test_the_collect_deployment_chains_unless_the_schedule_says_otherwise(tmp_path: Path) -> None:
    from flows.serve import deployments

    municipality = municipality_with_curator(tmp_path)
    [collect] = [d for d in deployments(municipality, str(tmp_path)) if d.name.endswith("-collect")]
    assert collect.parameters["downstream"] is True
    off = Path(municipality)
    off.write_text(
        off.read_text(encoding="utf-8") + "schedule:\n  collect_downstream: false\n", encoding="utf-8"
    )
    [collect] = [d for d in deployments(municipality, str(tmp_path)) if d.name.endswith("-collect")]
    assert collect.parameters["downstream"] is False
