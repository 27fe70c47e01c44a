"""The pipeline's steps as plain functions: crawl → analyse → index → cases.

Each step reads what is pending from the database and marks what it finished, so any
step can be re-run or resumed after a crash without losing or duplicating work. The
Prefect flows in ``flows.pipeline`` and the CLI both call these; tests call them directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

import httpx
from sqlalchemy import select

from crawlers.base import Collector, CollectorError
from index.base import IndexReport, SearchIndex
from index.document import build_document
from infopole.alerts.dispatch import Dispatcher, DispatchReport
from infopole.alerts.notifiers.base import DeliveryError
from infopole.alerts.notifiers.telegram import TelegramAcks
from infopole.alerts.run import AlertRun, decide, read_snapshot
from infopole.alerts.store import AlertStore
from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.post import Post, PostKind
from infopole.domain.source import Source, SourceKind
from infopole.domain.spread import Spread
from infopole.gospabliki.run import GospablikiRun
from infopole.gospabliki.run import run as run_gospabliki
from infopole.gospabliki.store import GospablikiStore
from infopole.gospabliki.subscribers import (
    SubscribersRun,
    readers_from,
    record_audiences,
    record_subscribers,
)
from infopole.incidents.answer_checks import AnswerCheckReport, check_answers
from infopole.incidents.replies import official_authors
from infopole.storage.case_events import CaseEventStore, OutboxReport, WebhookTarget
from infopole.storage.db import Database
from infopole.storage.escalations import escalate_overdue
from infopole.storage.incidents import CaseReport, IncidentStore
from infopole.storage.posts import PostStore, SaveReport
from infopole.storage.replies import ReplyReport, take_replies
from infopole.storage.reply_checks import ReplyCheckStore
from infopole.storage.tables import IncidentPostRow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[str, int], None]  # (what, how many done in this step) — for progress bars


def utc_now() -> datetime:
    return datetime.now(UTC)


def _quiet(_what: str, _done: int) -> None:
    return None


class Analyzer(Protocol):
    """``spreads``: ``PostStore.spreads`` of the posts (when their counters were read, their source's
    audience), for the risk score's growth and audience; ``parents``: ``PostStore.parents``, the
    posts the comments answer, to read each comment in its thread."""

    def map(
        self,
        posts: list[Post],
        spreads: Mapping[str, Spread] | None = None,
        *,
        parents: Mapping[str, Post] | None = None,
    ) -> list[Analysis]: ...


@dataclass
class CrawlReport:
    saved: SaveReport = field(default_factory=SaveReport)
    sources_ok: list[str] = field(default_factory=list)
    sources_failed: dict[str, str] = field(default_factory=dict)
    sources_skipped: dict[str, str] = field(default_factory=dict)


def crawl(
    municipality: Municipality,
    store: PostStore,
    collectors: Mapping[SourceKind, Collector],
    *,
    only: set[str] | None = None,
    clock: Clock = utc_now,
    progress: Progress = _quiet,
) -> CrawlReport:
    """Collect every enabled source, saving each batch with its cursor; one failing source
    is recorded and the others go on."""
    report = CrawlReport()
    for source in municipality.sources:
        if not source.enabled or (only is not None and source.id not in only):
            continue
        collector = collectors.get(source.kind)
        if collector is None:
            report.sources_skipped[source.id] = f"нет настроенного сборщика для {source.kind.value}"
            continue
        try:
            crawl_source(source, collector, store, report.saved, clock=clock, progress=progress)
        except CollectorError as error:
            log.warning("source %s failed: %s", source.id, error)
            store.record_failure(source.id, clock(), f"{type(error).__name__}: {error}")
            report.sources_failed[source.id] = str(error)
        else:
            report.sources_ok.append(source.id)
    return report


def crawl_source(
    source: Source,
    collector: Collector,
    store: PostStore,
    total: SaveReport,
    *,
    clock: Clock = utc_now,
    progress: Progress = _quiet,
) -> None:
    cursor = store.cursor(source.id)
    for batch in collector.collect(source, cursor):
        saved = store.save_batch(batch.posts, batch.raw, clock(), source_id=source.id, cursor=batch.cursor)
        total.add(saved)
        progress(source.id, len(batch.posts))


RECENT_FOR_STORIES = 5000


def remember_recent(store: PostStore, analyzer: object, limit: int = RECENT_FOR_STORIES) -> int:
    """Feed the analyzer's duplicate and story index with the latest analysed posts, so a new batch
    is compared with them (``nlp.stories``); the number taken. Analyzers without one take none.

    The index is emptied first and rebuilt from the store alone: the analyzer is cached per process
    and municipality, and what it held from earlier work (a run that crashed half-way, another data
    directory) would otherwise decide stories — a re-run after a crash must reach the same stories
    as an uninterrupted run."""
    remember = getattr(analyzer, "remember", None)
    if remember is None:
        return 0
    forget = getattr(analyzer, "forget", None)
    if forget is not None:
        forget()
    return int(remember(store.analysed(limit=limit)))


def analyse(
    store: PostStore,
    analyzer: Analyzer,
    *,
    batch_size: int = 256,
    clock: Clock = utc_now,
    progress: Progress = _quiet,
) -> int:
    done = 0
    remember_recent(store, analyzer)
    while posts := store.posts_to_analyse(limit=batch_size):
        analyses = analyzer.map(
            posts, store.spreads(post.key for post in posts), parents=store.parents(posts)
        )
        store.save_analyses(zip(posts, analyses, strict=True), clock())
        done += len(posts)
        progress("analyse", len(posts))
    return done


@dataclass
class IndexRun:
    indexed: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def index(
    store: PostStore,
    search_index: SearchIndex,
    municipality: Municipality,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    skip: Iterable[str] = (),
    progress: Progress = _quiet,
) -> IndexRun:
    """Send analysed posts to the index; a document that fails stays pending for the next run.

    ``max_batches`` bounds one run (backpressure: a slow index leaves the rest pending for the next
    run instead of running forever); ``skip`` holds keys set aside as dead letters."""
    run = IndexRun()
    departments = department_of_block(municipality)
    tried: set[str] = set(skip)
    batches = 0
    while (max_batches is None or batches < max_batches) and (
        pairs := [p for p in store.to_index(limit=batch_size + len(tried)) if p[0].key not in tried]
    ):
        batches += 1
        pairs = pairs[:batch_size]
        failed = index_pairs(store, search_index, departments, pairs)
        run.indexed += len(pairs) - len(failed)
        run.failed.update(failed)
        tried.update(failed)
        progress("index", len(pairs))
    return run


def index_pairs(
    store: PostStore,
    search_index: SearchIndex,
    departments: Mapping[str, str],
    pairs: list[tuple[Post, Analysis]],
) -> dict[str, str]:
    """Send these analysed posts to the index and mark them indexed; the refused ones (key → why)
    stay pending."""
    documents = [build_document(post, a, department=departments.get(a.block or "")) for post, a in pairs]
    report = search_index.upsert(documents)
    failed = {item.id: item.reason for item in report.failed}
    store.mark_indexed(post.key for post, _ in pairs if post.key not in failed)
    deleted = [post.key for post, _ in pairs if post.is_deleted and post.key not in failed]
    if deleted:
        search_index.mark_deleted(deleted)
    return failed


def reindex(
    store: PostStore, search_index: SearchIndex, municipality: Municipality, *, clock: Clock = utc_now
) -> IndexReport:
    """Rebuild the index from the stored posts (a new model or mapping) while readers keep working."""
    from index.reindex import reindex as rebuild_from_store

    return rebuild_from_store(store, search_index, department_of_block(municipality), clock=clock)


def department_of_block(municipality: Municipality) -> dict[str, str]:
    """The heat map's block × department axis: the district-wide owner of each block."""
    owners: dict[str, str] = {}
    for department in municipality.departments:
        if department.settlements:
            continue
        for block in department.blocks:
            owners.setdefault(block, department.name)
    return owners


