"""Benchmark of the VK wall collector against the local fake enforcing VK's 3 requests per second.

    .venv/bin/python bench/vk_rate.py [--posts 40] [--comments 3] [--rps 3]

The fake answers error 6 to any token that sends more than ``--rps`` requests within a
second, exactly as VK does. The real client (``vk_api`` under our limiter) crawls one wall
whose every post has comments, twice in the same run:

* **baseline**: no ``execute`` (``execute_batch=1``): one ``wall.getComments`` per post;
* **execute**: the first comment pages of 25 posts per ``execute`` request;
* **shared×2**: two worker processes, each crawling its own wall without ``execute`` (the
  most requests, so the hardest case for the limiter), sharing
  the one token's limiter through a database (SQLite in a temporary directory), as the
  flows' workers do; its pace is measured over the span of the requests, from the first
  arrival at the fake to the last, so process start-up does not count.

For each it prints the requests sent, the achieved share of the allowed request rate
(requests / (elapsed × rps); target ≥ 90 %), the rate-limit errors (target 0) and the posts
and comments collected per request.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from crawlers.fakes.vk_server import VkDataset, serve_in_thread
from crawlers.vk import VkClient, VkWallCollector, WallCrawlConfig
from infopole.config.settings import Settings
from infopole.domain.source import Source, SourceKind
from infopole.storage.db import Database

TOKEN = "bench-token"
OWNER = -100002
SECOND_OWNER = -100003  # the second worker's wall in the shared run
SOURCE = Source(id="vk-bench", kind=SourceKind.VK_WALL, title="Кингисепп Онлайн", target=str(OWNER))


@dataclass
class Result:
    name: str
    requests: int
    elapsed: float
    items: int
    throttled: int
    rps: float

    @property
    def share(self) -> float:
        # n requests spaced 1/rps apart take (n − 1)/rps seconds: that is the allowed pace
        allowed = max(self.requests - 1, 1) / self.rps
        return allowed / self.elapsed if self.elapsed else 0.0

    def line(self) -> str:
        return (
            f"{self.name:9} requests {self.requests:4d}  elapsed {self.elapsed:6.2f} s  "
            f"pace {self.share * self.rps:4.2f}/s = {self.share:6.1%} of allowed  "
            f"error 6: {self.throttled}  items {self.items:5d}  "
            f"items/request {self.items / self.requests:6.1f}"
        )


def build(posts: int, comments: int) -> VkDataset:
    now = int(time.time())
    dataset = VkDataset()
    for owner, name in ((OWNER, "kingisepp_online"), (SECOND_OWNER, "podslushano_kingisepp")):
        dataset.add_wall(owner, name, name)
        for n in range(posts):
            post_id = dataset.add_post(
                owner, f"Новость {n}: отключение воды на пр. Карла Маркса", date=now - 9000 + n
            )
            for m in range(comments):
                dataset.add_comment(
                    owner, post_id, f"Комментарий {m} 👍", from_id=500 + m, date=now - 600 + m
                )
    return dataset


def crawl(name: str, dataset: VkDataset, rps: float, execute_batch: int) -> Result:
    with serve_in_thread(dataset, tokens=[TOKEN], rps_limit=rps) as server:
        time.sleep(1.1)  # a fresh one-second window
        client = VkClient(TOKEN, api_url=server.url, requests_per_second=rps, max_attempts=6)
        config = WallCrawlConfig(
            rescan_window=timedelta(days=3), comments_recheck=timedelta(days=1), execute_batch=execute_batch
        )
        collector = VkWallCollector(client, salt="bench", config=config)
        started = time.monotonic()
        items = sum(len(batch.posts) for batch in collector.collect(SOURCE, None))
        elapsed = time.monotonic() - started
        return Result(name, server.count(), elapsed, items, server.count(error=6), rps)


def shared_worker(url: str, db_url: str, owner: int, rps: float, results: Any) -> None:
    """One worker process: its own connection and client, the same token, the limiter in the database."""
    db = Database(db_url, migrate=False)
    settings = Settings(vk_api_url=url, vk_token=TOKEN, vk_requests_per_second=rps)
    client = VkClient.from_settings(settings, db=db, max_attempts=6)
    config = WallCrawlConfig(
        rescan_window=timedelta(days=3), comments_recheck=timedelta(days=1), execute_batch=1
    )
    collector = VkWallCollector(client, salt="bench", config=config)
    source = Source(id=f"vk-bench{-owner}", kind=SourceKind.VK_WALL, title="bench", target=str(owner))
    results.put(sum(len(batch.posts) for batch in collector.collect(source, None)))
    db.close()


def crawl_shared(dataset: VkDataset, rps: float) -> Result:
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_in_thread(dataset, tokens=[TOKEN], rps_limit=rps) as server,
    ):
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        Database(db_url).close()  # migrated once, before the workers start
        time.sleep(1.1)
        results = context.Queue()
        workers = [
            context.Process(target=shared_worker, args=(server.url, db_url, owner, rps, results))
            for owner in (OWNER, SECOND_OWNER)
        ]
        for worker in workers:
            worker.start()
        items = sum(results.get(timeout=600) for _ in workers)
        for worker in workers:
            worker.join()
        arrivals = sorted(call.at for call in server.calls if not call.inner)
        return Result(
            "shared×2", server.count(), arrivals[-1] - arrivals[0], items, server.count(error=6), rps
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--comments", type=int, default=3)
    parser.add_argument("--rps", type=float, default=3.0)
    args = parser.parse_args()
    dataset = build(args.posts, args.comments)
    print(f"VK fake enforcing {args.rps:g} req/s; one wall of {args.posts} posts × {args.comments} comments")
    results = [
        crawl("baseline", dataset, args.rps, execute_batch=1),
        crawl("execute", dataset, args.rps, execute_batch=25),
        crawl_shared(dataset, args.rps),
    ]
    for result in results:
        print(result.line())
    base, batched, _shared = results
    print(
        f"execute: {base.requests / batched.requests:.1f}× fewer requests, "
        f"{base.elapsed / batched.elapsed:.1f}× faster for the same {batched.items} items"
    )
    ok = all(r.throttled == 0 for r in results) and base.share >= 0.9 and _shared.share >= 0.9
    print("target (≥ 90 % of the allowed rate, no error 6):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
