"""The queue and its ratings as tables for people: CSV (for anything) and XLSX (for the МЦУ's Excel
reports).

One row builder per table, two writers, so the two files never disagree. Times are local to the
municipality, as the decrees' reports quote them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident
from infopole.incidents.ratings import DepartmentRating, OfficialRating
from infopole.incidents.sla import calendar_for, sla_state

COLUMNS = (
    "№",
    "Вид",
    "Канал",
    "Статус",
    "Состояние срока",
    "Срок",
    "Зарегистрировано",
    "Блок",
    "Поселение",
    "Улица",
    "Ответственный",
    "Приоритет",
    "Эскалировано",
    "Публикаций",
    "Внешний номер",
    "Суть",
)


def queue_rows(incidents: Iterable[Incident], municipality: Municipality, now: datetime) -> list[list[Any]]:
    calendar = calendar_for(municipality.sla, municipality.timezone)
    names = {d.id: d.name for d in municipality.departments}

    def local(moment: datetime | None) -> str:
        return moment.astimezone(municipality.tz).strftime("%d.%m.%Y %H:%M") if moment else ""

    return [
        [
            incident.id,
            incident.kind.label,
            incident.channel,
            incident.status.label,
            sla_state(incident, municipality.sla, calendar, now).label,
            local(incident.due_at),
            local(incident.opened_at),
            incident.block or "",
            incident.settlement or "",
            incident.street or "",
            names.get(incident.department_id or "", "на распределении у руководителя МЦУ"),
            "срочно" if incident.priority.value == "high" else "обычный",
            local(incident.escalated_at),
            len(incident.post_keys),
            incident.external_id or "",
            incident.title,
        ]
        for incident in incidents
    ]


RATING_COLUMNS = (
    "Место",
    "Кто",
    "Роль",
    "Отдел",
    "Обращений",
    "С ответом",
    "Медиана первого ответа, раб. ч",
    "90-й перцентиль, раб. ч",
    "В срок, %",
    "Просрочено",
    "Решено, %",
    "Только промежуточный ответ, %",
    "Повторно открыто, %",
    "Отписок",
    "Одобрили ответ, %",
    "Недовольны ответом, %",
)


def rating_rows(
    departments: Iterable[DepartmentRating],
    officials: Iterable[OfficialRating],
    names: Mapping[str, str],
) -> list[list[Any]]:
    """Departments first, then officials (responsible, then those who answered), as ranked."""

    def percent(share: float | None) -> float | str:
        return round(share * 100, 1) if share is not None else ""

    def row(rating: DepartmentRating, who: str, role: str) -> list[Any]:
        return [
            rating.rank or "",
            who,
            role,
            names.get(rating.department_id, rating.department_id),
            rating.cases,
            rating.answered,
            rating.median_first_answer_hours if rating.median_first_answer_hours is not None else "",
            rating.p90_first_answer_hours if rating.p90_first_answer_hours is not None else "",
            percent(rating.answered_in_time_share),
            rating.overdue,
            percent(rating.resolved_share),
            percent(rating.interim_only_share),
            percent(rating.reopen_rate),
            rating.formal_replies,
            percent(rating.positive_reaction_share),
            percent(rating.negative_reaction_share),
        ]

    rows = [row(r, names.get(r.department_id, r.department_id), "отдел") for r in departments]
    return rows + [row(r, r.official, r.role.label) for r in officials]


def to_csv(rows: list[list[Any]], header: Sequence[str] = COLUMNS) -> bytes:
    """UTF-8 with a BOM and semicolons: what Excel in a Russian locale opens without asking."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[list[Any]], title: str = "Обращения", header: Sequence[str] = COLUMNS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 60 if column == "Суть" else 18
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
