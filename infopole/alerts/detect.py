"""Run every rule over one snapshot of the world: the pure core of the alerts step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from infopole.alerts.rules import Analysed, fresh
from infopole.alerts.rules.risk import risk_alerts
from infopole.alerts.rules.silence import SourceHealth, silence_alerts
from infopole.alerts.rules.sla import sla_alerts
from infopole.alerts.rules.spike import SpikeCounts, spike_alerts, spike_alerts_from_counts
from infopole.alerts.rules.story import story_alerts
from infopole.alerts.rules.watchlist import official_watchlists, watchlist_alerts
from infopole.config.municipality import Municipality, Watchlist
from infopole.domain.alert import Alert
from infopole.domain.incident import Incident
from infopole.incidents.sla import calendar_for


@dataclass(frozen=True)
class Snapshot:
    """What the rules look at. ``spike_counts``, when given, are the spike history already counted
    (by the database: ``alerts.spike_counts``) and ``posts`` need only be the recent ones; without
    them ``posts`` must cover the spike history (weeks). ``observed_since`` is when collection
    began (None: no history yet)."""

    posts: Sequence[Analysed] = ()
    incidents: Sequence[Incident] = ()
    sources: Sequence[SourceHealth] = ()
    observed_since: datetime | None = None
    extra: list[Alert] = field(default_factory=list)
    watchlists: Sequence[Watchlist] = ()  # saved searches with ``watch`` on, next to the file's
    spike_counts: SpikeCounts | None = None


def detect(snapshot: Snapshot, municipality: Municipality, now: datetime) -> list[Alert]:
    config = municipality.alerts
    if not config.enabled:
        return []
    tz = municipality.tz
    new = fresh(list(snapshot.posts), now, config.max_post_age_hours)
    watchlists = [*config.watchlists, *snapshot.watchlists]
    if config.watch_officials:
        watchlists += official_watchlists(municipality.officials)
    titles = {source.id: source.title for source in municipality.sources}
    official = {page.source for page in municipality.official_pages}
    sources = [
        SourceHealth(
            s.source_id,
            s.title or titles.get(s.source_id, ""),
            s.last_run_at,
            s.last_success_at,
            s.last_item_at,
            s.last_error,
            s.official or s.source_id in official,
        )
        for s in snapshot.sources
    ]
    return [
        *risk_alerts(new, config.risk, now, tz),
        *watchlist_alerts(new, watchlists, now, tz),
        *(
            spike_alerts(snapshot.posts, config.spike, now, tz, snapshot.observed_since)
            if snapshot.spike_counts is None
            else spike_alerts_from_counts(
                snapshot.spike_counts, config.spike, now, tz, snapshot.observed_since
            )
        ),
        *story_alerts(new, config.story, now, tz),
        *silence_alerts(sources, config.silence, now, tz),
        *sla_alerts(
            snapshot.incidents,
            now,
            tz,
            policy=municipality.sla,
            calendar=calendar_for(municipality.sla, municipality.timezone),
            warn_at_risk=config.sla_at_risk,
            escalate_to=config.escalate_to,
        ),
        *snapshot.extra,
    ]
