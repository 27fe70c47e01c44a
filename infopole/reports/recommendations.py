"""Recommendations for the head, drawn from the note's own figures by plain rules.

Kotelnikovo §2 5)–6): the МЦУ works out «рекомендаци[и] для определения приоритетов работы
местной администрации». A recommendation the head can act on must say where it comes from,
so every rule returns the figure it fired on (``basis``) as the note prints it; no rule fires
on data the note does not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from infopole.reports.fmt import num, pct, plural, trend

if TYPE_CHECKING:
    from infopole.reports.weekly import WeeklyNote

GROWTH_MIN_MESSAGES = 5  # below this a «+100 %» is two posts instead of one
GROWTH_SHARE = 0.5
OVERDUE_MIN = 3
IN_TIME_TARGET = 0.8
MAX_RECOMMENDATIONS = 8


@dataclass(frozen=True, slots=True)
class Recommendation:
    text: str
    basis: str  # the figure it comes from, as printed in the note


def recommend(note: WeeklyNote) -> list[Recommendation]:
    """Each rule's first finding, then each rule's second, … up to ``MAX_RECOMMENDATIONS``: a week
    in which many blocks grow must not crowd the overdue cases or the formal replies out of the note."""
    rules = [
        _growing_blocks(note),
        _hot_spots(note),
        _overdue(note),
        _deadlines(note),
        _risks(note),
        _formal_replies(note),
    ]
    out = [found[rank] for rank in range(max(map(len, rules))) for found in rules if rank < len(found)]
    if not out:
        out.append(
            Recommendation(
                "Существенных отклонений не выявлено; сохранить текущий порядок работы с сообщениями.",
                "Разделы 1–6: рост жалоб, повторяющиеся адреса и просрочки ниже порогов.",
            )
        )
    return out[:MAX_RECOMMENDATIONS]


def _growing_blocks(note: WeeklyNote) -> list[Recommendation]:
    out = []
    for row in note.by_block:
        grew = row.problems - row.problems_before
        if row.problems >= GROWTH_MIN_MESSAGES and grew > GROWTH_SHARE * max(row.problems_before, 1):
            out.append(
                Recommendation(
                    f"Поручить ответственному за блок «{row.block}» проанализировать причины роста "
                    "числа сообщений и доложить о принимаемых мерах.",
                    f"Раздел 2: «{row.block}» — сообщений о проблемах {num(row.problems)} против "
                    f"{num(row.problems_before)} неделей ранее ({trend(row.problems, row.problems_before)}).",
                )
            )
    return out[:3]


def _hot_spots(note: WeeklyNote) -> list[Recommendation]:
    return [
        Recommendation(
            f"Включить адрес «{spot.settlement}, {spot.street}» (блок «{spot.block}») в дорожную карту "
            "по устранению первопричин повторяющихся сообщений.",
            f"Раздел 3: {plural(spot.in_window, 'сообщение', 'сообщения', 'сообщений')} за "
            f"{plural(spot.days, 'день', 'разных дня', 'разных дней')} с {spot.first_seen:%d.%m.%Y} по "
            f"{spot.last_seen:%d.%m.%Y}, из них {num(spot.in_period)} за отчётную неделю.",
        )
        for spot in note.hot_spots[:2]
    ]


def _overdue(note: WeeklyNote) -> list[Recommendation]:
    return [
        Recommendation(
            f"Заслушать ответственного ({row.department}) о причинах нарушения сроков ответа "
            "и установить срок устранения просрочки.",
            f"Раздел 5: просрочено {plural(row.overdue, 'случай', 'случая', 'случаев')}, старейший — на "
            f"{num(row.oldest_days)} сут.",
        )
        for row in note.overdue
        if row.overdue >= OVERDUE_MIN
    ][:3]


def _deadlines(note: WeeklyNote) -> list[Recommendation]:
    figure = next((f for f in note.numbers if f.label == "Первых ответов дано в срок"), None)
    if figure is None or figure.value is None or figure.value >= IN_TIME_TARGET * 100:
        return []
    return [
        Recommendation(
            "Усилить контроль сроков первого ответа: ежедневно сверять очередь случаев "
            "с ответственными за отраслевые блоки.",
            f"Раздел 1: первых ответов в срок — {num(figure.value)} % при целевом уровне "
            f"{pct(IN_TIME_TARGET, 0)}.",
        )
    ]


def _risks(note: WeeklyNote) -> list[Recommendation]:
    pending = [a for a in note.alerts if a.severity == "high" and not a.acknowledged]
    if not pending:
        return []
    return [
        Recommendation(
            "Отработать неподтверждённые оповещения высокой важности: подготовить официальный "
            "комментарий администрации и проинформировать ЦУР.",
            f"Раздел 4: не подтверждено куратором оповещений высокой важности: {num(len(pending))}.",
        )
    ]


def _formal_replies(note: WeeklyNote) -> list[Recommendation]:
    formal = [(note.department_names.get(r.department_id, r.department_id), r) for r in note.ratings]
    offenders = [(name, r.formal_replies) for name, r in formal if r.formal_replies]
    if not offenders:
        return []
    listed = "; ".join(f"{name} — {num(count)}" for name, count in offenders)
    return [
        Recommendation(
            "Недопустимость формальных ответов («отписок»): поручить ответственным дать ответы по существу.",
            f"Раздел 6: формальные ответы за неделю: {listed}.",
        )
    ]
