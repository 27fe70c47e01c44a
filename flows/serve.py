"""Every deployment of one municipality, with the schedules of its ``schedule:`` section, served
from one process: ``serve(*deployments(...), pause_on_shutdown=False)``.

Each interval flow is a deployment whose runs wait their turn (``ENQUEUE``): one at a time, and
for ``collect`` as many as ``schedule.per_platform`` (the sources inside take global concurrency
slots per platform, per credential and per source); reports follow cron lines read in the
municipality's time zone, and so does ``discover`` (weekly); ``reindex`` has no schedule and is
started by hand after a model update. The runs of a schedule are created by the Prefect server's
scheduler service (``tests/test_flows_schedule.py`` checks it does, on a real ``prefect server start``).
The same deployments can be sent to a work pool instead (``flows.serve.deploy_to_pool``), for a
Prefect server with several workers: see docs/flows.md.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from prefect import Flow, serve
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows import pipeline
from infopole.config.municipality import Municipality, load_municipality
from infopole.config.settings import Settings
from infopole.domain.post import Platform
from infopole.runtime import Runtime, quiet_third_parties

SINGLE_STEPS = ("analyse", "index", "cases", "alerts", "reindex")
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def deployments(
    municipality_file: str, data_dir: str, *, entrypoint_type: EntrypointType = EntrypointType.FILE_PATH
) -> list[RunnerDeployment]:
    municipality = load_municipality(Path(municipality_file))
    plan = municipality.schedule
    slug = municipality.slug
    parameters: dict[str, Any] = {"municipality_file": municipality_file, "data_dir": data_dir}
    every: dict[str, tuple[Flow[..., Any], int]] = {
        "collect": (pipeline.collect_flow, plan.collect_minutes),
        "analyse": (pipeline.analyse_flow, plan.analyse_minutes),
        "index": (pipeline.index_flow, plan.index_minutes),
        "cases": (pipeline.cases_flow, plan.cases_minutes),
        "alerts": (pipeline.alerts_flow, plan.alerts_minutes),
        "health": (pipeline.health_flow, plan.health_minutes),
    }
    side_by_side = ConcurrencyLimitConfig(
        limit=plan.per_platform, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
    )
    common: dict[str, Any] = {"tags": ["infopole", slug], "entrypoint_type": entrypoint_type}
    result: list[RunnerDeployment] = []
    for name, (flow, minutes) in every.items():
        interval = timedelta(minutes=minutes) if minutes else None
        deployment = flow.to_deployment(
            name=f"{slug}-{name}",
            interval=interval,
            parameters={**parameters, "downstream": plan.collect_downstream}
            if name == "collect"
            else parameters,
            concurrency_limit=side_by_side if name == "collect" else ONE_AT_A_TIME,
            **common,
        )
        result.append(cast(RunnerDeployment, deployment))
    for kind, cron in (("weekly", plan.weekly_report_cron), ("quarterly", plan.quarterly_report_cron)):
        deployment = pipeline.reports_flow.to_deployment(
            name=f"{slug}-{kind}-report",
            schedules=[Cron(cron, timezone=municipality.timezone)],
            parameters={**parameters, "kind": kind},
            **common,
        )
        result.append(cast(RunnerDeployment, deployment))
    if plan.discover_cron:
        deployment = pipeline.discover_flow.to_deployment(
            name=f"{slug}-discover",
            schedules=[Cron(plan.discover_cron, timezone=municipality.timezone)],
            parameters=parameters,
            concurrency_limit=ONE_AT_A_TIME,
            **common,
        )
        result.append(cast(RunnerDeployment, deployment))
    deployment = pipeline.reindex_flow.to_deployment(
        name=f"{slug}-reindex", parameters=parameters, concurrency_limit=ONE_AT_A_TIME, **common
    )
    result.append(cast(RunnerDeployment, deployment))
    return result


def concurrency_limits(municipality: Municipality, settings: Settings) -> dict[str, int]:
    """The global concurrency limits the flows take slots from: name → slots."""
    plan = municipality.schedule
    limits = {pipeline.step_limit(municipality.slug, step): 1 for step in SINGLE_STEPS}
    for platform in sorted({source.platform for source in municipality.sources}, key=lambda p: p.value):
        limits[pipeline.platform_limit(municipality.slug, platform)] = plan.per_platform
    for source in municipality.sources:
        limits[pipeline.source_limit(municipality.slug, source.id)] = 1
    for platform in Platform:
        token = pipeline.token_limit(settings, platform)
        if token is not None:
            limits[token] = plan.per_token
    return limits


def ensure_limits(municipality: Municipality, settings: Settings) -> dict[str, int]:
    """Create or update the limits on the Prefect server (idempotent)."""
    limits = concurrency_limits(municipality, settings)
    with get_client(sync_client=True) as client:
        for name, slots in limits.items():
            client.upsert_global_concurrency_limit_by_name(name, slots)
    return limits


def migrate(settings: Settings) -> None:
    """Bring the database schema up to date once, before runs start side by side (each run would
    otherwise race to migrate a fresh database)."""
    runtime = Runtime(settings)
    try:
        runtime.db  # noqa: B018 - opening the database applies the migrations
    finally:
        runtime.close()


def serve_all(municipality_file: str, data_dir: str) -> None:
    """Run every deployment of the municipality from this process until stopped (Ctrl+C)."""
    quiet_third_parties()
    settings = Settings(municipality_file=Path(municipality_file), data_dir=Path(data_dir))
    municipality = load_municipality(Path(municipality_file))
    migrate(settings)
    ensure_limits(municipality, settings)
    serve(*deployments(municipality_file, data_dir), pause_on_shutdown=False)


def deploy_to_pool(municipality_file: str, data_dir: str, work_pool: str) -> dict[str, str]:
    """Register the same deployments on a work pool, for ``prefect worker start --pool …`` on any
    machine with Infopole installed and the same database; returns deployment name → id.

    Entry points are module paths (``flows.pipeline.collect_flow``), so a worker needs the
    package, not this checkout's directory layout."""
    settings = Settings(municipality_file=Path(municipality_file), data_dir=Path(data_dir))
    migrate(settings)
    ensure_limits(load_municipality(Path(municipality_file)), settings)
    ids: dict[str, str] = {}
    for deployment in deployments(municipality_file, data_dir, entrypoint_type=EntrypointType.MODULE_PATH):
        ids[deployment.name] = str(deployment.apply(work_pool_name=work_pool))
    return ids
