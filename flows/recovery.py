"""What keeps the pipeline going when things break: dead letters, bounded runs and the crash hook.

- ``analyse`` finds the post the analyzer crashes on (the batch is split into single posts only
  when it fails), records a failed attempt and goes on; after ``dead_letter_after`` attempts the
  post is a dead letter, skipped until replayed. If every post of a batch fails, the analyzer
  itself is broken: that is raised, not dead-lettered.
- ``index`` bounds one run to ``max_batches`` and leaves the rest pending (backpressure), and
  counts per-document failures the same way.
- ``analyse`` pauses while ``index_backlog_max`` analysed posts still wait for the index, so a
  slow index never lets analysed work pile up without end.
- ``crash_point`` is the test hook behind the recovery tests (see its docstring).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flows import steps
from index.base import SearchIndex
from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.post import Post
from infopole.domain.spread import Spread
from infopole.storage.deadletters import DeadLetterStore
from infopole.storage.posts import PostStore
from infopole.storage.queues import indexed_keys

log = logging.getLogger(__name__)

CRASH_ENV = "INFOPOLE_CRASH_AT"
ANALYSE = "analyse"
INDEX = "index"


def crash_point(step: str, done: int) -> None:
    """Test hook: with ``INFOPOLE_CRASH_AT=<step>:<n>`` the process dies at once (``os._exit(9)``: no
    ``finally``, no flush, like ``kill -9``) as soon as ``step`` has committed at least ``n`` items in
    this process. Steps: collect, analyse, index, cases, alerts, reindex. Unset in production."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    name, _, count = spec.partition(":")
    if name == step and done >= int(count or 0):
        os._exit(9)


def counting(step: str, then: steps.Progress | None = None) -> steps.Progress:
    """A progress callback that adds up a step's committed items and passes them to ``crash_point``."""
    done = 0

    def progress(what: str, n: int) -> None:
        nonlocal done
        done += n
        if then is not None:
            then(what, n)
        crash_point(step, done)

    return progress


class AnalyzerBrokenError(RuntimeError):
    """Every post of a batch failed: the analyzer is broken, not the posts."""


@dataclass
class AnalyseRun:
    analysed: int = 0
    failed: int = 0
    dead: int = 0
    paused_for_index: bool = False  # stopped because the index backlog is full


def analyse(
    store: PostStore,
    analyzer: steps.Analyzer,
    letters: DeadLetterStore,
    *,
    batch_size: int = 256,
    max_batches: int | None = None,
    backlog_max: int | None = None,
    pending_index: Callable[[], int] | None = None,
    clock: steps.Clock = steps.utc_now,
    progress: steps.Progress | None = None,
) -> AnalyseRun:
    run = AnalyseRun()
    tried = letters.dead_keys(ANALYSE)
    batches = 0
    while max_batches is None or batches < max_batches:
        if backlog_max is not None and pending_index is not None and pending_index() >= backlog_max:
            log.info("analysis paused: %d or more posts wait for the index", backlog_max)
            run.paused_for_index = True
            break
        posts = [p for p in store.posts_to_analyse(limit=batch_size + len(tried)) if p.key not in tried]
        posts = posts[:batch_size]
        if not posts:
            break
        batches += 1
        good, bad = _map_isolating(
            analyzer, posts, store.spreads(post.key for post in posts), store.parents(posts)
        )
        if bad and not good and len(posts) >= 3:
            raise AnalyzerBrokenError(f"all {len(posts)} posts of a batch failed; first: {bad[0][1]}")
        if good:
            store.save_analyses(good, clock())
            letters.succeeded(ANALYSE, [post.key for post, _ in good])
        now = clock()
        for post, error in bad:
            log.warning("analysis failed on %s: %s", post.key, error)
            run.dead += letters.failed(ANALYSE, post.key, error, now)
            tried.add(post.key)
        run.analysed += len(good)
        run.failed += len(bad)
        if progress is not None:
            progress(ANALYSE, len(good))
    return run


def _map_isolating(
    analyzer: steps.Analyzer,
    posts: list[Post],
    spreads: Mapping[str, Spread] | None = None,
    parents: Mapping[str, Post] | None = None,
) -> tuple[list[tuple[Post, Analysis]], list[tuple[Post, str]]]:
    """The batch at once; only if that fails, post by post to find the ones the analyzer fails on."""
    try:
        return list(zip(posts, analyzer.map(posts, spreads, parents=parents), strict=True)), []
    except Exception as error:  # any analyzer error: recorded per post below
        if len(posts) == 1:
            return [], [(posts[0], f"{type(error).__name__}: {error}")]
    good: list[tuple[Post, Analysis]] = []
    bad: list[tuple[Post, str]] = []
    for post in posts:
        try:
            good.append((post, analyzer.map([post], spreads, parents=parents)[0]))
        except Exception as error:  # recorded as a dead-letter attempt
            bad.append((post, f"{type(error).__name__}: {error}"))
    return good, bad


def index(
    store: PostStore,
    search_index: SearchIndex,
    municipality: Municipality,
    letters: DeadLetterStore,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    clock: steps.Clock = steps.utc_now,
    progress: steps.Progress | None = None,
) -> steps.IndexRun:
    """``steps.index`` without the dead letters; each failed document counts one attempt."""
    dead = letters.dead_keys(INDEX)
    watched = {letter.item_key for letter in letters.list(INDEX) if not letter.dead}
    run = steps.index(
        store,
        search_index,
        municipality,
        batch_size=batch_size,
        max_batches=max_batches,
        skip=dead,
        progress=progress or (lambda _what, _n: None),
    )
    now = clock()
    for key, reason in run.failed.items():
        letters.failed(INDEX, key, reason, now)
    letters.succeeded(INDEX, indexed_keys(store.db, watched - set(run.failed)))
    return run
