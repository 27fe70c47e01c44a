"""Reindex from the stored posts: after a model update or a mapping change, without downtime.

The post store is the source of truth: every analysed post is built again with
``build_document`` and streamed into ``SearchIndex.rebuild``, which fills a new generation
(a new SQLite file, a new ``<prefix>-<slug>-v<N+1>`` index) and switches readers to it at
once. Posts are read in pages by key, so a million posts never sit in memory together.

The indexing flow may keep running meanwhile. Whatever it wrote during the load went to
the old generation; such posts were analysed after the rebuild began, so ``catch_up``
(called after the switch) reads the posts analysed since then and upserts them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime

from sqlalchemy import select, update

from index.base import IndexReport, SearchIndex
from index.document import IndexDocument, build_document
from infopole.storage.posts import PostStore
from infopole.storage.tables import AnalysisRow

PAGE = 2000


def stored_documents(
    store: PostStore,
    departments: Mapping[str, str],
    *,
    since: datetime | None = None,
    page: int = PAGE,
) -> Iterator[IndexDocument]:
    """Every analysed post as an index document (or only those analysed at or after ``since``)."""
    after = ""
    while True:
        with store.db.session() as session:
            query = select(AnalysisRow.post_key).where(AnalysisRow.post_key > after)
            if since is not None:
                query = query.where(AnalysisRow.analysed_at >= since)
            keys = list(session.scalars(query.order_by(AnalysisRow.post_key).limit(page)))
        if not keys:
            return
        for post, analysis in store.analysed(keys=keys):
            yield build_document(post, analysis, department=departments.get(analysis.block or ""))
        after = keys[-1]


def reindex(
    store: PostStore,
    search_index: SearchIndex,
    departments: Mapping[str, str],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IndexReport:
    """Rebuild ``search_index`` from ``store``; returns what was indexed and what failed, by id.

    A post the new generation refused is marked not indexed, so the next indexing run retries it.
    """
    started = clock()
    report = search_index.rebuild(
        stored_documents(store, departments),
        catch_up=lambda: stored_documents(store, departments, since=started),
    )
    if report.failed:
        with store.db.session() as session:
            session.execute(
                update(AnalysisRow)
                .where(AnalysisRow.post_key.in_(report.failed_ids))
                .values(indexed=False)
                .execution_options(synchronize_session=False)
            )
    return report