CASES_BATCH = 5000


@dataclass
class CasesRun:
    read: int = 0
    opened: int = 0
    joined: int = 0
    replies: ReplyReport = field(default_factory=ReplyReport)


def cases(
    store: PostStore,
    incidents: IncidentStore,
    municipality: Municipality,
    *,
    salt: str,
    clock: Clock = utc_now,
    batch_size: int = CASES_BATCH,
    progress: Progress = _quiet,
) -> CasesRun:
    """Incidents → the appeals queue, then official answers under case posts, for the analyses
    written since the last run only (``analyses.cases_taken``).

    A batch is marked taken after both steps committed, so a run killed in between reads it again
    (taking a post and a reply is idempotent): nothing is skipped, nothing is doubled."""
    run = CasesRun()
    while (batch := store.awaiting_cases(limit=batch_size)).pairs:
        report = open_cases(store, incidents, municipality, clock=clock, pairs=batch.pairs)
        progress("cases", report.opened + report.joined)
        replies = track_replies(store, incidents, municipality, salt=salt, clock=clock, pairs=batch.pairs)
        store.cases_taken(batch)
        run.read += len(batch.pairs)
        run.opened += report.opened
        run.joined += report.joined
        for item in fields(replies):
            setattr(run.replies, item.name, getattr(run.replies, item.name) + getattr(replies, item.name))
        if len(batch.pairs) < batch_size:
            break
    return run


