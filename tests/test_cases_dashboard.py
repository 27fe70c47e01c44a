"""The queue and ratings pages show what the cases step found: officials' ratings next to the
departments', the export, an escalation and an answer nobody could find on the platform.

The app is the real one (``create_app``) over a real SQLite database, signed in as the МЦУ head.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from dashboards.app import create_app
from infopole.config.municipality import Role
from infopole.config.settings import Settings
from infopole.domain.user import User
from infopole.incidents.answer_checks import check_answers
from infopole.incidents.cases import new_case
from infopole.incidents.export import RATING_COLUMNS
from infopole.incidents.replies import official_authors
from infopole.runtime import Runtime
from infopole.storage.escalations import escalate_overdue
from infopole.storage.reply_checks import ReplyCheckStore
from infopole.storage.users import UserStore

MUNICIPALITY = Path(str(resources.files("infopole.municipalities") / "kingisepp.yaml"))
OPENED = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 10:00 in Moscow
NOW = OPENED + timedelta(days=3)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, int]]]:
    runtime = Runtime(Settings(municipality_file=MUNICIPALITY, data_dir=tmp_path))
    m, store = runtime.municipality, runtime.incidents
    block = m.departments[0].blocks[0]
    ids = {}
    for name in ("answered", "silent"):
        case = new_case(title=f"Обращение {name}", block=block, settlement=None, municipality=m, now=OPENED)
        ids[name] = store.add(case, OPENED, municipality=m).id or 0
    store.change(
        ids["answered"],
        lambda c: c.answer("Сделано", OPENED + timedelta(hours=1), "ivanova", link="https://vk.com/wall-1_2"),
        municipality=m,
        now=OPENED + timedelta(hours=1),
        actor="ivanova",
    )
    check_answers(ReplyCheckStore(runtime.db), store, m, official_authors(m, "salt"), NOW)
    escalate_overdue(store, m, NOW)
    UserStore(runtime.db).add(User("head1", "Руководитель", Role.HEAD), "head-pass-123", NOW)
    client = TestClient(create_app(runtime, clock=lambda: NOW))
    csrf = client.get("/login").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    signed = client.post("/login", data={"login": "head1", "password": "head-pass-123", "csrf": csrf})
    assert signed.status_code == 200
    try:
        yield client, ids
    finally:
        runtime.close()


def test_ratings_page_has_officials_and_exports_them(app: tuple[TestClient, dict[str, int]]) -> None:
    client, _ = app
    page = client.get("/ratings", params={"days": 30})
    assert page.status_code == 200
    officials = page.text.split('id="official-ratings"', 1)[1].split("</table>", 1)[0]
    assert "ivanova" in officials and "ответил" in officials and "ответственный" in officials
    xlsx = client.get("/ratings/export.xlsx", params={"days": 30})
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0] == RATING_COLUMNS and ("ivanova", "ответил") in {(r[1], r[2]) for r in rows[1:]}
    assert client.get("/ratings/export.pdf").status_code == 404


def test_queue_flags_an_unverified_answer_and_shows_the_escalation(
    app: tuple[TestClient, dict[str, int]],
) -> None:
    client, ids = app
    queue = client.get("/cases", params={"status": ""})
    assert queue.status_code == 200
    rows = {
        case_id: queue.text.split(f'href="/cases/{case_id}"', 1)[1].split("</tr>", 1)[0]
        for case_id in ids.values()
    }
    assert "ответ не найден" in rows[ids["answered"]] and "ответ не найден" not in rows[ids["silent"]]
    assert "эскалировано" in rows[ids["silent"]] and "эскалировано" not in rows[ids["answered"]]
