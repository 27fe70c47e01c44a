"""Benchmark of the whole pipeline: posts per second from the VK fake to the index and the appeals queue,
sustained over several rounds of new posts, and the share of time each step takes.

    .venv/bin/python -m bench.pipeline [--walls 4] [--posts 400] [--comments 2] [--rounds 3] [--db URL]

Round 0 collects a backlog (``--posts`` posts per wall, with ``--comments`` comments each); every
further round, residents publish ``--posts // 4`` new posts per wall and the cycle runs again. Every
step is the code the Prefect flows run (``flows.steps`` and ``flows.recovery``: collect with cursors,
analyse in batches with dead letters, bounded index batches, cases, replies, alerts), against a real
database (SQLite in a temporary directory, or ``--db``) and the embedded index. Post texts are the
demo information field's, reshuffled, so the analyzer does real work. Prefect's own overhead is left
out: it is per task run, not per post.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawlers.fakes.vk_server import FakeVkServer, VkDataset
from flows import recovery, steps
from infopole.config.municipality import load_municipality
from infopole.config.settings import Settings
from infopole.domain.source import Source, SourceKind
from infopole.runtime import Runtime, quiet_third_parties
from infopole.storage.deadletters import DeadLetterStore

MUNICIPALITY = Path(__file__).resolve().parents[1] / "infopole" / "municipalities" / "kingisepp.yaml"
TOKEN = "bench-token"


def demo_texts() -> tuple[list[str], list[str]]:
    demo = VkDataset.demo(now=datetime.now(UTC))
    posts = [item["text"] for wall in demo.walls.values() for item in wall.posts.values() if item.get("text")]
    comments = [c["text"] for wall in demo.walls.values() for c in wall.comments.values() if c.get("text")]
    return posts, comments


def publish(
    dataset: VkDataset,
    owners: list[int],
    per_wall: int,
    comments: int,
    texts: tuple[list[str], list[str]],
    rng: random.Random,
    now: datetime,
    spread: timedelta,
) -> int:
    post_texts, comment_texts = texts
    made = 0
    for owner in owners:
        # on VK a later post has a larger id: publish in date order
        dates = sorted(int((now - spread * rng.random()).timestamp()) for _ in range(per_wall))
        for date in dates:
            post_id = dataset.add_post(owner, rng.choice(post_texts), date=date, views=rng.randint(10, 5000))
            made += 1
            for _ in range(comments):
                dataset.add_comment(
                    owner, post_id, rng.choice(comment_texts), from_id=rng.randint(1, 10**8), date=date + 600
                )
                made += 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--walls", type=int, default=4)
    parser.add_argument("--posts", type=int, default=400, help="posts per wall in the first round")
    parser.add_argument("--comments", type=int, default=2, help="comments per post")
    parser.add_argument("--rounds", type=int, default=3, help="rounds after the first, each with new posts")
    parser.add_argument("--db", default="", help="SQLAlchemy URL of Infopole's database (default: SQLite)")
    args = parser.parse_args()

    quiet_third_parties()
    rng = random.Random(8)
    texts = demo_texts()
    dataset = VkDataset()
    owners = [-(900_000 + n) for n in range(args.walls)]
    for owner in owners:
        dataset.add_wall(owner, f"Бенчмарк {owner}")
    base = load_municipality(MUNICIPALITY)
    sources = [
        Source(
            id=f"bench-wall-{abs(owner)}", kind=SourceKind.VK_WALL, title=f"wall {owner}", target=str(owner)
        )
        for owner in owners
    ]
    municipality = base.model_copy(update={"sources": sources})

    with (
        tempfile.TemporaryDirectory(prefix="infopole-bench-") as tmp,
        FakeVkServer(dataset, tokens=[TOKEN]).start() as vk,
    ):
        os.environ.update(
            {
                "INFOPOLE_VK_API_URL": vk.url,
                "INFOPOLE_VK_TOKEN": TOKEN,
                "INFOPOLE_VK_REQUESTS_PER_SECOND": "1000",
            }
        )
        settings = Settings(data_dir=Path(tmp), database_url=args.db)
        runtime = Runtime(settings, municipality)
        load_started = time.perf_counter()
        analyzer = runtime.analyzer
        print(f"модели загружены / models loaded: {time.perf_counter() - load_started:.1f} s")
        letters = DeadLetterStore(runtime.db)
        plan = municipality.schedule
        seconds: dict[str, float] = defaultdict(float)
        items: dict[str, int] = defaultdict(int)

        def timed(step: str, work: Callable[[], int]) -> None:
            started = time.perf_counter()
            items[step] += work()
            seconds[step] += time.perf_counter() - started

        def collect() -> int:
            total = steps.SaveReport()
            for source in sources:
                steps.crawl_source(source, runtime.collectors[source.kind], runtime.posts, total)
            return total.new

        def analyse() -> int:
            return recovery.analyse(runtime.posts, analyzer, letters, batch_size=plan.analyse_batch).analysed

        def index() -> int:
            run = recovery.index(
                runtime.posts, runtime.index, municipality, letters, batch_size=plan.index_batch
            )
            return run.indexed

        def cases() -> int:
            salt = settings.author_salt.get_secret_value()
            run = steps.cases(runtime.posts, runtime.incidents, municipality, salt=salt)
            return run.opened + run.joined

        def alerts() -> int:
            report = steps.alerts(runtime.posts, runtime.incidents, runtime.alerts, municipality)
            return report.decided.recorded.new

        published = 0
        previous = datetime.now(UTC)
        started = time.perf_counter()
        for round_no in range(args.rounds + 1):
            now = datetime.now(UTC)
            per_wall = args.posts if round_no == 0 else max(1, args.posts // 4)
            # round 0: ten days of history; later rounds: what residents posted since the previous one
            spread = timedelta(days=10) if round_no == 0 else now - previous
            previous = now
            published += publish(dataset, owners, per_wall, args.comments, texts, rng, now, spread)
            round_started = time.perf_counter()
            for step, work in (
                ("collect", collect),
                ("analyse", analyse),
                ("index", index),
                ("cases", cases),
                ("alerts", alerts),
            ):
                timed(step, work)
            print(
                f"раунд {round_no}: {published} публикаций всего, {time.perf_counter() - round_started:.1f} s"
            )
        elapsed = time.perf_counter() - started
        indexed = items["index"]
        runtime.close()

    total_step = sum(seconds.values())
    print()
    print(f"Опубликовано в имитаторе / published: {published}; проиндексировано / indexed: {indexed}")
    print(f"Пропускная способность / sustained throughput: {indexed / elapsed:.1f} posts/s (весь конвейер)")
    print(f"{'шаг / step':12} {'s':>8} {'доля':>7} {'items':>8} {'items/s':>9}")
    for step in ("collect", "analyse", "index", "cases", "alerts"):
        rate = items[step] / seconds[step] if seconds[step] else 0.0
        share = seconds[step] / total_step if total_step else 0.0
        print(f"{step:12} {seconds[step]:8.1f} {share:7.1%} {items[step]:8d} {rate:9.1f}")


if __name__ == "__main__":
    main()
