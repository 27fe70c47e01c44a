"""Stats and statuses of every official page of the register, read from the database.

The answer term is the appeals queue's SLA for a social-network message: the first answer is due
within ``sla.first_answer_hours`` working hours (``first_answer_hours_urgent`` when the NLP's risk
makes the case urgent, ``infopole.incidents.cases.priority_of``) on the production calendar of the
municipality, exactly as a case opened from the comment would be due. ``gospabliki.answer_hours``
overrides the hours for every comment; ``answer_in_working_hours: false`` counts them in calendar
hours. Times to answer are reported both ways: calendar hours and working hours on that calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.incident import Priority
from infopole.domain.post import Post
from infopole.gospabliki.checks import PageStatus, page_status
from infopole.gospabliki.metrics import PageStats, Period, page_stats
from infopole.gospabliki.store import GospablikiStore, page_officials, pages
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.cases import priority_of
from infopole.incidents.sla import calendar_for, first_answer_hours


@dataclass(frozen=True)
class SlaTerm:
    """``comments.Term`` from the municipality's ``sla`` and ``gospabliki`` settings."""

    municipality: Municipality
    calendar: WorkingCalendar

    @classmethod
    def of(cls, municipality: Municipality) -> SlaTerm:
        return cls(municipality, calendar_for(municipality.sla, municipality.timezone))

    def hours(self, analysis: Analysis | None) -> float:
        """The queue's first-answer hours for a case opened from this comment (or the override)."""
        override = self.municipality.gospabliki.answer_hours
        if override:
            return override
        priority = priority_of(analysis) if analysis is not None else Priority.NORMAL
        return first_answer_hours(self.municipality.sla, priority)

    def due(self, comment: Post, analysis: Analysis | None) -> datetime:
        hours = self.hours(analysis)
        if not self.municipality.gospabliki.answer_in_working_hours:
            return comment.published_at + timedelta(hours=hours)
        return self.calendar.add_working_hours(comment.published_at, hours)

    def working_hours(self, start: datetime, end: datetime) -> float:
        return self.calendar.working_time_between(start, end).total_seconds() / 3600


def answer_term(municipality: Municipality) -> SlaTerm:
    return SlaTerm.of(municipality)


@dataclass(frozen=True)
class PageView:
    stats: PageStats
    status: PageStatus


def compute(
    store: GospablikiStore, municipality: Municipality, period: Period, now: datetime, *, salt: str
) -> list[PageView]:
    """One ``PageView`` per official page, in the register's order."""
    officials = page_officials(municipality, salt)
    config = municipality.gospabliki
    term = answer_term(municipality)
    views = []
    for page, source in pages(municipality):
        own = store.page_identities(source, officials, salt)  # the page answering as itself
        data = store.page_input(source, own, period.start, min(now, period.end))
        stats = page_stats(
            page,
            source.title,
            data,
            period,
            officials=own,
            term=term,
            now=now,
            gap_days=config.gap_days,
            rules=config.content_rules,
            platform=source.platform.value,
        )
        views.append(PageView(stats, page_status(stats, config, collected=source.enabled)))
    return views


def current(
    store: GospablikiStore, municipality: Municipality, now: datetime, *, salt: str
) -> list[PageView]:
    """The status now: over the last ``window_days``."""
    return compute(
        store, municipality, Period.last_days(now, municipality.gospabliki.window_days), now, salt=salt
    )
