"""Prefect flows: thin orchestration over ``flows.steps``, ``flows.recovery`` and ``flows.reindex``.

One flow per job, each deployable on its own schedule (``flows.serve``):

==========  ==================================================================================
collect     one task per enabled source, run side by side within the global concurrency limits
            per platform and per credential; each batch is saved with its cursor
analyse     batches of pending posts; scoring is cached by (posts and their texts, model id)
index       bounded batches of analysed posts into the search index
cases       incidents → appeals queue, then official answers under case posts
alerts      decide alerts (database only), then deliver them (I/O, retried)
reports     the weekly note (Monday 08:00 local time), cached per week
reindex     re-analyse everything and rebuild the index beside the live one, then swap
discover    candidate sources from the settlement names, stored for the administrator (weekly)
health      database, index, queues, sources and dead letters at a glance
cycle       collect → analyse → index → cases → alerts once (``infopole run --once``)
==========  ==================================================================================

A collect run that stored something (``downstream=True``, as the deployment runs it when
``schedule.collect_downstream`` is on) ends by running analyse → index → cases → alerts as
subflows right away, so a new post is alerted within one polling interval instead of waiting
for each step's own schedule; those subflows take the same one-slot limits as the scheduled
runs, which stay as catch-up.

Every step reads its pending work from the database and marks what it finished, so a flow killed
at any point (``kill -9``) and run again completes the work with nothing lost or duplicated.
Only I/O tasks retry (backoff, jitter, never on a bad credential or a bad request). The steps
that must not run twice at once (analyse, index, cases, alerts, reindex) hold a one-slot global
concurrency limit, so any number of workers can pick up their runs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import IntegrityError

from crawlers.base import AuthError, BadRequest, CollectorError, SourceUnavailable
from flows import recovery, steps
from infopole.config.settings import Settings
from infopole.domain.analysis import Analysis
from infopole.domain.post import Platform, Post
from infopole.domain.source import Source
from infopole.domain.spread import Spread
from infopole.gospabliki.subscribers import SubscribersRun
from infopole.runtime import Runtime, quiet_third_parties
from infopole.storage.deadletters import DeadLetterStore
from infopole.storage.queues import pending_index_count

if TYPE_CHECKING:
    from prefect import Task
    from prefect.client.schemas.objects import State, TaskRun

    from crawlers.discovery.run import DiscoveryRun
    from nlp.analyzer import Analyzer

log = logging.getLogger(__name__)

LEASE_SECONDS = 60  # a killed holder frees its concurrency slot after this long
SAME_POST_ATTEMPTS = 3


# --- the process's objects -------------------------------------------------------------------


@lru_cache(maxsize=4)
def _analyzer(
    municipality_file: str, mtime: float, checkpoints: tuple[tuple[str, Path], ...] = ()
) -> Analyzer:
    """The models load once per process (a worker or a served runner), not once per flow run."""
    from infopole.config.municipality import load_municipality
    from nlp.analyzer import Analyzer

    return Analyzer.load(load_municipality(Path(municipality_file)), checkpoints=dict(checkpoints))


@contextmanager
def open_runtime(municipality_file: str, data_dir: str) -> Iterator[Runtime]:
    quiet_third_parties()
    runtime = Runtime(Settings(municipality_file=Path(municipality_file), data_dir=Path(data_dir)))
    try:
        yield runtime
    finally:
        runtime.close()


def analyzer_of(runtime: Runtime) -> Analyzer:
    path = runtime.settings.municipality_file
    assert path is not None
    checkpoints = tuple(sorted(runtime.settings.nlp_checkpoints.items()))
    return _analyzer(str(Path(path).resolve()), Path(path).stat().st_mtime, checkpoints)


def dead_letters(runtime: Runtime) -> DeadLetterStore:
    return DeadLetterStore(runtime.db, max_attempts=runtime.municipality.schedule.dead_letter_after)


# --- concurrency limit names (created by ``flows.serve.ensure_limits``) ------------------------


def step_limit(slug: str, step: str) -> str:
    return f"infopole-{slug}-step-{step}"


def platform_limit(slug: str, platform: Platform) -> str:
    return f"infopole-{slug}-platform-{platform.value}"


def source_limit(slug: str, source_id: str) -> str:
    return f"infopole-{slug}-source-{source_id}"


def token_limit(settings: Settings, platform: Platform) -> str | None:
    """One limit per credential, named by a digest of it: the token itself never leaves the process."""
    secret = {
        Platform.VK: settings.vk_token,
        Platform.OK: settings.ok_access_token,
        Platform.TELEGRAM: settings.telegram_session,
    }.get(platform)
    if secret is None:
        return None
    digest = hashlib.sha256(secret.get_secret_value().encode()).hexdigest()[:12]
    return f"infopole-token-{platform.value}-{digest}"


def source_limits(runtime: Runtime, source: Source) -> list[str]:
    slug = runtime.municipality.slug
    names = [source_limit(slug, source.id), platform_limit(slug, source.platform)]
    token = token_limit(runtime.settings, source.platform)
    if token is not None:
        names.append(token)
    return names


@contextmanager
def singleton(runtime: Runtime, step: str) -> Iterator[None]:
    """At most one run of ``step`` per municipality at a time, across every worker."""
    with concurrency(step_limit(runtime.municipality.slug, step), lease_duration=LEASE_SECONDS):
        yield


# --- retries: I/O only ------------------------------------------------------------------------

NOT_RETRIED: tuple[type[BaseException], ...] = (AuthError, BadRequest, SourceUnavailable)


def retry_io(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry transport and platform hiccups; never a bad credential, a bad request or a closed source."""
    try:
        state.result()
    except NOT_RETRIED:
        return False
    except Exception:  # anything else from an I/O task: worth another try
        return True
    return True


