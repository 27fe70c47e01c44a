"""Prefect flows: thin orchestration over ``flows.steps``.

The flow only decides order, retries and logging; every step is a plain function that
tests call directly. Deployments and schedules per step come with the flows issue; for now
one flow runs the whole cycle, and ``serve_cycle`` runs it on an interval.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import steps
from infopole.config.settings import Settings
from infopole.runtime import Runtime, quiet_third_parties


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[10, 60], retry_jitter_factor=0.5)
def crawl_task(runtime: Runtime) -> dict[str, Any]:
    report = steps.crawl(runtime.municipality, runtime.posts, runtime.collectors)
    return {
        "new": report.saved.new,
        "edited": report.saved.edited,
        "failed": report.sources_failed,
        "skipped": report.sources_skipped,
    }


@task(cache_policy=NO_CACHE)
def analyse_task(runtime: Runtime) -> int:
    return steps.analyse(runtime.posts, runtime.analyzer)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[5, 30, 120])
def index_task(runtime: Runtime) -> int:
    run = steps.index(runtime.posts, runtime.index, runtime.municipality)
    if run.failed:  # the failed ones stay pending; a retry of the task picks them up
        raise RuntimeError(f"{len(run.failed)} documents were not indexed: {list(run.failed)[:5]}")
    return run.indexed


@task(cache_policy=NO_CACHE)
def cases_task(runtime: Runtime) -> dict[str, int]:
    report = steps.open_cases(runtime.posts, runtime.incidents, runtime.municipality)
    salt = runtime.settings.author_salt.get_secret_value()
    replies = steps.track_replies(runtime.posts, runtime.incidents, runtime.municipality, salt=salt)
    return {"opened": report.opened, "joined": report.joined, "answered": replies.answers + replies.interim}


@task(cache_policy=NO_CACHE)
def alerts_task(runtime: Runtime) -> dict[str, int]:
    from infopole.alerts.run import telegram_acks

    report = steps.alerts(
        runtime.posts,
        runtime.incidents,
        runtime.alerts,
        runtime.municipality,
        dispatcher=runtime.dispatcher,
        acks=telegram_acks(runtime.settings, runtime.municipality),
    )
    return {"new": report.decided.recorded.new, "sent": report.dispatched.sent}


@flow(name="infopole-cycle", log_prints=True)
def cycle_flow(municipality_file: str, data_dir: str) -> dict[str, Any]:
    """Collect → analyse → index → cases → alerts, once."""
    settings = Settings(municipality_file=Path(municipality_file), data_dir=Path(data_dir))
    runtime = Runtime(settings)
    try:
        crawled = crawl_task(runtime)
        analysed = analyse_task(runtime)
        indexed = index_task(runtime)
        opened = cases_task(runtime)
        alerted = alerts_task(runtime)
    finally:
        runtime.close()
    summary = {"crawl": crawled, "analysed": analysed, "indexed": indexed, "cases": opened, "alerts": alerted}
    get_run_logger().info("cycle finished: %s", summary)
    return summary


def serve_cycle(municipality_file: str, data_dir: str, interval_minutes: int = 10) -> None:
    quiet_third_parties()
    cycle_flow.serve(
        name="infopole-cycle",
        interval=timedelta(minutes=interval_minutes),
        parameters={"municipality_file": municipality_file, "data_dir": data_dir},
        pause_on_shutdown=False,
    )
