"""A database for the report tests: the demo's information field (real crawler, real NLP) plus a
quarter's worth of cases with a known history, written through the real stores.

The demo registers its cases at their posts' publication time (as the stream would have opened
them), not at the moment it runs; the dated cases below give the fixture week (16–22.11.2026) and
quarter a known history on top of that: answers, отписки, reopenings and a resident's thanks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from infopole.domain.alert import Alert, AlertKind
from infopole.domain.analysis import Analysis
from infopole.domain.incident import CaseKind, Incident
from infopole.domain.post import Platform, Post, PostKind
from infopole.incidents.cases import new_case
from infopole.runtime import Runtime

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday: the last complete week is 16–22.11.2026
MSK = timedelta(hours=3)
RESIDENT = "resident-voroskogo"


def at(day: str, hhmm: str = "10:00") -> datetime:
    """Moscow wall time → UTC."""
    return datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=UTC) - MSK


@dataclass(frozen=True)
class Planned:
    block: str
    settlement: str
    opened: datetime
    history: tuple[tuple[str, datetime], ...] = ()  # (action, when)
    street: str | None = None
    kind: str = "message"
    post: str | None = None  # text of the resident's post linked to the case


PLANNED = (
    Planned("ЖКХ", "Кингисепп", at("2026-11-17"), (("answer", at("2026-11-17", "14:00")),
            ("resolve", at("2026-11-18"))), "улица Воровского", post="Нет горячей воды на Воровского 22"),
    Planned("Дороги", "Кингисепп", at("2026-11-16"), (), "проспект Карла Маркса"),
    Planned("Дороги", "Кингисепп", at("2026-11-16", "11:00"), (), "проспект Карла Маркса"),
    Planned("Дороги", "Кингисепп", at("2026-11-19"), ()),
    Planned("Образование", "Кингисепп", at("2026-11-18"), (("formal", at("2026-11-19")),)),
    Planned("Здравоохранение/Медицина", "Кингисепп", at("2026-11-10"),
            (("interim", at("2026-11-12")), ("answer", at("2026-11-14"))), kind="appeal"),
    Planned("Мусор/Свалки/ТКО", "Кингисепп", at("2026-10-05"), (("answer", at("2026-10-20")),
            ("reopen", at("2026-10-25")), ("answer", at("2026-10-27")))),
    Planned("Общественный транспорт", "Ивангород", at("2026-10-12"), (("answer", at("2026-10-12", "15:00")),
            ("resolve", at("2026-10-13")))),
    Planned("Электроснабжение", "Ивангород", at("2026-09-28"), (("answer", at("2026-09-28", "12:00")),)),
)  # fmt: skip


def _apply(action: str, when: datetime) -> Callable[[Incident], object]:
    def mutate(case: Incident) -> object:
        if action == "answer":
            return case.answer("Ответ по существу", when, "official")
        if action == "interim":
            return case.give_interim("Работы запланированы", when, "official")
        if action == "formal":
            return case.note_formal_reply("Ваше обращение передано", when, "official")
        if action == "resolve":
            return case.resolve(when, "official")
        if action == "reopen":
            return case.reopen(when, "resident")
        raise ValueError(action)

    return mutate


def _resident_posts(runtime: Runtime) -> tuple[Post, Post]:
    post = Post(
        platform=Platform.VK,
        owner_id="-900001",
        post_id="1",
        text="Нет горячей воды на Воровского 22, третий день",
        published_at=at("2026-11-17", "09:30"),
        source_id="vk-kingisepp-online",
        author_id=RESIDENT,
        url="https://vk.com/wall-900001_1",
    )
    thanks = Post(
        platform=Platform.VK,
        owner_id="-900001",
        post_id="2",
        text="Спасибо, воду дали! Всё отлично",
        published_at=at("2026-11-18", "12:00"),
        kind=PostKind.COMMENT,
        parent_key=post.key,
        source_id="vk-kingisepp-online",
        author_id=RESIDENT,
        url="https://vk.com/wall-900001_1?reply=2",
    )
    runtime.posts.save_batch([post, thanks], [], NOW)
    complaint = Analysis(
        post.key, "test", block="ЖКХ", sentiment="negative", is_incident=True, settlement="Кингисепп"
    )
    praise = Analysis(thanks.key, "test", block="ЖКХ", sentiment="positive", settlement="Кингисепп")
    runtime.posts.save_analyses([(post, complaint), (thanks, praise)], NOW)
    return post, thanks


def add_dated_cases(runtime: Runtime) -> list[int]:
    municipality = runtime.municipality
    resident_post, _ = _resident_posts(runtime)
    ids = []
    for plan in PLANNED:
        case = new_case(
            title=f"{plan.block}: {plan.settlement}",
            block=plan.block,
            settlement=plan.settlement,
            street=plan.street,
            municipality=municipality,
            now=plan.opened,
            opened_at=plan.opened,
            kind=CaseKind(plan.kind),
            post_keys=[resident_post.key] if plan.post else [],
        )
        saved = runtime.incidents.add(case, plan.opened)
        assert saved.id is not None
        for action, when in plan.history:
            runtime.incidents.change(
                saved.id, _apply(action, when), municipality=municipality, now=when, actor="t"
            )
        ids.append(saved.id)
    return ids


def add_alerts(runtime: Runtime) -> None:
    alert = Alert(
        key="test:wave:ЖКХ",
        kind=AlertKind.SPIKE,
        severity="high",
        title="Всплеск жалоб на отсутствие горячей воды в Кингисеппе",
        created_at=at("2026-11-19", "08:00"),
        details={"url": "https://vk.com/wall-900001_1"},
    )
    runtime.alerts.record([alert], runtime.municipality, at("2026-11-19", "08:00"))


def fill(data_dir: Path) -> None:
    from infopole.demo import demo_settings, run_demo

    run_demo(data_dir, echo=lambda _line: None, now=NOW)
    runtime = Runtime(demo_settings(data_dir, vk_url="http://127.0.0.1:9"))
    try:
        add_dated_cases(runtime)
        add_alerts(runtime)
    finally:
        runtime.close()
