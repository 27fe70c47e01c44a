"""Prometheus metrics of the pipeline, read from the database at each scrape.

Reading the database rather than counting in memory means every process answers the same:
flow runs live in short child processes and on several workers, and a counter kept in one of
them would vanish with it. Rates come from Prometheus (``rate(infopole_posts_analysed[5m])``
is posts analysed per second per source).

Exposed two ways:

- ``infopole metrics --port 9108`` serves ``/metrics`` on its own;
- ``metrics_router(runtime)`` is a FastAPI router the dashboard mounts:
  ``app.include_router(metrics_router(runtime))`` → ``GET /metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from infopole.runtime import Runtime

if TYPE_CHECKING:
    from fastapi import APIRouter
from infopole.storage.deadletters import DeadLetterStore
from infopole.storage.queues import lag_histogram, open_cases, per_source, queue_sizes

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class PipelineCollector(Collector):
    def __init__(self, runtime: Runtime, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.runtime = runtime
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        db = self.runtime.db
        now = self.clock()
        collected = CounterMetricFamily(
            "infopole_posts_collected", "Новых публикаций собрано / new items collected", labels=["source"]
        )
        stored = GaugeMetricFamily(
            "infopole_posts_stored", "Публикаций в базе / items stored", labels=["source"]
        )
        analysed = CounterMetricFamily(
            "infopole_posts_analysed", "Проанализировано (текущие версии) / analysed", labels=["source"]
        )
        indexed = CounterMetricFamily(
            "infopole_posts_indexed", "В поисковом индексе / in the search index", labels=["source"]
        )
        errors = CounterMetricFamily(
            "infopole_source_errors", "Ошибок сбора / collection failures", labels=["source"]
        )
        last_success = GaugeMetricFamily(
            "infopole_source_last_success_timestamp_seconds", "Последний успешный сбор", labels=["source"]
        )
        for source_id, figures in sorted(per_source(db).items()):
            collected.add_metric([source_id], figures.collected_total)
            stored.add_metric([source_id], figures.stored)
            analysed.add_metric([source_id], figures.analysed)
            indexed.add_metric([source_id], figures.indexed)
            errors.add_metric([source_id], figures.errors_total)
            if figures.last_success_at is not None:
                last_success.add_metric([source_id], figures.last_success_at.timestamp())
        yield from (collected, stored, analysed, indexed, errors, last_success)

        queues = queue_sizes(db)
        size = GaugeMetricFamily("infopole_queue_size", "Ждут шага / waiting for a step", labels=["queue"])
        size.add_metric(["analyse"], queues.pending_analyse)
        size.add_metric(["index"], queues.pending_index)
        yield size
        oldest = GaugeMetricFamily(
            "infopole_queue_oldest_seconds",
            "Возраст самой старой ждущей публикации / age of the oldest waiting item",
            labels=["queue"],
        )
        for queue, moment in (
            ("analyse", queues.oldest_pending_analyse),
            ("index", queues.oldest_pending_index),
        ):
            oldest.add_metric([queue], max(0.0, (now - moment).total_seconds()) if moment else 0.0)
        yield oldest

        lag = lag_histogram(db, now)
        histogram = HistogramMetricFamily(
            "infopole_publication_to_index_seconds",
            "От публикации до анализа и индекса (за сутки) / publication to analysed and indexed, last 24 h",
        )
        histogram.add_metric(
            [],
            buckets=[(_bound(b), count) for b, count in lag.buckets] + [("+Inf", lag.count)],
            sum_value=lag.sum_seconds,
        )
        yield histogram

        dead = GaugeMetricFamily(
            "infopole_dead_letters",
            "Элементы, на которых шаг падает / items a step keeps failing on",
            labels=["step", "state"],
        )
        for (step, is_dead), count in sorted(DeadLetterStore(db).counts().items()):
            dead.add_metric([step, "dead" if is_dead else "retrying"], count)
        yield dead
        cases = GaugeMetricFamily("infopole_cases_open", "Открытых инцидентов / open cases")
        cases.add_metric([], open_cases(db))
        yield cases


def _bound(seconds: float) -> str:
    return f"{seconds:g}"


def registry_for(runtime: Runtime) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(runtime))
    return registry


def render(runtime: Runtime) -> bytes:
    return generate_latest(registry_for(runtime))


def metrics_router(runtime: Runtime) -> APIRouter:
    """``GET /metrics`` for the dashboard's FastAPI app (no sign-in: bind it to a private network)."""
    from fastapi import APIRouter, Response

    router = APIRouter()
    registry = registry_for(runtime)

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE)

    return router


def serve_metrics(runtime: Runtime, host: str, port: int) -> None:
    """Serve ``/metrics`` until interrupted (``infopole metrics``)."""
    from wsgiref.simple_server import make_server

    from prometheus_client import make_wsgi_app

    server = make_server(host, port, make_wsgi_app(registry_for(runtime)))
    try:
        server.serve_forever()
    finally:
        server.server_close()
