"""Process settings: where things are and the secrets, from the environment and ``.env``.

Everything about the *municipality* (sources, departments, SLA) is in its YAML file;
everything about *this installation* is here. Secrets are ``SecretStr``: they never
appear in ``repr``, logs or error messages.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IndexBackend(StrEnum):
    EMBEDDED = "embedded"
    ELASTICSEARCH = "elasticsearch"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INFOPOLE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=Path("var"), description="Рабочий каталог: база, индекс, отчёты")
    municipality_file: Path | None = Field(default=None, description="YAML-файл муниципалитета")
    database_url: str = Field(default="", description="SQLAlchemy URL; пусто — SQLite в data_dir")

    index_backend: IndexBackend = IndexBackend.EMBEDDED
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_index_prefix: str = "infopole"

    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8080
    dashboard_public_url: str = ""  # links in alerts and reports
    # the map of incidents: tiles come only from a server this installation names (its own or one it
    # may use); empty — no map, and the browser never asks anyone for tiles
    map_tile_url: str = Field(
        default="",
        description="Шаблон адреса тайлов карты инцидентов: http(s)://…/{z}/{x}/{y}.png; пусто — без карты",
    )
    map_tile_attribution: str = Field(default="", description="Подпись правообладателя тайлов под картой")
    map_max_zoom: int = Field(default=18, ge=1, le=22)

    shared_data_dir: Path = Field(
        default=Path("../shared/data"), description="Открытые датасеты для обучения и оценки"
    )
    nlp_checkpoints: dict[str, Path] = Field(
        default_factory=dict,
        description=(
            "Локальные чекпойнты Hugging Face вместо встроенных моделей: "
            '{"sentiment": "/models/rubert-sentiment"}; ключи sentiment, topic, incident, toxicity'
        ),
    )

    # platform endpoints: production defaults; tests and the demo point them at local fakes
    vk_api_url: str = "https://api.vk.ru"
    vk_api_version: str = "5.199"
    vk_requests_per_second: float = 3.0
    ok_api_url: str = "https://api.ok.ru"
    telegram_preview_url: str = "https://t.me"

    # alert delivery: tests and the demo point these at local fakes (infopole.alerts.fakes)
    smtp_host: str = ""  # empty: no e-mail alerts
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_sender: str = "infopole@localhost"
    smtp_starttls: bool = False
    telegram_bot_api_url: str = "https://api.telegram.org"

    # secrets
    vk_token: SecretStr | None = None
    ok_application_key: SecretStr | None = None
    ok_access_token: SecretStr | None = None
    ok_session_secret: SecretStr | None = None  # session_secret_key issued with an app's eternal access_token
    ok_application_secret_key: SecretStr | None = None  # or the app secret: session key = md5(token + secret)
    telegram_api_id: int | None = None
    telegram_api_hash: SecretStr | None = None
    telegram_session: SecretStr | None = None
    smtp_password: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    alerts_secret: SecretStr | None = Field(
        default=None, description="Ключ подписи вебхуков и кнопок «Принято»; пусто — session_secret"
    )
    author_salt: SecretStr = Field(
        default=SecretStr("infopole-demo-salt"),
        description="Соль псевдонимизации авторов; задайте свою в каждой установке",
    )
    session_secret: SecretStr = SecretStr("infopole-demo-session-secret")
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer-токен Prometheus для GET /metrics дашборда; пусто — /metrics не отдаётся",
    )
    open311_api_keys: list[str] = Field(
        default_factory=list,
        description="Ключи приёма заявок по Open311 (POST requests.json); пусто — только чтение",
    )

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, url: str) -> str:
        url = url.strip()
        if not url:
            return url
        if not url.startswith(("http://", "https://")):
            raise ValueError("адрес тайлов должен начинаться с http:// или https://")
        missing = [part for part in ("{z}", "{x}", "{y}") if part not in url]
        if missing:
            raise ValueError(f"в шаблоне адреса тайлов нет {', '.join(missing)}")
        return url

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'infopole.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
