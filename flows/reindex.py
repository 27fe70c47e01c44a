"""After a model update: analyse every post again and rebuild the index, without downtime.

1. **Re-analysis.** Posts whose stored analysis came from another model are analysed again, in
   key order and batches. Their ``indexed`` flag is put back after saving, so the regular index
   flow does not push them into the live index one by one: the live index keeps answering with
   the old analyses until the switch. Resumable: a killed run starts again with the posts still
   on the old model.
2. **Rebuild and switch.** ``index.reindex.reindex`` streams every analysed post into a new
   generation beside the live one (a new SQLite file for the embedded index, a new versioned
   Elasticsearch index behind the alias), switches readers atomically and catches up with what
   was analysed meanwhile.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flows import recovery, steps
from infopole.runtime import Runtime
from infopole.storage.queues import indexed_keys, restore_indexed, stale_analyses


@dataclass
class ReindexReport:
    reanalysed: int = 0
    failed_analysis: int = 0
    indexed: int = 0
    failed_index: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def reanalyse(
    runtime: Runtime,
    analyzer: steps.Analyzer,
    model_id: str,
    *,
    batch_size: int = 256,
    progress: steps.Progress | None = None,
) -> tuple[int, int]:
    """(re-analysed, failed): posts the analyzer fails on keep their old analysis and are counted."""
    store = runtime.posts
    done = failed = 0
    after = ""
    while keys := stale_analyses(runtime.db, model_id, after=after, limit=batch_size):
        after = keys[-1]
        was_indexed = indexed_keys(runtime.db, keys)
        posts = [post for post, _ in store.analysed(keys=keys)]
        good, bad = recovery._map_isolating(analyzer, posts, store.spreads(keys), store.parents(posts))
        store.save_analyses(good, steps.utc_now())
        restore_indexed(runtime.db, was_indexed)
        done += len(good)
        failed += len(bad)
        if progress is not None:
            progress("reindex", len(good))
    return done, failed


def reindex(
    runtime: Runtime, analyzer: steps.Analyzer, *, progress: steps.Progress | None = None
) -> ReindexReport:
    from index.reindex import reindex as rebuild

    model_id = str(getattr(analyzer, "model_id", ""))
    report = ReindexReport()
    report.reanalysed, report.failed_analysis = reanalyse(
        runtime, analyzer, model_id, batch_size=runtime.municipality.schedule.analyse_batch, progress=progress
    )
    departments = steps.department_of_block(runtime.municipality)
    built = rebuild(runtime.posts, runtime.index, departments)
    report.indexed, report.failed_index = built.ok, len(built.failed)
    return report
