"""Working time on the Russian production calendar, in the municipality's time zone.

Holidays and transferred working days (a working Saturday, a Monday off) come from the
``holidays`` library, which follows the government's yearly decree on day transfers.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays


class WorkingCalendar:
    def __init__(self, timezone: str, start: time = time(9), end: time = time(18)) -> None:
        self.tz = ZoneInfo(timezone)
        self.start = start
        self.end = end

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("RU")

    def is_working_day(self, day: date) -> bool:
        return bool(self._holidays.is_working_day(day))

    def add_working_hours(self, moment: datetime, hours: float) -> datetime:
        """The moment when ``hours`` of working time have passed after ``moment``."""
        left = timedelta(hours=hours)
        local = moment.astimezone(self.tz)
        while True:
            day = local.date()
            opens = datetime.combine(day, self.start, self.tz)
            closes = datetime.combine(day, self.end, self.tz)
            if self.is_working_day(day) and local < closes:
                local = max(local, opens)
                available = closes - local
                if left <= available:
                    return (local + left).astimezone(moment.tzinfo)
                left -= available
            local = datetime.combine(day + timedelta(days=1), self.start, self.tz)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        local = moment.astimezone(self.tz)
        day = local.date()
        while days > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), self.tz).astimezone(moment.tzinfo)
