"""Benchmark of the whole NLP analysis against natasha's NER alone, in the same process and run.

    .venv/bin/python bench/nlp.py [--posts 450] [--chars 300] [--batch 64] [--processes 2]

Posts are Troitsk appeals and long VK posts cut to ``--chars`` characters (typical posts),
alternating while the appeals last, all of them outside the texts the lemma table was built
from. Both sides are warmed up on other posts first (models loaded, pymorphy's lemma cache
filled as in a long-running worker), then time the same posts:

- baseline: natasha's ``NewsNERTagger`` over the texts (the network alone: no segmentation,
  no normal forms), in batches of ``--batch``;
- whole analysis: ``Analyzer.map_documents`` (languages, NER with normal forms, geo-linking with
  the Kingisepp gazetteer, four classifiers, risk, duplicates and stories);
- the same posts again, and as comments each under another of them (``Document.parent_text``): the
  worst case of reading comments in their thread, where every comment's post is scored too; both on
  posts already seen, so their ratio is the extra scoring, not a cache effect.

One BLAS thread per process, as in production. Peak RSS is the process's ``ru_maxrss`` after
both runs (models of both sides loaded). ``--processes N`` (default 2, the issue's two cores; 1 skips
it) then runs a pool of N fresh (spawned) worker processes: each loads the models once and warms up in
its initializer, then the pool maps the timed posts in batches of ``--batch``; it prints the pool's
posts/s (timed from the first batch submitted to the last result, model loading excluded) and each
worker's peak RSS. Each worker keeps its own duplicate and story memory, as separate production
workers would.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from threadpoolctl import threadpool_limits  # noqa: E402

from infopole.config.municipality import load_municipality  # noqa: E402
from nlp.analyzer import Analyzer, Document  # noqa: E402
from nlp.training import data  # noqa: E402

MUNICIPALITY = ROOT / "infopole" / "municipalities" / "kingisepp.yaml"


def corpus(root: Path, count: int, chars: int) -> list[Document]:
    """``count`` posts of 0.7–1 × ``chars`` characters: appeals and long VK posts alternating, all from the
    held-out slices (``data.held_out``) and RuSentiment test, which the lemma table never saw."""
    appeals = [a.full_text for a in data.appeals(root) if data.held_out(a.full_text)]
    posts = [r.text for r in data.rusentiment(root, "random_posts") if data.held_out(r.text)]
    posts += [r.text for r in data.rusentiment(root, "test")]
    appeals, posts = ([t[:chars] for t in texts if len(t) >= 0.7 * chars] for texts in (appeals, posts))
    texts = [text for pair in zip(appeals, posts, strict=False) for text in pair]
    texts += posts[len(appeals) :]
    if len(texts) < count:
        raise SystemExit(f"only {len(texts)} posts of {0.7 * chars:.0f}+ characters in {root}")
    return [Document(f"bench:{i}", text) for i, text in enumerate(texts[:count])]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_ANALYZER: Analyzer | None = None  # one per worker process, loaded by ``_load``


def _load(warmup: list[Document], batch: int, ready: Any) -> None:
    """Pool initializer: the models are loaded once per process, then warmed up on other posts; the
    ``ready`` barrier holds every worker until all of them are loaded, so no batch is timed early."""
    global _ANALYZER
    with threadpool_limits(limits=1):
        _ANALYZER = Analyzer.load(load_municipality(MUNICIPALITY), batch_size=batch)
        _ANALYZER.map_documents(warmup)
        _ANALYZER.forget()
    ready.wait(timeout=300)


def _ready(_: int) -> int:
    return os.getpid()


def _analyse(documents: list[Document]) -> tuple[int, int, float]:
    assert _ANALYZER is not None, "the pool's initializer loads the analyzer"
    with threadpool_limits(limits=1):
        _ANALYZER.map_documents(documents)
    return len(documents), os.getpid(), peak_rss_mb()


def pooled(documents: list[Document], warmup: list[Document], processes: int, batch: int) -> None:
    """Whole analysis over a pool of ``processes`` spawned workers, batches of ``batch`` posts."""
    batches = [documents[i : i + batch] for i in range(0, len(documents), batch)]
    context = multiprocessing.get_context("spawn")  # nothing inherited: each worker loads its own models
    started = time.monotonic()
    ready = context.Barrier(processes)
    with ProcessPoolExecutor(processes, context, initializer=_load, initargs=(warmup, batch, ready)) as pool:
        # with spawn, a worker starts per task submitted while none is idle: 2×N tasks start all N
        pids = set(pool.map(_ready, range(processes * 2)))
        loaded = time.monotonic() - started
        started = time.monotonic()
        done = list(pool.map(_analyse, batches))
        elapsed = time.monotonic() - started
    count = sum(n for n, _, _ in done)
    rss = {pid: mb for _, pid, mb in done}
    print(
        f"whole analysis, pool of {processes} processes ({len(pids)} started, models loaded and warmed up in "
        f"{loaded:.1f}s), {len(batches)} batches of {batch}: {count / elapsed:.0f} posts/s; peak RSS per "
        f"worker: {', '.join(f'{mb:.0f}' for mb in sorted(rss.values()))} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--posts", type=int, default=450)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--chars", type=int, default=300)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    everything = corpus(args.data, args.posts + args.warmup, args.chars)
    warmup, documents = everything[: args.warmup], everything[args.warmup :]
    texts = [document.text for document in documents]
    mean = sum(len(text) for text in texts) / len(texts)
    print(f"{len(documents)} posts, mean {mean:.0f} characters; warm-up on {len(warmup)} other posts")

    started = time.monotonic()
    analyzer = Analyzer.load(load_municipality(MUNICIPALITY), batch_size=args.batch)
    print(f"models loaded in {time.monotonic() - started:.1f}s, RSS {peak_rss_mb():.0f} MB")
    ner = analyzer.ner.ner  # natasha's NewsNERTagger, loaded once by the analyzer
    with threadpool_limits(limits=1):
        list(ner.map([document.text for document in warmup]))
        started = time.monotonic()
        for start in range(0, len(texts), args.batch):
            list(ner.map(texts[start : start + args.batch]))
        baseline = len(texts) / (time.monotonic() - started)
    analyzer.map_documents(warmup)
    getattr(analyzer, "forget", lambda: None)()  # the timed posts must not meet the warm-up posts' stories
    started = time.monotonic()
    analyses = analyzer.map_documents(documents)
    whole = len(documents) / (time.monotonic() - started)
    with_ner = sum(1 for analysis in analyses if analysis.entities)
    print(f"natasha NER alone (NewsNERTagger, one process, one thread): {baseline:.0f} posts/s")
    print(
        f"whole analysis (one process, one thread): {whole:.0f} posts/s = {whole / baseline:.2f}× NER alone; "
        f"{with_ner} posts with entities"
    )
    # the worst case of reading comments in their thread (nlp.thread): every post a comment under a
    # different post, so each batch also scores as many parent texts with the topic and incident packs
    # both passes on posts the worker has now seen (its caches warm for all of them, parents included),
    # so the ratio is the extra scoring of the posts above, not a cache effect; each comment's post is
    # half the list away, in another batch (a post in the comment's own batch is not scored again)
    half = len(documents) // 2
    threaded = [
        replace(document, key=f"{document.key}:c", parent_text=documents[(i + half) % len(documents)].text)
        for i, document in enumerate(documents)
    ]
    timings = {}
    for name, batch in (("again", documents), ("threaded", threaded)):
        analyzer.forget()
        started = time.monotonic()
        analyzer.map_documents(batch)
        timings[name] = len(batch) / (time.monotonic() - started)
    print(
        f"the same posts again: {timings['again']:.0f} posts/s; as comments, each under another of them "
        f"(thread reading's worst case): {timings['threaded']:.0f} posts/s = "
        f"{timings['threaded'] / timings['again']:.2f}×"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")

    print(f"load average: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1 / 5 / 15 min)")
    if args.processes > 1:
        pooled(documents, warmup, args.processes, args.batch)


if __name__ == "__main__":
    main()
