"""``/metrics`` on the dashboard: absent unless a token is set, then only for ``Bearer <token>``.

The app is the real one (``create_app``) over a real SQLite database; Prometheus's own parser reads
the answer, and the figures are the ones put in the database here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from dashboards.app import create_app
from infopole.config.municipality import Role
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post
from infopole.domain.user import User
from infopole.runtime import Runtime
from infopole.storage.users import UserStore

TOKEN = "s3cr3t-metrics-token-for-the-test"
MUNICIPALITY = Path(str(resources.files("infopole.municipalities") / "kingisepp.yaml"))


def _runtime(data_dir: Path, token: str | None) -> Runtime:
    return Runtime(Settings(municipality_file=MUNICIPALITY, data_dir=data_dir, metrics_token=token))


@pytest.fixture
def with_token(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    runtime = _runtime(tmp_path, TOKEN)
    now = datetime.now(UTC) - timedelta(minutes=5)
    posts = [
        Post(platform=Platform.VK, owner_id="-1", post_id=str(n), text=f"нет света {n}", published_at=now,
             source_id="vk-adm-kingisepp")
        for n in range(4)
    ]  # fmt: skip
    runtime.posts.save_batch(posts, [], now, source_id="vk-adm-kingisepp", cursor={"version": 1})
    try:
        yield TestClient(create_app(runtime)), runtime
    finally:
        runtime.close()


def test_metrics_answer_only_the_configured_bearer_token(with_token: tuple[TestClient, Runtime]) -> None:
    client, _ = with_token
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": "Basic x"},
    ):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "infopole_" not in refused.text
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-store"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }
    assert samples[("infopole_posts_stored", (("source", "vk-adm-kingisepp"),))] == 4
    assert samples[("infopole_queue_size", (("queue", "analyse"),))] == 4
    assert samples[("infopole_cases_open", ())] == 0


def test_a_signed_in_session_is_no_key_to_metrics(with_token: tuple[TestClient, Runtime]) -> None:
    """Scrapers use the token; a browser session (even the administrator's) does not open it."""
    client, runtime = with_token
    UserStore(runtime.db).add(
        User("admin1", "Админ", Role.ADMINISTRATOR), "admin-pass-123", datetime.now(UTC)
    )
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    signed = client.post("/login", data={"login": "admin1", "password": "admin-pass-123", "csrf": csrf})
    assert signed.status_code == 200 and client.get("/admin").status_code == 200  # followed the 303
    assert client.get("/metrics").status_code == 401


def test_without_a_token_there_is_no_metrics_route(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, None)
    try:
        client = TestClient(create_app(runtime))
        assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
    finally:
        runtime.close()
