"""The demo end to end: fake VK → real crawler → analysis → embedded index → cases → dashboard."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from markupsafe import escape

from dashboards.app import create_app
from index.base import SearchRequest
from infopole.demo import demo_settings, run_demo
from infopole.domain.post import PostKind
from infopole.runtime import Runtime

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    run_demo(data_dir, echo=lines.append, now=NOW)
    assert any(line.startswith("4. Инциденты") for line in lines), lines
    return data_dir


@pytest.fixture
def runtime(demo_dir: Path) -> Iterator[Runtime]:
    rt = Runtime(demo_settings(demo_dir, vk_url="http://127.0.0.1:9"))  # the fake is gone: read-only
    yield rt
    rt.close()


def test_the_information_field_was_collected(runtime: Runtime) -> None:
    pairs = runtime.posts.analysed()
    kinds = {post.kind for post, _ in pairs}
    assert runtime.posts.count() >= 150
    assert {PostKind.POST, PostKind.COMMENT} <= kinds
    assert {post.source_id for post, _ in pairs} >= {
        "vk-adm-kingisepp",
        "vk-kingisepp-online",
        "vk-podslushano-kingisepp",
        "vk-ivangorod",
    }
    assert runtime.posts.posts_to_analyse() == []  # everything was analysed
    assert runtime.posts.to_index() == []  # and indexed


def test_incidents_are_opened_for_incident_posts_only(runtime: Runtime) -> None:
    incidents = runtime.incidents.list()
    flagged = {post.key for post, analysis in runtime.posts.analysed() if analysis.is_incident}
    assert incidents, "the demo field has residents' complaints: some cases must be opened"
    assert {incident.post_keys[0] for incident in incidents} <= flagged  # only incidents open cases
    posts = {post.key: post for post, _ in runtime.posts.analysed()}
    for incident in incidents:
        in_case = set(incident.post_keys)
        for key in incident.post_keys[1:]:  # later: more reports, or answers in the thread of one
            post = posts[key]
            assert key in flagged or {post.parent_key, post.reply_to_key} & in_case, key
    assert any(
        posts[key].kind != "post" and key not in flagged
        for incident in incidents
        for key in incident.post_keys
    ), "the administration answers under some complaints: those answers join their cases"
    departments = {d.id for d in runtime.municipality.departments}
    for incident in incidents:
        assert incident.department_id is None or incident.department_id in departments
        assert incident.first_answer_due is not None and incident.first_answer_due > incident.opened_at


def test_the_curator_is_alerted_to_the_risky_stories(runtime: Runtime) -> None:
    alerts = runtime.alerts.latest()
    assert alerts, "the demo field has a fire, a protest call and accusations against officials"
    assert len({alert.key for alert in alerts}) == len(alerts)
    assert any(alert.severity == "high" for alert in alerts)


def test_the_index_answers_russian_queries(runtime: Runtime) -> None:
    total = runtime.index.count("")
    assert total == runtime.posts.count() - sum(1 for p, _ in runtime.posts.analysed() if p.is_deleted)
    page = runtime.index.search(SearchRequest(query="вода", size=50))
    assert page.total > 0
    for hit in page.hits:
        assert "вод" in (hit.document.text + hit.document.title).lower()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_dashboard_lists_the_incidents(runtime: Runtime) -> None:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        client = httpx.Client(base_url=base, timeout=30)
        assert client.get("/").status_code == 303  # the screen needs a login
        form = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        signed = client.post(
            "/login", data={"login": "rukovoditel", "password": "rukovoditel-demo", "csrf": token.group(1)}
        )
        assert signed.status_code == 303
        page = client.get("/")
        assert page.status_code == 200
        assert "Кингисеппский" in page.text
        queue = client.get("/cases", params={"status": "all"})
        for incident in runtime.incidents.list()[:5]:
            assert str(escape(incident.title[:140])) in queue.text
        alerts = client.get("/alerts")
        for alert in runtime.alerts.latest(limit=5):
            assert str(escape(alert.title)) in alerts.text
        found = client.get("/search", params={"q": "вода"})
        assert found.status_code == 200 and "<mark>" in found.text
        bad = client.get("/search", params={"q": '"незакрытая'})
        assert bad.status_code == 200 and 'class="error"' in bad.text
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_demo_counts_its_sources_audience_and_the_risk_reads_it(runtime: Runtime) -> None:
    from infopole.gospabliki.store import GospablikiStore

    store = GospablikiStore(runtime.db)
    # the members the fake VK reports for the walls (crawlers/fakes/data/kingisepp_vk.json)
    assert [count for _, count in store.subscribers("vk-kingisepp-online")] == [38600]
    assert [count for _, count in store.subscribers("vk-ivangorod")] == [6300]
    factors = [analysis.risk_factors for _, analysis in runtime.posts.analysed()]
    assert any("audience" in names for names in factors)
