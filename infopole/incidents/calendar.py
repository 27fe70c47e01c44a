"""Working time on the Russian production calendar, in the municipality's time zone.

Holidays and transferred working days (a working Saturday, a Monday off) come from the
``holidays`` library, which follows the government's yearly decree on day transfers.
Pre-holiday days are an hour shorter (ТК РФ, ст. 95): the working day right before a public
holiday, and a transferred working Saturday whose following days off contain one (Saturday
1 November 2025 before the 3–4 November break).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

PRE_HOLIDAY_SHORTENING = timedelta(hours=1)
_DAY = timedelta(days=1)


class WorkingCalendar:
    def __init__(
        self,
        timezone: str,
        start: time = time(9),
        end: time = time(18),
        pre_holiday_shortening: timedelta = PRE_HOLIDAY_SHORTENING,
    ) -> None:
        self.tz = ZoneInfo(timezone)
        self.start = start
        self.end = end
        self.pre_holiday_shortening = pre_holiday_shortening
        self._hours_cache: dict[date, tuple[time, time] | None] = {}

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("RU")

    def is_working_day(self, day: date) -> bool:
        return bool(self._holidays.is_working_day(day))

    def is_public_holiday(self, day: date) -> bool:
        """A named holiday of ТК РФ ст. 112, not a day off transferred by decree."""
        names = self._holidays.get_list(day)
        return any("substituted" not in name.lower() and "перенес" not in name.lower() for name in names)

    def is_pre_holiday(self, day: date) -> bool:
        if not self.is_working_day(day):
            return False
        if self.is_public_holiday(day + _DAY):
            return True
        if day.weekday() < 5:  # an ordinary weekday before a weekend keeps its full length
            return False
        following = day + _DAY
        while not self.is_working_day(following):
            if self.is_public_holiday(following):
                return True
            following += _DAY
        return False

    def working_hours(self, day: date) -> tuple[time, time] | None:
        """Opening and closing time of ``day`` in local time, or None on a day off."""
        if day not in self._hours_cache:
            hours: tuple[time, time] | None = None
            if self.is_working_day(day):
                end = self.end
                if self.is_pre_holiday(day):
                    end = (datetime.combine(day, self.end) - self.pre_holiday_shortening).time()
                hours = (self.start, end)
            self._hours_cache[day] = hours
        return self._hours_cache[day]

    def add_working_hours(self, moment: datetime, hours: float) -> datetime:
        """The moment when ``hours`` of working time have passed after ``moment``."""
        left = timedelta(hours=hours)
        local = moment.astimezone(self.tz)
        while True:
            day = local.date()
            span = self.working_hours(day)
            if span is not None:
                opens = datetime.combine(day, span[0], self.tz)
                closes = datetime.combine(day, span[1], self.tz)
                if local < closes:
                    local = max(local, opens)
                    available = closes - local
                    if left <= available:
                        return (local + left).astimezone(moment.tzinfo)
                    left -= available
            local = datetime.combine(day + _DAY, time(0), self.tz)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (zero if ``end`` is not later)."""
        total = timedelta()
        if end <= start:
            return total
        local_start, local_end = start.astimezone(self.tz), end.astimezone(self.tz)
        day = local_start.date()
        while day <= local_end.date():
            span = self.working_hours(day)
            if span is not None:
                opens = max(datetime.combine(day, span[0], self.tz), local_start)
                closes = min(datetime.combine(day, span[1], self.tz), local_end)
                if closes > opens:
                    total += closes - opens
            day += _DAY
        return total

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """The same local clock time ``days`` working days later (the next working day counts first)."""
        local = moment.astimezone(self.tz)
        day = local.date()
        while days > 0:
            day += _DAY
            if self.is_working_day(day):
                days -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), self.tz).astimezone(moment.tzinfo)

    def end_of_calendar_term(self, moment: datetime, days: int) -> datetime:
        """The end of a term of ``days`` calendar days (59-ФЗ, ст. 12): the close of its last day,
        moved to the next working day when the last day is a day off (ГК РФ, ст. 193)."""
        day = moment.astimezone(self.tz).date() + timedelta(days=days)
        while not self.is_working_day(day):
            day += _DAY
        span = self.working_hours(day)
        closes = span[1] if span else self.end
        return datetime.combine(day, closes, self.tz).astimezone(moment.tzinfo)
