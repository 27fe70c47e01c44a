"""The ``schedule:`` section of the municipality file: when each flow runs and how much it may take on.

Every field has a default, so a file without the section runs the whole pipeline. Intervals are
in minutes; the weekly note uses a cron line read in the municipality's own time zone
(``0 8 * * 1``: Monday 08:00 local time, not UTC), and so does source discovery (weekly by
default). ``0`` turns an interval flow off, an empty ``discover_cron`` the scheduled discovery.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class ScheduleConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    collect_minutes: int = Field(default=10, ge=0)
    analyse_minutes: int = Field(default=5, ge=0)
    index_minutes: int = Field(default=5, ge=0)
    cases_minutes: int = Field(default=10, ge=0)
    alerts_minutes: int = Field(default=5, ge=0)
    health_minutes: int = Field(default=15, ge=0)
    # a collect run that stored posts runs analyse → index → cases → alerts for them at once, so an
    # alert waits one polling interval, not the sum of the steps' intervals; their own schedules catch up
    collect_downstream: bool = True
    weekly_report_cron: str = "0 8 * * 1"  # понедельник 08:00 по местному времени
    quarterly_report_cron: str = "0 9 1 1,4,7,10 *"  # первый день квартала, 09:00
    discover_cron: str = "0 6 * * 1"  # поиск новых источников: понедельник 06:00; "" — выключен

    # concurrency: sources of one platform, and requests sharing one credential
    per_platform: int = Field(default=2, ge=1)
    per_token: int = Field(default=1, ge=1)

    # bounded work per run: a slow index never makes a run endless, the rest waits for the next one
    analyse_batch: int = Field(default=256, ge=1)
    index_batch: int = Field(default=500, ge=1)
    max_batches_per_run: int = Field(default=40, ge=1)
    index_backlog_max: int = Field(default=20_000, ge=1)  # analysis pauses while this many await the index
    dead_letter_after: int = Field(default=3, ge=1)  # failed attempts before an item is set aside

    @field_validator("weekly_report_cron", "quarterly_report_cron", "discover_cron")
    @classmethod
    def _five_fields(cls, line: str, info: ValidationInfo) -> str:
        if info.field_name == "discover_cron" and not line.strip():
            return ""  # discovery only by hand
        if len(line.split()) != 5:
            raise ValueError("cron: пять полей «минута час день месяц день_недели», напр. «0 8 * * 1»")
        return line
