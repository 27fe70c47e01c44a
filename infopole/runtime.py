"""The objects one process needs, built once from ``Settings`` and the municipality file.

Every I/O edge (database, index, analyzer, collectors) is created lazily, so a command
that needs only the database never loads the NLP models.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from infopole.config.municipality import Municipality, load_municipality
from infopole.config.settings import Settings
from infopole.domain.source import SourceKind
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore

if TYPE_CHECKING:
    from crawlers.base import Collector
    from index.base import SearchIndex
    from infopole.alerts.dispatch import Dispatcher
    from infopole.alerts.store import AlertStore
    from nlp.analyzer import Analyzer


def quiet_third_parties() -> None:
    """Prefect and friends must never phone home from an МЦУ network."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Runtime:
    def __init__(self, settings: Settings, municipality: Municipality | None = None) -> None:
        self.settings = settings
        self._municipality = municipality

    @cached_property
    def municipality(self) -> Municipality:
        if self._municipality is not None:
            return self._municipality
        if self.settings.municipality_file is None:
            raise SystemExit(
                "Не задан файл муниципалитета: укажите --municipality или INFOPOLE_MUNICIPALITY_FILE "
                "/ no municipality file given"
            )
        return load_municipality(self.settings.municipality_file)

    @cached_property
    def db(self) -> Database:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return Database(self.settings.sqlalchemy_url)

    @cached_property
    def posts(self) -> PostStore:
        return PostStore(self.db)

    @cached_property
    def incidents(self) -> IncidentStore:
        return IncidentStore(self.db)

    @cached_property
    def alerts(self) -> AlertStore:
        from infopole.alerts.store import AlertStore

        return AlertStore(self.db)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """Sends the outbox through the channels this installation has settings for."""
        from infopole.alerts.dispatch import Dispatcher
        from infopole.alerts.run import build_notifiers

        return Dispatcher(
            self.alerts,
            build_notifiers(self.settings),
            dashboard_url=self.settings.dashboard_public_url,
            tz=self.municipality.tz,
            clock=lambda: datetime.now(UTC),
            max_attempts=self.municipality.alerts.max_attempts,
        )

    @cached_property
    def index(self) -> SearchIndex:
        from index import open_index

        return open_index(self.settings, self.municipality.slug)

    @cached_property
    def analyzer(self) -> Analyzer:
        from nlp.analyzer import Analyzer

        return Analyzer.load(self.municipality, checkpoints=self.settings.nlp_checkpoints)

    @cached_property
    def collectors(self) -> dict[SourceKind, Collector]:
        """Collectors for the source kinds this installation has credentials for."""
        from crawlers.comment_window import CommentWindows
        from infopole.gospabliki.windows import comment_windows

        collectors: dict[SourceKind, Collector] = {}
        # official pages: comments of older posts too (a runtime without a municipality file: defaults)
        configured = self._municipality is not None or self.settings.municipality_file is not None
        windows = comment_windows(self.municipality) if configured else CommentWindows()
        if self.settings.vk_token is not None:
            from crawlers.vk.client import VkClient
            from crawlers.vk.search import VkSearchCollector
            from crawlers.vk.wall import VkWallCollector, WallCrawlConfig

            # one client per process; its rate limit and parked methods are shared through the database
            client = VkClient.from_settings(self.settings, db=self.db)
            collectors[SourceKind.VK_WALL] = VkWallCollector.from_settings(
                self.settings, client=client, config=WallCrawlConfig(comment_windows=windows)
            )
            collectors[SourceKind.VK_SEARCH] = VkSearchCollector.from_settings(self.settings, client=client)
        if self.settings.ok_access_token is not None:
            from crawlers.ok import OkCrawlConfig, OkGroupCollector

            collectors[SourceKind.OK_GROUP] = OkGroupCollector.from_settings(
                self.settings, config=OkCrawlConfig(comment_windows=windows)
            )
        if self.settings.telegram_session is not None:
            from crawlers.telegram.api_collector import ApiCrawlConfig, TelegramApiCollector

            # one Telethon connection per process
            api = TelegramApiCollector.from_settings(
                self.settings, config=ApiCrawlConfig(comment_windows=windows)
            )
            collectors[SourceKind.TG_CHANNEL] = collectors[SourceKind.TG_CHAT] = api
        else:  # public channels are readable without credentials through the t.me/s web preview
            from crawlers.telegram.preview_collector import TelegramPreviewCollector

            collectors[SourceKind.TG_CHANNEL] = TelegramPreviewCollector.from_settings(self.settings)
        return collectors

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
        if "db" in self.__dict__:
            self.db.close()
