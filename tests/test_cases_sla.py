"""SLA arithmetic, table-driven: weekends, public holidays, transferred working days, shortened
pre-holiday days, time zones, interim answers, 59-ФЗ terms, reopening and re-routing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from infopole.config.municipality import SlaPolicy
from infopole.domain.incident import CaseKind, Incident, Priority
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.sla import SlaState, Stage, calendar_for, deadline, sla_state
from tests.case_fixtures import case

MSK = ZoneInfo("Europe/Moscow")
KRSK = ZoneInfo("Asia/Krasnoyarsk")
POLICY = SlaPolicy()


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


def _nothing(incident: Incident) -> None:
    return None


def _interim_tuesday(incident: Incident) -> None:
    incident.give_interim("Бригада выехала", msk(2026, 11, 24, 10, 0), "zhkh")


def _answer_and_reopen(incident: Incident) -> None:
    incident.answer("Отремонтировано", msk(2026, 11, 24, 10, 0), "zhkh")
    incident.reopen(msk(2026, 11, 25, 17, 0), "system", "житель: яма снова")


def _reroute_and_formal_reply(incident: Incident) -> None:
    incident.note_formal_reply("Ваше обращение направлено", msk(2026, 11, 23, 13, 0), "vk-adm")
    incident.assign("ivangorod", msk(2026, 11, 23, 17, 0), "mcu-head")


CASES: list[tuple[str, datetime, Priority, CaseKind, Callable[[Incident], None], Stage, datetime]] = [
    (
        "Monday noon + 8 h",
        msk(2026, 11, 23, 12),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _nothing,
        Stage.FIRST_ANSWER,
        msk(2026, 11, 24, 11),
    ),
    (
        "urgent: + 4 h",
        msk(2026, 11, 23, 12),
        Priority.HIGH,
        CaseKind.MESSAGE,
        _nothing,
        Stage.FIRST_ANSWER,
        msk(2026, 11, 23, 16),
    ),
    (
        "over the weekend",
        msk(2026, 11, 27, 17),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _nothing,
        Stage.FIRST_ANSWER,
        msk(2026, 11, 30, 16),
    ),
    (
        "Sunday night waits for Monday",
        msk(2026, 11, 29, 23),
        Priority.HIGH,
        CaseKind.MESSAGE,
        _nothing,
        Stage.FIRST_ANSWER,
        msk(2026, 11, 30, 13),
    ),
    # 3 Nov 2026 is a shortened pre-holiday day (to 17:00), 4 Nov a public holiday
    (
        "over Unity Day 2026",
        msk(2026, 11, 3, 15),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _nothing,
        Stage.FIRST_ANSWER,
        msk(2026, 11, 5, 15),
    ),
    # Saturday 1 Nov 2025 was a working (and shortened) day
    (
        "into a working Saturday",
        msk(2025, 10, 31, 14),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _nothing,
        Stage.FIRST_ANSWER,
        msk(2025, 11, 1, 13),
    ),
    # …and Monday 3 Nov 2025 a day off transferred from it
    (
        "over the transferred Monday off",
        msk(2025, 11, 1, 16),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _nothing,
        Stage.FIRST_ANSWER,
        msk(2025, 11, 5, 16),
    ),
    (
        "over the New Year holidays",
        msk(2025, 12, 30, 16),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _nothing,
        Stage.FIRST_ANSWER,
        msk(2026, 1, 12, 15),
    ),
    (
        "final answer: 7 working days after the interim",
        msk(2026, 11, 23, 12),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _interim_tuesday,
        Stage.FINAL_ANSWER,
        msk(2026, 12, 3, 10),
    ),
    (
        "59-ФЗ: 30 calendar days",
        msk(2026, 11, 23, 12),
        Priority.NORMAL,
        CaseKind.APPEAL,
        _nothing,
        Stage.APPEAL_TERM,
        msk(2026, 12, 23, 18),
    ),
    (
        "59-ФЗ: an interim answer does not stop the term",
        msk(2026, 11, 23, 12),
        Priority.NORMAL,
        CaseKind.APPEAL,
        _interim_tuesday,
        Stage.APPEAL_TERM,
        msk(2026, 12, 23, 18),
    ),
    (
        "59-ФЗ: a term ending on 1 January moves to 12 January",
        msk(2025, 12, 2, 10),
        Priority.NORMAL,
        CaseKind.APPEAL,
        _nothing,
        Stage.APPEAL_TERM,
        msk(2026, 1, 12, 18),
    ),
    (
        "reopening starts a new round",
        msk(2026, 11, 23, 12),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _answer_and_reopen,
        Stage.FIRST_ANSWER,
        msk(2026, 11, 26, 16),
    ),
    (
        "re-routing and an отписка buy no time",
        msk(2026, 11, 23, 12),
        Priority.NORMAL,
        CaseKind.MESSAGE,
        _reroute_and_formal_reply,
        Stage.FIRST_ANSWER,
        msk(2026, 11, 24, 11),
    ),
]


@pytest.mark.parametrize(
    ("opened", "priority", "kind", "history", "stage", "due"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_deadlines(
    opened: datetime,
    priority: Priority,
    kind: CaseKind,
    history: Callable[[Incident], None],
    stage: Stage,
    due: datetime,
) -> None:
    incident = case(opened, priority=priority, kind=kind)
    history(incident)
    pending = deadline(incident, POLICY, calendar_for(POLICY, "Europe/Moscow"))
    assert pending is not None
    assert (pending.stage, pending.due_at) == (stage, due)


@pytest.mark.parametrize(
    ("timezone", "due_utc"),
    [
        # 02:00 UTC Monday is 09:00 in Krasnoyarsk: 8 working hours end at 17:00 local = 10:00 UTC…
        ("Asia/Krasnoyarsk", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        # …and 05:00 in Moscow: the day starts at 09:00 and ends at 17:00 MSK = 14:00 UTC.
        ("Europe/Moscow", datetime(2026, 11, 23, 14, 0, tzinfo=UTC)),
    ],
)
def test_deadlines_follow_the_municipality_time_zone(timezone: str, due_utc: datetime) -> None:
    incident = case(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    pending = deadline(incident, POLICY, calendar_for(POLICY, timezone))
    assert pending is not None and pending.due_at == due_utc


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (msk(2026, 11, 23, 17, 59), SlaState.ON_TIME),
        (msk(2026, 11, 23, 18, 0), SlaState.AT_RISK),  # 6 of 8 working hours gone (75 %)
        (msk(2026, 11, 24, 10, 59), SlaState.AT_RISK),
        (msk(2026, 11, 24, 11, 0), SlaState.OVERDUE),
    ],
)
def test_state_is_a_function_of_history_and_now(now: datetime, state: SlaState) -> None:
    incident = case(msk(2026, 11, 23, 12))
    assert sla_state(incident, POLICY, calendar_for(POLICY, "Europe/Moscow"), now) is state


def test_an_answered_or_closed_case_has_nothing_pending() -> None:
    incident = case(msk(2026, 11, 23, 12))
    incident.answer("Отремонтировали", msk(2026, 11, 25, 12), "zhkh")
    calendar = calendar_for(POLICY, "Europe/Moscow")
    assert sla_state(incident, POLICY, calendar, msk(2027, 1, 1, 12)) is SlaState.DONE


def test_custom_policy_and_working_hours() -> None:
    policy = SlaPolicy(working_hours_start=time(8), working_hours_end=time(17), first_answer_hours=2)
    incident = case(msk(2026, 11, 23, 16))
    pending = deadline(incident, policy, calendar_for(policy, "Europe/Moscow"))
    assert pending is not None and pending.due_at == msk(2026, 11, 24, 9)


@pytest.mark.parametrize(
    ("day", "shortened"),
    [
        (date(2025, 11, 1), True),  # working Saturday before the 3–4 November break
        (date(2025, 3, 7), True),  # before 8 March
        (date(2025, 6, 11), True),  # before 12 June
        (date(2025, 2, 21), False),  # Friday before a Sunday holiday: the weekend comes first
        (date(2025, 11, 5), False),
    ],
)
def test_pre_holiday_days_are_an_hour_shorter(day: date, shortened: bool) -> None:
    calendar = WorkingCalendar("Europe/Moscow")
    hours = calendar.working_hours(day)
    assert hours is not None
    assert (hours[1].hour == 17) is shortened


def test_working_time_between_skips_nights_weekends_and_holidays() -> None:
    calendar = WorkingCalendar("Europe/Moscow")
    assert calendar.working_time_between(msk(2026, 11, 27, 17), msk(2026, 11, 30, 10)) == timedelta(hours=2)
    assert calendar.working_time_between(msk(2026, 11, 3, 16), msk(2026, 11, 5, 10)) == timedelta(hours=2)
    assert calendar.working_time_between(msk(2026, 11, 5, 10), msk(2026, 11, 3, 16)) == timedelta(0)
