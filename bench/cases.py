"""Benchmark of the appeals queue: case-creation throughput, and the cost of recomputing the SLA
state of 100,000 open cases (what the dashboard and the escalation check do).

    .venv/bin/python bench/cases.py [--posts 2000] [--open-cases 100000] [--db sqlite:///…]

Creation goes through the real path (``IncidentStore.take_incidents``: joining checks, routing,
deadlines, history and audit rows) on a real database; the SLA part is pure and runs in memory.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from infopole.config.municipality import load_municipality
from infopole.domain.analysis import Analysis
from infopole.domain.incident import CaseKind, Incident, IncidentStatus, Priority
from infopole.domain.post import Platform, Post
from infopole.incidents.sla import SlaState, calendar_for, deadline
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore

MUNICIPALITY = Path(__file__).resolve().parents[1] / "infopole" / "municipalities" / "kingisepp.yaml"
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
WORDS = (
    "вода",
    "свет",
    "яма",
    "мусор",
    "отопление",
    "школа",
    "автобус",
    "дорога",
    "двор",
    "крыша",
    "подъезд",
    "лифт",
    "фонарь",
    "снег",
)


def _posts(count: int, rng: random.Random) -> list[tuple[Post, Analysis]]:
    municipality = load_municipality(MUNICIPALITY)
    blocks = sorted({block for d in municipality.departments for block in d.blocks})
    settlements = [s.name for s in municipality.settlements]
    pairs = []
    for index in range(count):
        text = " ".join(rng.choice(WORDS) for _ in range(12)) + f" дом {index}"
        post = Post(Platform.VK, "-100003", str(index), text, START + timedelta(minutes=index))
        analysis = Analysis(
            post.key,
            "bench",
            block=rng.choice(blocks),
            settlement=rng.choice(settlements),
            is_incident=True,
            risk_score=rng.random(),
        )
        pairs.append((post, analysis))
    return pairs


def bench_creation(url: str, count: int, rng: random.Random) -> None:
    municipality = load_municipality(MUNICIPALITY)
    db = Database(url)
    pairs = _posts(count, rng)
    PostStore(db).save_batch([post for post, _ in pairs], [], START)
    store = IncidentStore(db)
    began = time.perf_counter()
    opened = joined = 0
    for offset in range(0, count, 500):
        report = store.take_incidents(pairs[offset : offset + 500], municipality, START + timedelta(days=1))
        opened, joined = opened + report.opened, joined + report.joined
    elapsed = time.perf_counter() - began
    db.close()
    print(f"case creation: {count} incident posts → {opened} cases, {joined} joined in {elapsed:.2f} s")
    print(f"  {count / elapsed:,.0f} posts/s ({elapsed / count * 1000:.2f} ms per post)")


def bench_sla(count: int, rng: random.Random) -> None:
    municipality = load_municipality(MUNICIPALITY)
    policy = municipality.sla
    calendar = calendar_for(policy, municipality.timezone)
    cases = []
    for index in range(count):
        opened = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 90))
        incident = Incident(
            id=index,
            block="ЖКХ",
            settlement=None,
            department_id=None,
            status=IncidentStatus.NEW,
            priority=Priority.HIGH if rng.random() < 0.2 else Priority.NORMAL,
            opened_at=opened,
            first_answer_due=None,
            title="",
            kind=CaseKind.APPEAL if rng.random() < 0.1 else CaseKind.MESSAGE,
        )
        incident.assign("zhkh", opened)
        if rng.random() < 0.3:
            incident.give_interim("…", opened + timedelta(hours=rng.randrange(1, 48)), "zhkh")
        cases.append(incident)
    now = START + timedelta(days=91)
    began = time.perf_counter()
    states: dict[SlaState, int] = {}
    for incident in cases:
        pending = deadline(incident, policy, calendar)
        state = SlaState.DONE if pending is None else pending.state(now)
        states[state] = states.get(state, 0) + 1
    elapsed = time.perf_counter() - began
    summary = ", ".join(f"{state.value} {n}" for state, n in sorted(states.items()))
    print(f"SLA states of {count:,} open cases: {elapsed:.2f} s ({elapsed / count * 1e6:.1f} µs per case)")
    print(f"  {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        bench_creation(args.db or f"sqlite:///{tmp}/bench.db", args.posts, rng)
    bench_sla(args.open_cases, rng)


if __name__ == "__main__":
    main()
