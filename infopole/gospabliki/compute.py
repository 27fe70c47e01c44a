"""Stats and statuses of every official page of the register, read from the database.

The answer term: ``gospabliki.answer_hours`` (or the appeals queue's ``sla.first_answer_hours``)
counted in working hours on the production calendar, like the first answer to a case, unless
``answer_in_working_hours`` is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from infopole.config.municipality import Municipality
from infopole.gospabliki.checks import PageStatus, page_status
from infopole.gospabliki.comments import Term
from infopole.gospabliki.metrics import PageStats, Period, page_stats
from infopole.gospabliki.store import GospablikiStore, page_officials, pages
from infopole.incidents.sla import calendar_for


def answer_term(municipality: Municipality) -> Term:
    config = municipality.gospabliki
    hours = config.answer_hours or municipality.sla.first_answer_hours
    if not config.answer_in_working_hours:
        return lambda moment: moment + timedelta(hours=hours)
    calendar = calendar_for(municipality.sla, municipality.timezone)
    return lambda moment: calendar.add_working_hours(moment, hours)


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
        data = store.page_input(source, officials, period.start, min(now, period.end))
        stats = page_stats(
            page,
            source.title,
            data,
            period,
            officials=officials,
            term=term,
            now=now,
            gap_days=config.gap_days,
            rules=config.content_rules,
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
