"""Report periods: a calendar week or quarter in the municipality's own time zone.

The head reads «неделя 16.11–22.11», not a UTC interval, so periods start at local midnight
on Monday (or on the first day of a quarter) and are half-open ``[start, end)`` in UTC for
the queries. By default a report covers the last *complete* period: the note prepared on
Monday morning is about the week that has just ended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class PeriodKind(StrEnum):
    WEEK = "week"
    QUARTER = "quarter"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open interval of local days ``[first_day, last_day + 1)``."""

    kind: PeriodKind
    first_day: date
    last_day: date  # inclusive, as printed
    tz: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), ZoneInfo(self.tz))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(0), ZoneInfo(self.tz))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def label(self) -> str:
        """«16.11.2026 — 22.11.2026»: the dates as the document prints them."""
        return f"{self.first_day:%d.%m.%Y} — {self.last_day:%d.%m.%Y}"

    @property
    def code(self) -> str:
        """A file-name-safe name: 2026-W47, 2026-Q4, 2026-11-01_2026-11-15."""
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.first_day.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.first_day.year}-Q{(self.first_day.month - 1) // 3 + 1}"
        return f"{self.first_day.isoformat()}_{self.last_day.isoformat()}"

    def previous(self) -> Period:
        """The period of the same kind just before: the baseline of every «vs last week» figure."""
        if self.kind is PeriodKind.QUARTER:
            return quarter_of(self.first_day - timedelta(days=1), self.tz)
        return Period(
            self.kind, self.first_day - timedelta(days=self.days), self.first_day - timedelta(1), self.tz
        )

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def week_of(day: date, tz: str) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period(PeriodKind.WEEK, monday, monday + timedelta(days=6), tz)


def quarter_of(day: date, tz: str) -> Period:
    first_month = (day.month - 1) // 3 * 3 + 1
    first = date(day.year, first_month, 1)
    after = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return Period(PeriodKind.QUARTER, first, after - timedelta(days=1), tz)


class PeriodError(ValueError):
    pass


_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.|:|_)(\d{4}-\d{2}-\d{2})$")


def parse_period(text: str | None, kind: PeriodKind, now: datetime, tz: str) -> Period:
    """``None``/``last``: the last complete week or quarter; ``current``: the one running now;
    ``2026-W47``, ``2026-Q4``, or an inclusive date range ``2026-11-01..2026-11-15``."""
    today = now.astimezone(ZoneInfo(tz)).date()
    of = week_of if kind is PeriodKind.WEEK else quarter_of
    value = (text or "last").strip()
    if value == "last":
        return of(of(today, tz).first_day - timedelta(days=1), tz)
    if value == "current":
        return of(today, tz)
    if (_WEEK.match(value) and kind is PeriodKind.QUARTER) or (
        _QUARTER.match(value) and kind is PeriodKind.WEEK
    ):
        raise PeriodError(
            f"период {value} не подходит для этого отчёта: неделя — 2026-W47, квартал — 2026-Q4"
        )
    if match := _WEEK.match(value):
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError as error:
            raise PeriodError(f"нет такой недели: {value}") from error
        return week_of(monday, tz)
    if match := _QUARTER.match(value):
        return quarter_of(date(int(match[1]), (int(match[2]) - 1) * 3 + 1, 1), tz)
    if match := _RANGE.match(value):
        first, last = date.fromisoformat(match[1]), date.fromisoformat(match[2])
        if last < first:
            raise PeriodError(f"конец периода раньше начала: {value}")
        return Period(PeriodKind.CUSTOM, first, last, tz)
    raise PeriodError(
        f"непонятный период {value!r}: ожидается last, current, 2026-W47, 2026-Q4 или 2026-11-01..2026-11-15"
    )