IO_RETRIES: dict[str, Any] = {
    "retries": 4,
    "retry_delay_seconds": exponential_backoff(backoff_factor=10),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": retry_io,
}


# --- collect ----------------------------------------------------------------------------------


@task(cache_policy=NO_CACHE, **IO_RETRIES)
def collect_source(runtime: Runtime, source_id: str) -> dict[str, int]:
    source = next(s for s in runtime.municipality.sources if s.id == source_id)
    collector = runtime.collectors[source.kind]
    saved = steps.SaveReport()
    with concurrency(source_limits(runtime, source), lease_duration=LEASE_SECONDS):
        for attempt in range(SAME_POST_ATTEMPTS):
            try:
                steps.crawl_source(
                    source, collector, runtime.posts, saved, progress=recovery.counting("collect")
                )
                break
            except IntegrityError:
                # another source saved the same post at the same moment; this batch was rolled back
                # and the cursor not moved, so reading on from the stored cursor loses nothing
                if attempt == SAME_POST_ATTEMPTS - 1:
                    raise
            except CollectorError as error:
                runtime.posts.record_failure(source.id, steps.utc_now(), f"{type(error).__name__}: {error}")
                raise
    return {"new": saved.new, "edited": saved.edited, "deleted": saved.deleted}


def _count_after_crawl(what: str, count: Callable[[], SubscribersRun]) -> dict[str, Any]:
    """A post-crawl count's summary; a failure is reported, never fatal to the crawl."""
    done = steps.count_or_error(count)
    if isinstance(done, str):
        get_run_logger().warning("%s not recorded: %s", what, done)
        return {"recorded": 0, "failed": {"all": done}}
    return {"recorded": len(done.recorded), "failed": dict(done.failed)}


@task(cache_policy=NO_CACHE)
def snapshot_subscribers(runtime: Runtime) -> dict[str, Any]:
    """Subscriber counts of the official pages after the crawl (госпаблики)."""
    return _count_after_crawl(
        "subscribers",
        lambda: steps.gospabliki_subscribers(runtime.db, runtime.municipality, runtime.collectors),
    )


