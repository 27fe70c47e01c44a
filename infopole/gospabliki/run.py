"""The госпаблики step: status of every page, unanswered complaints to the appeals queue, alerts.

Unanswered complaints past the term become cases «like any other incident» (issue 10): through
``IncidentStore.take_incidents``, which links each post to one case, so a re-run opens nothing
twice, and a complaint the NLP already sent to the queue is not opened again. When the page answers
later, its answer reaches the case through ``infopole.storage.replies.take_replies`` with the
page's own identities (a Telegram channel answers in its discussion group under ids the general
replies step does not know), once: the answer is linked to the case. Alerts go to the outbox
(``AlertStore.record``, idempotent by key); the alerts step delivers them.
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
from infopole.gospabliki.store import GospablikiStore, page_officials, pages
from infopole.incidents.replies import OfficialAuthors
from infopole.storage.incidents import CaseReport, IncidentStore
from infopole.storage.replies import ReplyReport, take_replies

CASE_REASON = "госпаблик: без ответа страницы сверх срока"


@dataclass
class GospablikiRun:
    views: list[PageView] = field(default_factory=list)
    cases: CaseReport = field(default_factory=CaseReport)
    alerts: RecordReport = field(default_factory=RecordReport)
    replies: ReplyReport = field(default_factory=ReplyReport)


def page_answers(views: Sequence[PageView]) -> list[Post]:
    """The pages' answers to the questions and complaints, oldest first."""
    checks = [check for view in views for check in view.stats.checks]
    answers = {check.answer.key: check.answer for check in checks if check.answer is not None}
    return sorted(answers.values(), key=lambda post: (post.published_at, post.key))


def pages_identities(store: GospablikiStore, municipality: Municipality, salt: str) -> OfficialAuthors:
    base = page_officials(municipality, salt)
    ids, walls = set(base.author_ids), set(base.walls)
    for _, source in pages(municipality):
        own = store.page_identities(source, base, salt)
        ids |= own.author_ids
        walls |= own.walls
    return OfficialAuthors(frozenset(ids), frozenset(walls))


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
    replies = ReplyReport()
    if config.open_cases:
        cases = incidents.take_incidents(overdue_incidents(views, municipality), municipality, now)
        officials = pages_identities(store, municipality, salt)
        replies = take_replies(incidents, page_answers(views), municipality, officials, now)
    recorded = RecordReport()
    if alert_store is not None and municipality.alerts.enabled:
        recorded = alert_store.record(gospabliki_alerts(views, now, municipality.tz), municipality, now)
    return GospablikiRun(views, cases, recorded, replies)
