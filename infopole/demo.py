"""``infopole demo``: the whole pipeline offline, on a realistic information field.

A local server speaking the VK API wire format serves the walls of Кингисеппский район
(the example municipality); the real crawler code collects them through the real vk_api
library, then the posts are analysed, indexed in the embedded store, turned into cases,
and shown on the dashboard.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pydantic import SecretStr

from infopole.config.municipality import load_municipality
from infopole.config.settings import IndexBackend, Settings
from infopole.runtime import Runtime

DEMO_TOKEN = "demo-token-not-a-secret"
DEMO_MUNICIPALITY = "kingisepp"


def demo_settings(data_dir: Path, vk_url: str) -> Settings:
    municipality_file = Path(str(resources.files("infopole.municipalities") / f"{DEMO_MUNICIPALITY}.yaml"))
    return Settings(
        data_dir=data_dir,
        municipality_file=municipality_file,
        database_url="",
        index_backend=IndexBackend.EMBEDDED,
        vk_api_url=vk_url,
        vk_token=SecretStr(DEMO_TOKEN),
        vk_requests_per_second=20.0,
    )


def run_demo(
    data_dir: Path,
    *,
    echo: Callable[[str], None] = print,
    serve: Callable[[Runtime], None] | None = None,
    now: datetime | None = None,
) -> Runtime:
    """Run the demo into a fresh ``data_dir``; serve the dashboard if ``serve`` is given.

    Returns the (closed) runtime so callers and tests can inspect what was stored.
    """
    from crawlers.fakes.vk_server import FakeVkServer, VkDataset
    from flows import steps

    if data_dir.exists():
        shutil.rmtree(data_dir)  # the demo always starts from an empty information field
    data_dir.mkdir(parents=True)
    now = moment = now or datetime.now(UTC)
    with FakeVkServer(VkDataset.demo(now=now), tokens=[DEMO_TOKEN]).start() as fake:
        settings = demo_settings(data_dir, fake.url)
        runtime = Runtime(settings, load_municipality(settings.municipality_file))  # type: ignore[arg-type]
        echo(f"Имитатор API ВКонтакте / fake VK API: {fake.url}")
        echo(f"Муниципалитет / municipality: {runtime.municipality.name}")
        crawled = steps.crawl(runtime.municipality, runtime.posts, runtime.collectors)
        echo(
            f"1. Сбор: {crawled.saved.new} публикаций и комментариев из {len(crawled.sources_ok)} источников"
        )
        for source_id, reason in crawled.sources_skipped.items():
            echo(f"   пропущен {source_id}: {reason}")
        for source_id, reason in crawled.sources_failed.items():
            echo(f"   ошибка источника {source_id}: {reason}")
        counts = steps.counts_after_crawl(
            runtime.db, runtime.municipality, runtime.collectors, clock=lambda: moment
        )  # the audiences weigh in the risk scores of the analysis below
        audiences = counts["audiences"]
        if isinstance(audiences, str):
            echo(f"   аудитория источников не записана: {audiences}")
        else:
            echo(f"   аудитория источников: {len(audiences.recorded)} страниц")
    echo("2. Анализ (NER, тематика, тональность, инциденты, риски)…")
    analysed = steps.analyse(runtime.posts, runtime.analyzer)
    echo(f"   проанализировано: {analysed}")
    indexed = steps.index(runtime.posts, runtime.index, runtime.municipality)
    echo(f"3. Индекс: {indexed.indexed} документов (ошибок {len(indexed.failed)})")
    cases = steps.open_cases(runtime.posts, runtime.incidents, runtime.municipality)
    echo(f"4. Инциденты: заведено {cases.opened}, присоединено сообщений {cases.joined}")
    salt = settings.author_salt.get_secret_value()
    replies = steps.track_replies(runtime.posts, runtime.incidents, runtime.municipality, salt=salt)
    echo(f"   ответов официальных страниц: {replies.answers + replies.interim}, отписок: {replies.formal}")
    upkeep = steps.case_upkeep(
        runtime.db, runtime.incidents, runtime.municipality, salt=salt, webhook_secret=""
    )  # no webhook receiver in the demo: the case events wait in the outbox
    echo(
        f"   ответы проверены на площадке: {upkeep.answers.verified} из {upkeep.answers.checked}; "
        f"эскалировано куратору: {len(upkeep.escalated)}"
    )
    # no mail server or bot in the demo: the alerts wait in the outbox and show on the dashboard
    steps.gospabliki(runtime.db, runtime.incidents, runtime.alerts, runtime.municipality, salt=salt)
    alerts = steps.alerts(runtime.posts, runtime.incidents, runtime.alerts, runtime.municipality)
    echo(f"5. Оповещения куратору: {alerts.decided.recorded.new}")
    from infopole.demo_users import create_demo_users

    create_demo_users(runtime.db, now, echo)
    if serve is not None:
        try:
            serve(runtime)
        finally:
            runtime.close()
    else:
        runtime.close()
    return runtime