@task(cache_policy=NO_CACHE)
def snapshot_audiences(runtime: Runtime) -> dict[str, Any]:
    """The audience of the walls, groups and channels not yet counted today (the risk score's
    audience factor)."""
    return _count_after_crawl(
        "audiences", lambda: steps.audiences(runtime.db, runtime.municipality, runtime.collectors)
    )


@flow(name="infopole-collect", log_prints=True)
def collect_flow(
    municipality_file: str, data_dir: str, sources: list[str] | None = None, downstream: bool = False
) -> dict[str, Any]:
    """Collect every enabled source (or only ``sources``) side by side; a failing source is reported
    and the others go on. With ``downstream``, what was stored is analysed, indexed, taken into
    cases and alerted at once (``downstream_flows``) instead of at the steps' next scheduled runs."""
    with open_runtime(municipality_file, data_dir) as runtime:
        runtime.posts  # noqa: B018 - built before the threads share them
        collectors = runtime.collectors
        summary: dict[str, Any] = {"new": 0, "edited": 0, "deleted": 0, "failed": {}, "skipped": {}}
        futures = {}
        for source in runtime.municipality.sources:
            if not source.enabled or (sources is not None and source.id not in sources):
                continue
            if source.kind not in collectors:
                summary["skipped"][source.id] = f"нет настроенного сборщика для {source.kind.value}"
                continue
            run = collect_source.with_options(
                task_run_name=f"collect-{source.id}", tags=[f"platform:{source.platform.value}"]
            )
            futures[source.id] = run.submit(runtime, source.id)
        for source_id, future in futures.items():
            result = future.result(raise_on_failure=False)
            if isinstance(result, BaseException):
                summary["failed"][source_id] = f"{type(result).__name__}: {result}"
                continue
            for key in ("new", "edited", "deleted"):
                summary[key] += result[key]
        official = {page.source for page in runtime.municipality.official_pages}
        if sources is None or official & set(sources):
            summary["subscribers"] = snapshot_subscribers(runtime)
        summary["audiences"] = snapshot_audiences(runtime)
    get_run_logger().info("collected: %s", summary)
    if downstream and summary["new"] + summary["edited"] + summary["deleted"]:
        summary["downstream"] = downstream_flows(municipality_file, data_dir)
    return summary


def downstream_flows(municipality_file: str, data_dir: str) -> dict[str, Any]:
    """Analyse → index → cases → alerts (with dispatch) as subflows, each under its one-slot limit:
    a scheduled run of the same step holding the slot is waited for, and whatever it already did
    is not done again (every step reads its pending work by ids). A failing step is reported and
    the next goes on — its items stay pending for the scheduled catch-up run."""
    done: dict[str, Any] = {}
    chain = (
        ("analyse", analyse_flow),
        ("index", index_flow),
        ("cases", cases_flow),
        ("alerts", alerts_flow),
    )
    for name, step in chain:
        result = step(municipality_file, data_dir, return_state=True)
        if result.is_completed():
            done[name] = result.result()
        else:
            done[name] = {"failed": str(result.message or result.type.value)}
            get_run_logger().warning("downstream %s left to its schedule: %s", name, done[name]["failed"])
    return done


# --- analyse ----------------------------------------------------------------------------------


def scoring_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """The work, not the run: which posts in which revision, which models, and which municipality
    file (its settlements, streets and officials shape the analysis)."""
    posts: list[Post] = parameters["posts"]
    spreads: Mapping[str, Spread] = parameters.get("spreads") or {}
    parents: Mapping[str, Post] = parameters.get("parents") or {}
    digest = hashlib.sha256()
    for post in posts:
        digest.update(f"{post.key}\x1f{post.content_hash}\x1e".encode())
        spread = spreads.get(post.key)
        if spread is not None:  # the risk score's growth and audience depend on them
            digest.update(f"{spread.observed_at}\x1f{spread.audience}\x1e".encode())
        parent = parents.get(post.parent_key or "")
        if parent is not None:  # a comment is read under its post (``nlp.thread``)
            digest.update(f"{parent.key}\x1f{parent.content_hash}\x1e".encode())
    # "v3": analyses cached without their stories (``Analyzer.join_stories``), comments read in their thread
    return f"score-v3-{parameters['model_id']}-{parameters['setting']}-{digest.hexdigest()[:32]}"


