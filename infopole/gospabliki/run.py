"""The госпаблики step: status of every page, unanswered complaints to the appeals queue, alerts.

Unanswered complaints past the term become cases «like any other incident» (issue 10): through
``IncidentStore.take_incidents``, which links each post to one case, so a re-run opens nothing
twice, and a complaint the NLP already sent to the queue is not opened again. Alerts go to the
outbox (``AlertStore.record``, idempotent by key); the alerts step delivers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from infopole.alerts.store import AlertStore, RecordReport
from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.post import Post
from infopole.gospabliki.alerts import gospabliki_alerts
from infopole.gospabliki.comments import CommentKind
from infopole.gospabliki.compute import PageView, current
from infopole.gospabliki.store import GospablikiStore
from infopole.storage.incidents import CaseReport, IncidentStore

CASE_REASON = "госпаблик: без ответа страницы сверх срока"


@dataclass
class GospablikiRun:
    views: list[PageView] = field(default_factory=list)
    cases: CaseReport = field(default_factory=CaseReport)
    alerts: RecordReport = field(default_factory=RecordReport)


def overdue_incidents(views: Sequence[PageView], municipality: Municipality) -> list[tuple[Post, Analysis]]:
    """The unanswered comments past the term that go to the appeals queue, as incident pairs."""
    config = municipality.gospabliki
    wanted = {CommentKind.COMPLAINT, *([CommentKind.QUESTION] if config.cases_for_questions else [])}
    pairs = []
    for view in views:
        for check in view.stats.overdue:
            if check.kind not in wanted or check.comment.is_deleted:
                continue
            analysis = check.analysis or Analysis(check.comment.key, "gospabliki")
            pairs.append((check.comment, replace(analysis, is_incident=True, incident_reason=CASE_REASON)))
    return sorted(pairs, key=lambda pair: (pair[0].published_at, pair[0].key))


def run(
    store: GospablikiStore,
    incidents: IncidentStore,
    alert_store: AlertStore | None,
    municipality: Municipality,
    now: datetime,
    *,
    salt: str,
) -> GospablikiRun:
    config = municipality.gospabliki
    if not config.enabled or not municipality.official_pages:
        return GospablikiRun()
    views = current(store, municipality, now, salt=salt)
    cases = CaseReport()
    if config.open_cases:
        cases = incidents.take_incidents(overdue_incidents(views, municipality), municipality, now)
    recorded = RecordReport()
    if alert_store is not None and municipality.alerts.enabled:
        recorded = alert_store.record(gospabliki_alerts(views, now, municipality.tz), municipality, now)
    return GospablikiRun(views, cases, recorded)
