"""Benchmark of the МЦУ screen: load time of the overview and the cases queue with a big field.

    .venv/bin/python -m bench.dashboard [--posts 100000] [--open-cases 5000] [--runs 40]

(as a module: ``bench/index.py`` would otherwise shadow the ``index`` package)

Posts, analyses and cases are written straight into the stores' tables in bulk (the pipeline's
own throughput is ``bench/cases.py``'s job), then the real app is served by uvicorn and each page
is fetched over HTTP by a signed-in head of the МЦУ and a block owner; p50/p95 are printed.
The goal of issue 9 is p95 ≤ 300 ms for the overview and the queue.
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import insert

from dashboards.app import create_app
from infopole.config.municipality import load_municipality
from infopole.config.settings import IndexBackend, Settings
from infopole.demo_users import DEMO_USERS
from infopole.runtime import Runtime
from infopole.storage.tables import (
    AnalysisRow,
    IncidentPostRow,
    IncidentRow,
    IncidentUpdateRow,
    PostRow,
)
from infopole.storage.users import UserStore

MUNICIPALITY = Path(__file__).resolve().parents[1] / "infopole" / "municipalities" / "kingisepp.yaml"
WORDS = ("вода", "свет", "яма", "мусор", "отопление", "школа", "автобус", "дорога", "двор", "крыша")
CHUNK = 5000


def fill(runtime: Runtime, posts: int, open_cases: int, now: datetime, rng: random.Random) -> None:
    municipality = runtime.municipality
    departments = [d.id for d in municipality.departments]
    blocks = sorted({block for d in municipality.departments for block in d.blocks})
    settlements = [s.name for s in municipality.settlements]
    with runtime.db.session() as session:
        for start in range(0, posts, CHUNK):
            post_rows, analysis_rows = [], []
            for index in range(start, min(posts, start + CHUNK)):
                key = f"vk:-100003:{index}"
                published = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
                post_rows.append(
                    dict(
                        key=key, platform="vk", owner_id="-100003", post_id=str(index), kind="post",
                        source_id="vk-kingisepp-online", url=f"https://vk.com/wall-100003_{index}", title="",
                        text=" ".join(rng.choice(WORDS) for _ in range(15)), author_id=f"a{index % 9000}",
                        published_at=published, content_hash=f"{index:032d}", first_seen_at=published,
                        last_seen_at=published, attachments=[],
                    )
                )  # fmt: skip
                analysis_rows.append(
                    dict(
                        post_key=key, content_hash=f"{index:032d}", model_id="bench", analysed_at=published,
                        block=rng.choice(blocks), sentiment=rng.choice(("negative", "neutral", "positive")),
                        is_incident=index < open_cases, incident_score=rng.random(), risk_score=rng.random(),
                        settlement=rng.choice(settlements), result={}, indexed=True,
                    )
                )  # fmt: skip
            session.execute(insert(PostRow), post_rows)
            session.execute(insert(AnalysisRow), analysis_rows)
        case_rows, link_rows, update_rows = [], [], []
        for index in range(open_cases):
            opened = now - timedelta(minutes=rng.randrange(14 * 24 * 60))
            department = rng.choice([*departments, None])
            case_rows.append(
                dict(
                    id=index + 1, title=f"Обращение {index}: " + " ".join(rng.choices(WORDS, k=8)),
                    block=rng.choice(blocks), settlement=rng.choice(settlements), department_id=department,
                    status="assigned" if department else "triage", priority="normal", opened_at=opened,
                    first_answer_due=opened + timedelta(hours=24), updated_at=opened, version=1,
                    due_at=opened + timedelta(hours=rng.choice((8, 24, 72, 400))),
                )
            )  # fmt: skip
            link_rows.append(dict(incident_id=index + 1, post_key=f"vk:-100003:{index}", added_at=opened))
            update_rows.append(
                dict(incident_id=index + 1, at=opened, actor="system", status="new", action="opened")
            )
            update_rows.append(
                dict(
                    incident_id=index + 1, at=opened, actor="system", status=case_rows[-1]["status"],
                    department_id=department, action="routed", previous_status="new",
                )
            )  # fmt: skip
        session.execute(insert(IncidentRow), case_rows)
        session.execute(insert(IncidentPostRow), link_rows)
        session.execute(insert(IncidentUpdateRow), update_rows)


def measure(client: httpx.Client, path: str, runs: int) -> tuple[float, float]:
    for _ in range(3):  # warm-up: templates compiled, caches filled
        assert client.get(path).status_code == 200, path
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    timings.sort()
    return statistics.median(timings), timings[max(0, round(0.95 * len(timings)) - 1)]


def signed_in(base: str, login: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post("/login", data={"login": login, "password": password, "csrf": token.group(1)})
    assert answer.status_code == 303, answer.text[:300]
    return client


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--open-cases", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    rng, now = random.Random(7), datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), municipality_file=MUNICIPALITY, index_backend=IndexBackend.EMBEDDED
        )
        runtime = Runtime(settings, load_municipality(MUNICIPALITY))
        started = time.perf_counter()
        fill(runtime, args.posts, args.open_cases, now, rng)
        users = UserStore(runtime.db)
        for user, password in DEMO_USERS:
            users.add(user, password, now)
        print(
            f"данные: {args.posts} публикаций, {args.open_cases} открытых обращений"
            f" за {time.perf_counter() - started:.1f} с"
        )
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        passwords = {user.login: password for user, password in DEMO_USERS}
        head = signed_in(base, "rukovoditel", passwords["rukovoditel"])
        owner = signed_in(base, "zhkh", passwords["zhkh"])
        print(f"{'страница':<40} {'p50, мс':>9} {'p95, мс':>9}")
        for name, client, path in (
            ("обзор (руководитель МЦУ)", head, "/"),
            ("очередь обращений (руководитель МЦУ)", head, "/cases"),
            ("очередь: просроченные", head, "/cases?sla=overdue"),
            ("очередь: стр. 50", head, "/cases?page=50"),
            ("обзор (ответственный за блок)", owner, "/"),
            ("очередь (ответственный за блок)", owner, "/cases"),
        ):
            p50, p95 = measure(client, path, args.runs)
            mark = "" if p95 <= 300 else "  > 300 мс"
            print(f"{name:<40} {p50:>9.1f} {p95:>9.1f}{mark}")
        head.close()
        owner.close()
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


if __name__ == "__main__":
    main()