def open_cases(
    store: PostStore,
    incidents: IncidentStore,
    municipality: Municipality,
    *,
    clock: Clock = utc_now,
    limit: int = 5000,
    pairs: list[tuple[Post, Analysis]] | None = None,
) -> CaseReport:
    """Cases for the incident posts among ``pairs`` (by default the latest ``limit`` analysed)."""
    chosen = store.analysed(limit=limit) if pairs is None else pairs
    wanted = [pair for pair in chosen if pair[1].is_incident and not pair[0].is_deleted]
    wanted.sort(key=lambda pair: (pair[0].published_at, pair[0].key))  # posts before their comments
    return incidents.take_incidents(wanted, municipality, clock())


def track_replies(
    store: PostStore,
    incidents: IncidentStore,
    municipality: Municipality,
    *,
    salt: str,
    clock: Clock = utc_now,
    limit: int = 5000,
    pairs: list[tuple[Post, Analysis]] | None = None,
) -> ReplyReport:
    """Official answers, отписки and "still not fixed" in the comments among ``pairs`` (by default
    the latest ``limit`` analysed) under case posts.

    ``salt`` is the installation's author salt: official pages are recognised by the
    pseudonyms their own ids get, so no raw platform id is ever compared."""
    chosen = store.analysed(limit=limit) if pairs is None else pairs
    comments = under_cases(incidents, [post for post, _ in chosen if post.kind is PostKind.COMMENT])
    return take_replies(incidents, comments, municipality, official_authors(municipality, salt), clock())


IN_CHUNK = 900  # keys per IN (…) list, well under SQLite's bound-parameter limit


def under_cases(incidents: IncidentStore, comments: list[Post]) -> list[Post]:
    """The comments that can bear on a case: under or answering a post of one, or answering such a
    comment. One query for all of them, instead of a lookup per comment in ``take_replies``."""
    targets = sorted({key for c in comments for key in (c.parent_key, c.reply_to_key) if key})
    linked: set[str] = set()
    with incidents.db.session() as session:
        for start in range(0, len(targets), IN_CHUNK):
            chunk = targets[start : start + IN_CHUNK]
            linked.update(
                session.scalars(select(IncidentPostRow.post_key).where(IncidentPostRow.post_key.in_(chunk)))
            )
    kept: list[Post] = []
    kept_keys: set[str] = set()
    for comment in sorted(comments, key=lambda c: (c.published_at, c.key)):
        answers = comment.reply_to_key
        if comment.parent_key in linked or answers in linked or answers in kept_keys:
            kept.append(comment)
            kept_keys.add(comment.key)
    return kept


def alerts(
    store: PostStore,
    incidents: IncidentStore,
    alert_store: AlertStore,
    municipality: Municipality,
    *,
    dispatcher: Dispatcher | None = None,
    acks: TelegramAcks | None = None,
    clock: Clock = utc_now,
) -> AlertStepReport:
    """Run the alert rules over analysed posts, open cases and collector health; record what they
    decide in the outbox (idempotent by cause), escalate what nobody acknowledged, read «Принято»
    presses, then send what is due. Without a dispatcher the outbox just waits for the next run."""
    now = clock()
    decided = decide(read_snapshot(store, incidents, municipality, now), municipality, alert_store, now)
    acknowledged = 0
    if acks is not None:
        try:
            acknowledged = acks.poll(lambda alert_id, who: alert_store.acknowledge(alert_id, who, clock()))
        except DeliveryError as error:  # acks come again on the next poll; sending must not wait for them
            log.warning("telegram acknowledgements not read: %s", error)
    sent = dispatcher.run_once() if dispatcher is not None else DispatchReport()
    return AlertStepReport(decided, acknowledged, sent)