@task(cache_key_fn=scoring_key, persist_result=True, cache_expiration=timedelta(days=2))
def score(
    runtime: Runtime,
    posts: list[Post],
    model_id: str,
    setting: str,
    spreads: Mapping[str, Spread] | None = None,
    parents: Mapping[str, Post] | None = None,
) -> list[Analysis]:
    # stories depend on the run: not cached
    return analyzer_of(runtime).map(posts, spreads, stories=False, parents=parents)


class _CachedScoring:
    """The analyzer as ``recovery.analyse`` sees it, each batch through the cached ``score`` task."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.model_id = analyzer_of(runtime).model_id
        path = runtime.settings.municipality_file
        assert path is not None
        self.setting = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]

    def map(
        self,
        posts: list[Post],
        spreads: Mapping[str, Spread] | None = None,
        *,
        parents: Mapping[str, Post] | None = None,
    ) -> list[Analysis]:
        analyses = score(self.runtime, posts, self.model_id, self.setting, spreads, parents)
        # stories after the cache: a cached batch was analysed in another run (another data
        # directory, a run that crashed), against another story index
        return analyzer_of(self.runtime).join_stories(posts, analyses)


@flow(name="infopole-analyse", log_prints=True)
def analyse_flow(municipality_file: str, data_dir: str) -> dict[str, Any]:
    with open_runtime(municipality_file, data_dir) as runtime, singleton(runtime, "analyse"):
        plan = runtime.municipality.schedule
        steps.remember_recent(runtime.posts, analyzer_of(runtime))  # duplicates and stories across runs
        run = recovery.analyse(
            runtime.posts,
            _CachedScoring(runtime),
            dead_letters(runtime),
            batch_size=plan.analyse_batch,
            max_batches=plan.max_batches_per_run,
            backlog_max=plan.index_backlog_max,
            pending_index=lambda: pending_index_count(runtime.db),
            progress=recovery.counting("analyse"),
        )
    summary = {
        "analysed": run.analysed,
        "failed": run.failed,
        "dead": run.dead,
        "paused": run.paused_for_index,
    }
    get_run_logger().info("analysed: %s", summary)
    return summary


# --- index ------------------------------------------------------------------------------------


@task(cache_policy=NO_CACHE, **IO_RETRIES)
def index_batches(runtime: Runtime) -> dict[str, Any]:
    plan = runtime.municipality.schedule
    run = recovery.index(
        runtime.posts,
        runtime.index,
        runtime.municipality,
        dead_letters(runtime),
        batch_size=plan.index_batch,
        max_batches=plan.max_batches_per_run,
        progress=recovery.counting("index"),
    )
    return {"indexed": run.indexed, "failed": len(run.failed)}


@flow(name="infopole-index", log_prints=True)
def index_flow(municipality_file: str, data_dir: str) -> dict[str, Any]:
    with open_runtime(municipality_file, data_dir) as runtime, singleton(runtime, "index"):
        summary = index_batches(runtime)
    get_run_logger().info("indexed: %s", summary)
    return summary


# --- cases ------------------------------------------------------------------------------------


@task(cache_policy=NO_CACHE)
def take_cases(runtime: Runtime) -> dict[str, int]:
    """The analyses written since the last run: incidents → the queue, answers under case posts."""
    salt = runtime.settings.author_salt.get_secret_value()
    run = steps.cases(
        runtime.posts,
        runtime.incidents,
        runtime.municipality,
        salt=salt,
        progress=recovery.counting("cases"),
    )
    return {
        "read": run.read,
        "opened": run.opened,
        "joined": run.joined,
        "answered": run.replies.answers + run.replies.interim,
        "formal": run.replies.formal,
    }


@task(cache_policy=NO_CACHE)
def case_upkeep(runtime: Runtime) -> dict[str, int]:
    """Answers checked against the crawl (verified, reactions, reopening), overdue cases escalated,
    the case webhook's outbox delivered; one summary line in the run's log."""
    from infopole.alerts.run import alerts_secret

    report = steps.case_upkeep(
        runtime.db,
        runtime.incidents,
        runtime.municipality,
        salt=runtime.settings.author_salt.get_secret_value(),
        webhook_secret=alerts_secret(runtime.settings).decode(),
    )
    summary = {
        "answers_checked": report.answers.checked,
        "answers_unverified": report.answers.not_found + report.answers.removed,
        "reopened": report.answers.reopened,
        "escalated": len(report.escalated),
        "webhook_delivered": report.webhook.delivered,
        "webhook_failed": report.webhook.failed + report.webhook.dead,
    }
    get_run_logger().info("case upkeep: %s", summary)
    return summary


@flow(name="infopole-cases", log_prints=True)
def cases_flow(municipality_file: str, data_dir: str) -> dict[str, int]:
    with open_runtime(municipality_file, data_dir) as runtime, singleton(runtime, "cases"):
        taken = take_cases(runtime)
        case_upkeep(runtime)
    summary = {"opened": taken["opened"], "joined": taken["joined"], "answered": taken["answered"]}
    get_run_logger().info("cases: %s (%d analyses read)", summary, taken["read"])
    return summary


# --- alerts -----------------------------------------------------------------------------------


@task(cache_policy=NO_CACHE)
def decide_alerts(runtime: Runtime) -> dict[str, int]:
    """Rules → the outbox, idempotent by cause; nothing leaves the machine here."""
    salt = runtime.settings.author_salt.get_secret_value()
    steps.gospabliki(runtime.db, runtime.incidents, runtime.alerts, runtime.municipality, salt=salt)
    report = steps.alerts(runtime.posts, runtime.incidents, runtime.alerts, runtime.municipality)
    recovery.crash_point("alerts", report.decided.recorded.new)
    return {"new": report.decided.recorded.new, "updates": report.decided.recorded.updates}


@task(cache_policy=NO_CACHE, **IO_RETRIES)
def deliver_alerts(runtime: Runtime) -> dict[str, int]:
    """«Принято» presses, then the due messages of the outbox (each delivery claimed once)."""
    from infopole.alerts.run import telegram_acks

    acks = telegram_acks(runtime.settings, runtime.municipality)
    acknowledged = 0
    if acks is not None:
        acknowledged = acks.poll(
            lambda alert_id, who: runtime.alerts.acknowledge(alert_id, who, steps.utc_now())
        )
    sent = runtime.dispatcher.run_once()
    return {"acknowledged": acknowledged, "sent": sent.sent, "failed": sent.failed}


@flow(name="infopole-alerts", log_prints=True)
def alerts_flow(municipality_file: str, data_dir: str) -> dict[str, int]:
    with open_runtime(municipality_file, data_dir) as runtime, singleton(runtime, "alerts"):
        decided = decide_alerts(runtime)
        delivered = deliver_alerts(runtime)
    summary = {"new": decided["new"], "sent": delivered["sent"]}
    get_run_logger().info("alerts: %s", summary)
    return summary


# --- reports ----------------------------------------------------------------------------------


def report_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """One report per kind, municipality, installation and local day it is made on, whoever asks."""
    return (
        f"report-{parameters['kind']}-{parameters['slug']}-{parameters['installation']}-{parameters['day']}"
    )


def installation(runtime: Runtime) -> str:
    """Which data a report is made from and where it goes: a digest, so no URL or password is kept."""
    where = f"{runtime.settings.data_dir.resolve()}|{runtime.settings.sqlalchemy_url}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]


@task(cache_key_fn=report_key, persist_result=True, **IO_RETRIES)
def write_report(
    runtime: Runtime, kind: str, slug: str, installation: str, day: str, as_of: datetime
) -> list[str]:
    from flows.reporting import write_report as write

    return [str(path) for path in write(runtime, kind, as_of)]


@flow(name="infopole-reports", log_prints=True)
def reports_flow(
    municipality_file: str, data_dir: str, kind: str = "weekly", as_of: datetime | None = None
) -> list[str]:
    """The weekly note (or the quarterly report) for the last full period before ``as_of``."""
    as_of = as_of or datetime.now(UTC)
    with open_runtime(municipality_file, data_dir) as runtime:
        day = as_of.astimezone(runtime.municipality.tz).date().isoformat()
        args = (runtime, kind, runtime.municipality.slug, installation(runtime), day, as_of)
        files = write_report(*args)
        if not all(Path(name).exists() for name in files):  # deleted since: the cache must not hide it
            files = write_report.with_options(refresh_cache=True)(*args)
    get_run_logger().info("%s report: %s", kind, files)
    return files


# --- reindex and health -------------------------------------------------------------------------


@flow(name="infopole-reindex", log_prints=True)
def reindex_flow(municipality_file: str, data_dir: str) -> dict[str, Any]:
    """After a model update: re-analyse every post and rebuild the index beside the live one, then
    swap. Searches keep answering from the old index until the swap."""
    from flows.reindex import reindex

    with (
        open_runtime(municipality_file, data_dir) as runtime,
        singleton(runtime, "reindex"),
        singleton(runtime, "analyse"),
    ):
        report = reindex(runtime, analyzer_of(runtime), progress=recovery.counting("reindex"))
    get_run_logger().info("reindexed: %s", report)
    return report.as_dict()


@flow(name="infopole-health", log_prints=True)
def health_flow(municipality_file: str, data_dir: str) -> dict[str, Any]:
    from flows.health import check

    with open_runtime(municipality_file, data_dir) as runtime:
        report = check(runtime)
    logger = get_run_logger()
    for problem in report["problems"]:
        logger.warning("health: %s", problem)
    if report["fatal"]:
        raise RuntimeError("; ".join(report["fatal"]))
    return report


# --- discover -------------------------------------------------------------------------------


@task(cache_policy=NO_CACHE, **IO_RETRIES)
def search_candidates(runtime: Runtime, platforms: list[str]) -> DiscoveryRun:
    from flows.discovery import search

    return search(runtime, platforms)


@flow(name="infopole-discover", log_prints=True)
def discover_flow(
    municipality_file: str, data_dir: str, platforms: list[str] | None = None
) -> dict[str, Any]:
    """Candidate sources from the settlement names (VK, OK, Telegram), stored for the administrator;
    a re-run updates what it finds again and keeps every decision."""
    from flows.discovery import PLATFORMS, store

    with open_runtime(municipality_file, data_dir) as runtime:
        found = search_candidates(runtime, list(platforms or PLATFORMS))
        report = store(runtime, found, steps.utc_now())
    logger = get_run_logger()
    for name, reason in report.skipped.items():
        logger.warning("discover: %s not searched: %s", name, reason)
    logger.info("discovered: %s", report.as_dict())
    return report.as_dict()


# --- one whole cycle --------------------------------------------------------------------------


@flow(name="infopole-cycle", log_prints=True)
def cycle_flow(municipality_file: str, data_dir: str) -> dict[str, Any]:
    """Collect → analyse → index → cases → alerts, once (each as a subflow; the later ones run even
    when nothing new was collected, to finish what an earlier run left)."""
    crawled = collect_flow(municipality_file, data_dir, downstream=False)
    analysed = analyse_flow(municipality_file, data_dir)
    indexed = index_flow(municipality_file, data_dir)
    cases = cases_flow(municipality_file, data_dir)
    alerted = alerts_flow(municipality_file, data_dir)
    summary = {
        "crawl": crawled,
        "analysed": analysed["analysed"],
        "indexed": indexed["indexed"],
        "cases": cases,
        "alerts": alerted,
    }
    get_run_logger().info("cycle finished: %s", summary)
    return summary
