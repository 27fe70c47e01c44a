"""Benchmark of the VK wall collector against the local fake enforcing VK's 3 requests per second.

    .venv/bin/python bench/vk_rate.py [--posts 40] [--comments 3] [--rps 3]

The fake answers error 6 to any token that sends more than ``--rps`` requests within a
second, exactly as VK does. The real client (``vk_api`` under our limiter) crawls one wall
whose every post has comments, twice in the same run:

* **baseline**: no ``execute`` (``execute_batch=1``): one ``wall.getComments`` per post;
* **execute**: the first comment pages of 25 posts per ``execute`` request.

For each it prints the requests sent, the achieved share of the allowed request rate
(requests / (elapsed × rps); target ≥ 90 %), the rate-limit errors (target 0) and the posts
and comments collected per request.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import timedelta

from crawlers.fakes.vk_server import VkDataset, serve_in_thread
from crawlers.vk import VkClient, VkWallCollector, WallCrawlConfig
from infopole.domain.source import Source, SourceKind

TOKEN = "bench-token"
OWNER = -100002
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
    dataset.add_wall(OWNER, "Кингисепп Онлайн", "kingisepp_online")
    for n in range(posts):
        post_id = dataset.add_post(
            OWNER, f"Новость {n}: отключение воды на пр. Карла Маркса", date=now - 9000 + n
        )
        for m in range(comments):
            dataset.add_comment(OWNER, post_id, f"Комментарий {m} 👍", from_id=500 + m, date=now - 600 + m)
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
    ]
    for result in results:
        print(result.line())
    base, batched = results
    print(
        f"execute: {base.requests / batched.requests:.1f}× fewer requests, "
        f"{base.elapsed / batched.elapsed:.1f}× faster for the same {batched.items} items"
    )
    ok = all(r.throttled == 0 for r in results) and base.share >= 0.9
    print("target (≥ 90 % of the allowed rate, no error 6):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
