"""The alerts step's edges: read a snapshot from the stores, record what the rules decide,
escalate, and build the notifiers this installation has settings for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from infopole.alerts.detect import Snapshot, detect
from infopole.alerts.notifiers.base import Notifier
from infopole.alerts.notifiers.email import EmailNotifier, SmtpConfig
from infopole.alerts.notifiers.telegram import TelegramAcks, TelegramBot, TelegramNotifier
from infopole.alerts.notifiers.webhook import WebhookNotifier
from infopole.alerts.rules.silence import SourceHealth
from infopole.alerts.spike_counts import spike_counts_sql
from infopole.alerts.store import AlertStore, RecordReport
from infopole.config.municipality import Channel, Municipality
from infopole.config.settings import Settings
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from infopole.storage.searches import SavedSearchStore, saved_watchlists
from infopole.storage.tables import PostRow


@dataclass
class AlertRun:
    detected: int = 0
    recorded: RecordReport = field(default_factory=RecordReport)
    escalated: int = 0


def observed_since(store: PostStore) -> datetime | None:
    """When collection began: the first post ever stored. A cold start has no baseline before it."""
    with store.db.session() as session:
        first: datetime | None = session.scalar(select(func.min(PostRow.first_seen_at)))
        return first


def recent_keys(store: PostStore, since: datetime, until: datetime, limit: int) -> list[str]:
    with store.db.session() as session:
        query = (
            select(PostRow.key)
            .where(PostRow.published_at >= since, PostRow.published_at <= until)
            .order_by(PostRow.published_at.desc(), PostRow.key)
            .limit(limit)
        )
        return list(session.scalars(query))


def read_snapshot(
    store: PostStore, incidents: IncidentStore, municipality: Municipality, now: datetime, limit: int = 50_000
) -> Snapshot:
    """Recent posts (``max_post_age_hours``: what may still be news), the spike history counted in
    SQL, open cases and collector health."""
    config = municipality.alerts
    since = now - timedelta(hours=config.max_post_age_hours)
    posts = store.analysed(keys=recent_keys(store, since, now, limit))
    sources = [
        SourceHealth(
            state.source_id,
            last_run_at=state.last_run_at,
            last_success_at=state.last_success_at,
            last_item_at=state.last_item_at,
            last_error=state.last_error or "",
        )
        for state in store.source_states()
    ]
    open_cases = incidents.list(open_only=True, with_updates=True)  # the SLA deadline depends on history
    watched = saved_watchlists(SavedSearchStore(store.db, tz=municipality.tz))
    return Snapshot(
        posts,
        open_cases,
        sources,
        observed_since(store),
        watchlists=watched,
        spike_counts=spike_counts_sql(store.db, config.spike, now),
    )


def decide(
    snapshot: Snapshot, municipality: Municipality, alert_store: AlertStore, now: datetime
) -> AlertRun:
    alerts = detect(snapshot, municipality, now)
    recorded = alert_store.record(alerts, municipality, now)
    return AlertRun(len(alerts), recorded, alert_store.escalate(municipality, now))


def alerts_secret(settings: Settings) -> bytes:
    secret = settings.alerts_secret or settings.session_secret
    return secret.get_secret_value().encode()


def build_notifiers(settings: Settings, clock: type[datetime] = datetime) -> dict[str, Notifier]:
    """Only channels with settings: a delivery to a channel without a notifier fails visibly."""
    notifiers: dict[str, Notifier] = {}
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        config = SmtpConfig(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            settings.smtp_user,
            password,
            settings.smtp_starttls,
        )
        notifiers[Channel.EMAIL.value] = EmailNotifier(config)
    if settings.telegram_bot_token:
        bot = TelegramBot(settings.telegram_bot_api_url, settings.telegram_bot_token.get_secret_value())
        notifiers[Channel.TELEGRAM.value] = TelegramNotifier(bot, alerts_secret(settings))
    notifiers[Channel.WEBHOOK.value] = WebhookNotifier(
        alerts_secret(settings), timestamp=lambda: int(clock.now().timestamp())
    )
    return notifiers


def telegram_acks(settings: Settings, municipality: Municipality) -> TelegramAcks | None:
    if not settings.telegram_bot_token:
        return None
    bot = TelegramBot(settings.telegram_bot_api_url, settings.telegram_bot_token.get_secret_value())
    chats = {r.telegram_chat_id for r in municipality.recipients if r.telegram_chat_id}
    return TelegramAcks(bot, alerts_secret(settings), chats)
