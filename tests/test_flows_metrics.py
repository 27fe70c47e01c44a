"""``/metrics`` as the dashboard mounts it: Prometheus text format, read from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from flows.metrics import metrics_router
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post
from infopole.runtime import Runtime
from infopole.storage.deadletters import DeadLetterStore


def test_the_router_serves_queue_sizes_sources_and_dead_letters(tmp_path: Path) -> None:
    municipality = Path(str(resources.files("infopole.municipalities") / "kingisepp.yaml"))
    runtime = Runtime(Settings(municipality_file=municipality, data_dir=tmp_path))
    now = datetime.now(UTC) - timedelta(hours=1)
    posts = [
        Post(platform=Platform.VK, owner_id="-1", post_id=str(n), text=f"нет воды {n}", published_at=now,
             source_id="vk-adm-kingisepp")
        for n in range(3)
    ]  # fmt: skip
    runtime.posts.save_batch(posts, [], now, source_id="vk-adm-kingisepp", cursor={"version": 1})
    DeadLetterStore(runtime.db, max_attempts=1).failed("analyse", posts[0].key, "ValueError: boom", now)
    app = FastAPI()
    app.include_router(metrics_router(runtime))
    try:
        response = TestClient(app).get("/metrics")
    finally:
        runtime.close()
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    assert samples[("infopole_queue_size", (("queue", "analyse"),))] == 3
    assert samples[("infopole_queue_size", (("queue", "index"),))] == 0
    assert samples[("infopole_posts_collected_total", (("source", "vk-adm-kingisepp"),))] == 3
    assert samples[("infopole_posts_stored", (("source", "vk-adm-kingisepp"),))] == 3
    assert samples[("infopole_dead_letters", (("state", "dead"), ("step", "analyse")))] == 1
    assert samples[("infopole_queue_oldest_seconds", (("queue", "analyse"),))] >= 3600
