"""Shared builders for the appeals-queue tests: a small municipality, posts and cases."""

from __future__ import annotations

from datetime import UTC, datetime

from infopole.config.municipality import Municipality, parse_municipality
from infopole.domain.analysis import Address, Analysis
from infopole.domain.incident import CaseKind, Incident, IncidentStatus, Priority
from infopole.domain.post import Platform, Post, PostKind

MUNICIPALITY_YAML = """
slug: test
name: Тестовый район
short_name: Тест
region: Ленинградская область
oktmo: "41621000"
timezone: {timezone}
center: {{lat: 59.37, lon: 28.61}}
members:
  - role: curator
    position: Первый заместитель главы администрации
  - role: head
    position: Руководитель МЦУ
settlements:
  - {{name: Кингисепп}}
  - {{name: Ивангород}}
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
  - id: culture
    name: Комитет культуры
    head: председатель
    blocks: [Культура]
sources:
  - id: vk-adm
    kind: vk_wall
    target: '-100001'
    title: Администрация района
    official: true
  - id: vk-podslushano
    kind: vk_wall
    target: '-100003'
    title: Подслушано
official_pages:
  - source: vk-adm
    institution: Администрация района
    responsible: пресс-секретарь
official_accounts: [vk-known-official]
"""


def municipality(timezone: str = "Europe/Moscow") -> Municipality:
    return parse_municipality(MUNICIPALITY_YAML.format(timezone=timezone))


MUNICIPALITY = municipality()
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 12:00 in Moscow


def post(
    post_id: str,
    text: str = "Яма на дороге у школы на улице Ленина, колесо пробил, сколько можно ждать ремонта",
    *,
    owner: str = "-100003",
    parent: str | None = None,
    copy_of: str | None = None,
    author: str = "vk-resident-1",
    community: bool = False,
    at: datetime = NOW,
) -> Post:
    return Post(
        platform=Platform.VK,
        owner_id=owner,
        post_id=post_id,
        text=text,
        published_at=at,
        kind=PostKind.COMMENT if parent else PostKind.POST,
        parent_key=parent,
        copy_of_key=copy_of,
        author_id=author,
        author_is_community=community,
        url=f"https://vk.com/wall{owner}_{post_id}",
    )


def analysis(
    item: Post,
    block: str | None = "Дороги",
    settlement: str | None = "Кингисепп",
    street: str | None = None,
    risk: float = 0.1,
) -> Analysis:
    addresses = (Address(text=street, settlement=settlement, street=street),) if street else ()
    return Analysis(
        item.key,
        "test-model",
        block=block,
        settlement=settlement,
        is_incident=True,
        risk_score=risk,
        addresses=addresses,
    )


def case(
    opened_at: datetime = NOW,
    *,
    priority: Priority = Priority.NORMAL,
    kind: CaseKind = CaseKind.MESSAGE,
    department: str | None = "zhkh",
) -> Incident:
    incident = Incident(
        id=1,
        block="Дороги",
        settlement="Кингисепп",
        department_id=None,
        status=IncidentStatus.NEW,
        priority=priority,
        opened_at=opened_at,
        first_answer_due=None,
        title="Яма на дороге",
        kind=kind,
    )
    if department:
        incident.assign(department, opened_at)
    else:
        incident.send_to_triage(opened_at, "тематика не определена")
    return incident