@dataclass
class AlertStepReport:
    decided: AlertRun
    acknowledged: int
    dispatched: DispatchReport


def gospabliki(
    db: Database,
    incidents: IncidentStore,
    alert_store: AlertStore,
    municipality: Municipality,
    *,
    salt: str,
    clock: Clock = utc_now,
) -> GospablikiRun:
    """Official pages: complaints under them left unanswered past the deadline become cases (once),
    and silent pages or overdue answers become alerts, recorded before the alerts are delivered."""
    return run_gospabliki(GospablikiStore(db), incidents, alert_store, municipality, clock(), salt=salt)


def gospabliki_subscribers(
    db: Database,
    municipality: Municipality,
    collectors: Mapping[SourceKind, Collector],
    *,
    clock: Clock = utc_now,
) -> SubscribersRun:
    """After a crawl: the subscriber counts of the official pages, through the collectors' own
    clients, so every crawl leaves a point of the subscribers trend (one per page and day)."""
    if not municipality.gospabliki.enabled or not municipality.official_pages:
        return SubscribersRun()
    return record_subscribers(GospablikiStore(db), municipality, readers_from(collectors), clock())


def audiences(
    db: Database,
    municipality: Municipality,
    collectors: Mapping[SourceKind, Collector],
    *,
    clock: Clock = utc_now,
) -> SubscribersRun:
    """After a crawl: the audience of each enabled wall, group and channel not counted yet this local
    day, through the collectors' own clients (the risk score's audience factor)."""
    return record_audiences(GospablikiStore(db), municipality, readers_from(collectors), clock())


def counts_after_crawl(
    db: Database,
    municipality: Municipality,
    collectors: Mapping[SourceKind, Collector],
    *,
    clock: Clock = utc_now,
) -> dict[str, SubscribersRun | str]:
    """Both post-crawl counts for ``infopole crawl`` and the demo (the collect flow runs them as two
    tasks): a failure comes back as its message, never raised — the crawl has already saved its posts,
    and a missing count only leaves the risk score without the audience factor."""
    return {
        what: count_or_error(partial(count, db, municipality, collectors, clock=clock))
        for what, count in (("subscribers", gospabliki_subscribers), ("audiences", audiences))
    }


def count_or_error(count: Callable[[], SubscribersRun]) -> SubscribersRun | str:
    """A post-crawl count, or its failure as a message: a counter must not fail the crawl that has
    already saved its posts (the CLI, the demo and the collect flow's tasks report it)."""
    try:
        return count()
    except Exception as error:  # returned, not raised: see the docstring
        return f"{type(error).__name__}: {error}"


@dataclass
class CaseUpkeepReport:
    answers: AnswerCheckReport
    escalated: list[int]
    webhook: OutboxReport


def case_upkeep(
    db: Database,
    incidents: IncidentStore,
    municipality: Municipality,
    *,
    salt: str,
    webhook_secret: str,
    clock: Clock = utc_now,
    client: httpx.Client | None = None,
) -> CaseUpkeepReport:
    """The cases step after taking posts and replies: check that recorded answers are really on the
    platform and how citizens took them (reopening when the problem persists), record the escalation
    of cases overdue now, then deliver the case webhook's outbox (``cases.webhook_url``; without one
    the events wait). ``webhook_secret`` signs the calls (the installation's alerts secret)."""
    now = clock()
    answers = check_answers(
        ReplyCheckStore(db), incidents, municipality, official_authors(municipality, salt), now
    )
    escalated = escalate_overdue(incidents, municipality, clock())
    policy = municipality.cases
    sent = OutboxReport()
    outbox = CaseEventStore(db)
    outbox.prune(now - timedelta(days=policy.webhook_keep_days), webhook=bool(policy.webhook_url))
    if policy.webhook_url:
        target = WebhookTarget(policy.webhook_url, webhook_secret, policy.webhook_max_attempts)
        own = client is None
        http = client or httpx.Client(timeout=target.timeout_s)
        try:
            sent = outbox.deliver_due(http, target, municipality, clock())
        finally:
            if own:
                http.close()
    return CaseUpkeepReport(answers, escalated, sent)
