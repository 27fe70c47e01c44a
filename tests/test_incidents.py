"""Cases from incident posts: routing, first-answer deadlines on the production calendar, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from infopole.config.municipality import parse_municipality
from infopole.domain.analysis import Analysis
from infopole.domain.incident import IncidentStatus
from infopole.domain.post import Platform, Post, PostKind
from infopole.incidents.calendar import WorkingCalendar
from infopole.incidents.routing import route
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore

MUNICIPALITY = parse_municipality(
    """
slug: test
name: Тестовый район
short_name: Тест
region: Ленинградская область
oktmo: "41621000"
timezone: Europe/Moscow
center: {lat: 59.37, lon: 28.61}
settlements:
  - {name: Кингисепп}
  - {name: Ивангород}
departments:
  - id: zhkh
    name: Комитет ЖКХ
    head: председатель комитета
    blocks: [ЖКХ, Дороги]
  - id: ivangorod
    name: Администрация Ивангорода
    head: глава администрации
    blocks: [Дороги]
    settlements: [Ивангород]
  - id: edu-a
    name: Комитет образования
    head: председатель
    blocks: [Образование]
  - id: edu-b
    name: Отдел школ
    head: начальник
    blocks: [Образование]
"""
)

MSK = "Europe/Moscow"


@pytest.mark.parametrize(
    ("block", "settlement", "department"),
    [
        ("ЖКХ", None, "zhkh"),
        ("ЖКХ", "Ивангород", "zhkh"),  # no local owner: the district-wide one
        ("Дороги", "Ивангород", "ivangorod"),  # the local owner wins
        ("Дороги", "Кингисепп", "zhkh"),
        ("Образование", None, None),  # two owners: triage
        ("Культура", None, None),  # nobody: triage
        (None, None, None),
    ],
)
def test_routing(block: str | None, settlement: str | None, department: str | None) -> None:
    assert route(block, settlement, MUNICIPALITY).department_id == department


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Monday 10:00 + 8h → Monday 18:00, + 9h → Tuesday 10:00 (working day 9–18)
        (datetime(2026, 11, 23, 10, 0), 8, datetime(2026, 11, 23, 18, 0)),
        (datetime(2026, 11, 23, 10, 0), 9, datetime(2026, 11, 24, 10, 0)),
        # Friday 17:00 + 4h → Monday 12:00
        (datetime(2026, 11, 27, 17, 0), 4, datetime(2026, 11, 30, 12, 0)),
        # Saturday night → Monday 09:00 + 8h → Monday 17:00
        (datetime(2026, 11, 28, 23, 0), 8, datetime(2026, 11, 30, 17, 0)),
        # 3 November 2025 was a day off transferred from Saturday 1 November, 4 November a holiday;
        # Saturday 1 November 2025 was a working day.
        (datetime(2025, 10, 31, 17, 0), 4, datetime(2025, 11, 1, 12, 0)),
        # …and a pre-holiday day, one hour shorter (ТК РФ ст. 95): it closed at 17:00.
        (datetime(2025, 11, 1, 16, 0), 4, datetime(2025, 11, 5, 12, 0)),
        # New Year holidays 2026: 31 Dec to 11 Jan off
        (datetime(2025, 12, 30, 16, 0), 8, datetime(2026, 1, 12, 15, 0)),
    ],
)
def test_working_hours_across_weekends_and_holidays(start: datetime, hours: int, due: datetime) -> None:
    calendar = WorkingCalendar(MSK)
    tz = calendar.tz
    assert calendar.add_working_hours(start.replace(tzinfo=tz), hours) == due.replace(tzinfo=tz)


def test_working_hours_respect_the_local_time_zone() -> None:
    # 02:00 UTC on Monday is 09:00 in Krasnoyarsk (UTC+7): the working day has started there.
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert WorkingCalendar("Asia/Krasnoyarsk").add_working_hours(monday, 1) == datetime(
        2026, 11, 23, 3, 0, tzinfo=UTC
    )
    assert WorkingCalendar(MSK).add_working_hours(monday, 1) == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def _post(post_id: str, parent: str | None = None) -> Post:
    return Post(
        platform=Platform.VK,
        owner_id="-100003",
        post_id=post_id,
        text="Яма на дороге у школы, колесо пробил",
        published_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        kind=PostKind.COMMENT if parent else PostKind.POST,
        parent_key=parent,
    )


def test_incident_posts_open_cases_once_and_comments_join(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    posts, cases = PostStore(db), IncidentStore(db)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 12:00 in Moscow
    post, comment, chatter = _post("1"), _post("2", parent="vk:-100003:1"), _post("3")
    posts.save_batch([post, comment, chatter], [], now)
    pairs = [
        (post, Analysis(post.key, "m", block="Дороги", settlement="Ивангород", is_incident=True)),
        (comment, Analysis(comment.key, "m", block="Дороги", is_incident=True)),
        (chatter, Analysis(chatter.key, "m", block="Дороги", is_incident=False)),
    ]
    first = cases.take_incidents(pairs, MUNICIPALITY, now)
    again = cases.take_incidents(pairs, MUNICIPALITY, now)
    assert (first.opened, first.joined) == (1, 1)
    assert (again.opened, again.joined) == (0, 0)
    (case,) = cases.list()
    assert case.department_id == "ivangorod" and case.status is IncidentStatus.ASSIGNED
    assert case.post_keys == [post.key, comment.key]
    # registered when the post was published (Monday 11:00 in Moscow, an hour before it was taken):
    # + 8 working hours = Tuesday 10:00 in Moscow
    assert case.opened_at == post.published_at
    assert case.first_answer_due == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    db.close()
