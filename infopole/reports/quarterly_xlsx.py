"""The quarterly report's tables as XLSX: numbers stay numbers (shares as percent-formatted
fractions), so the ЦУР can sum and chart them without retyping.

Sheets: efficiency by socially significant block, cases by month, ratings of the departments,
and the method (definitions and the block mapping), so the file explains itself when forwarded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from infopole.reports.fmt import local
from infopole.reports.metrics import ACCELERATED_DAYS
from infopole.reports.quarterly import QuarterlyReport
from infopole.reports.social_blocks import SOCIAL_BLOCKS, unmapped_blocks

SHEET_BLOCKS = "Эффективность по блокам"
SHEET_MONTHS = "По месяцам"
SHEET_RATINGS = "Рейтинг ответственных"
SHEET_METHOD = "Методика"
PERCENT = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
MONTHS_RU = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)

BLOCK_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("Социально значимый блок", None),
    ("Публикаций и комментариев", None),
    ("Сообщений о проблемах", None),
    ("Доля негативных", PERCENT),
    ("Случаев зарегистрировано", None),
    ("в т.ч. обращений (59-ФЗ)", None),
    ("Случаев в предыдущем квартале", None),
    ("Дан первый ответ", None),
    ("Медиана времени первого ответа, раб. ч", "0.0"),
    ("90-й процентиль времени первого ответа, раб. ч", "0.0"),
    ("Срок первого ответа наступил", None),
    ("Ответов в срок", None),
    ("Доля ответов в срок", PERCENT),
    ("Просрочено на дату отчёта", None),
    ("Решено (окончательный ответ)", None),
    ("Доля решённых", PERCENT),
    (f"Доля решённых менее чем за {ACCELERATED_DAYS} дней", PERCENT),
    ("Повторно открыто (жалоба не решена)", None),
    ("Доля повторно открытых", PERCENT),
    ("Положительная реакция заявителя", None),
    ("Доля положительных реакций (от давших ответ)", PERCENT),
    ("Формальных ответов (отписок)", None),
)


def block_values(report: QuarterlyReport) -> list[list[Any]]:
    """The main table's rows, in column order: also what tests compare with the database."""
    out = []
    for row in report.rows:
        m = row.metrics
        out.append(
            [
                row.block,
                row.posts,
                row.problems,
                row.negative_share,
                m.cases,
                m.appeals,
                row.cases_before,
                m.answered,
                m.median_hours,
                m.p90_hours,
                m.due,
                m.in_time,
                m.in_time_share,
                m.overdue,
                m.resolved,
                m.resolved_share,
                m.accelerated_share,
                m.reopened,
                m.reopen_rate,
                m.positive_reactions,
                m.positive_share,
                m.formal_replies,
            ]
        )
    return out


def write_quarterly_xlsx(report: QuarterlyReport, path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_BLOCKS
    _caption(sheet, report, "Эффективность работы с обращениями и сообщениями по социально значимым блокам")
    _table(sheet, 5, [c for c, _ in BLOCK_COLUMNS], block_values(report), [f for _, f in BLOCK_COLUMNS])
    for cell in sheet[5 + len(report.rows)]:
        cell.font = Font(bold=True)  # «Итого»
    _months(book.create_sheet(SHEET_MONTHS), report)
    _ratings(book.create_sheet(SHEET_RATINGS), report)
    _method(book.create_sheet(SHEET_METHOD))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _caption(sheet: Worksheet, report: QuarterlyReport, title: str) -> None:
    sheet["A1"] = f"{report.municipality} ({report.region})"
    sheet["A1"].font = Font(bold=True, size=12)
    sheet["A2"] = title
    sheet["A2"].font = Font(bold=True)
    sheet["A3"] = (
        f"Период: {report.period.label}; сравнение с {report.previous.label}; данные на "
        f"{local(report.as_of, report.period.tz)}"
    )


def _table(
    sheet: Worksheet,
    first_row: int,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    formats: Sequence[str | None] | None = None,
) -> None:
    for column, title in enumerate(header, start=1):
        cell = sheet.cell(first_row, column, title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(first_row + offset, column, value)
            if formats and formats[column - 1]:
                cell.number_format = formats[column - 1]
    sheet.freeze_panes = sheet.cell(first_row + 1, 2)
    sheet.column_dimensions["A"].width = 40
    for column in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 15
    sheet.row_dimensions[first_row].height = 60


def _months(sheet: Worksheet, report: QuarterlyReport) -> None:
    _caption(sheet, report, "Случаи (инциденты и обращения) по месяцам")
    header = [
        "Социально значимый блок",
        *(f"{MONTHS_RU[m.month - 1]} {m.year}" for m in report.months),
        "Всего",
    ]
    rows = [[name, *counts, sum(counts)] for name, counts in report.by_month.items()]
    totals = (
        [sum(column) for column in zip(*report.by_month.values(), strict=True)] if report.by_month else []
    )
    rows.append(["Итого", *totals, sum(totals)])
    _table(sheet, 5, header, rows)


def _ratings(sheet: Worksheet, report: QuarterlyReport) -> None:
    _caption(sheet, report, "Рейтинг ответственных (количество, скорость, полнота реагирования)")
    header = [
        "Ответственный",
        "Место",
        "Случаев",
        "Дан первый ответ",
        "Медиана, раб. ч",
        "90-й процентиль, раб. ч",
        "Доля в срок",
        "Просрочено",
        "Доля решённых",
        "Доля только промежуточных",
        "Доля повторно открытых",
        "Отписок",
    ]
    rows = [
        [
            report.department_names.get(r.department_id, "На распределении"),
            r.rank,
            r.cases,
            r.answered,
            r.median_first_answer_hours,
            r.p90_first_answer_hours,
            r.answered_in_time_share,
            r.overdue,
            r.resolved_share,
            r.interim_only_share,
            r.reopen_rate,
            r.formal_replies,
        ]
        for r in report.ratings
    ]
    formats = [None, None, None, None, "0.0", "0.0", PERCENT, None, PERCENT, PERCENT, PERCENT, None]
    _table(sheet, 5, header, rows, formats)


def _method(sheet: Worksheet) -> None:
    lines = [
        ("Показатель", "Определение"),
        (
            "Сообщение о проблеме",
            "Публикация или комментарий, распознанные как инцидент, либо негативная "
            "публикация по тематическому блоку",
        ),
        (
            "Случай",
            "Инцидент из социальных сетей или обращение (59-ФЗ) в очереди МЦУ, зарегистрированный "
            "в отчётном квартале",
        ),
        (
            "Время первого ответа",
            "Рабочие часы по производственному календарю от регистрации до первого "
            "ответа по существу (промежуточного или окончательного); отписка ответом не считается",
        ),
        (
            "Доля в срок",
            "Ответов, данных не позднее срока, от случаев, по которым срок наступил или ответ дан",
        ),
        (
            "Ускоренное решение",
            f"Окончательный ответ или решение менее чем за {ACCELERATED_DAYS} "
            "календарных дней (механизм ускоренного решения)",
        ),
        (
            "Удовлетворённость (косвенно)",
            "Опрос заявителей не проводится. Показатели: доля случаев, где автор "
            "сообщения после ответа оставил положительный комментарий, и доля повторно открытых случаев "
            "(заявитель сообщил, что проблема не решена)",
        ),
        ("", ""),
        ("Блок ЦУР", "Тематические блоки классификатора"),
        *((b.name, "; ".join(b.canonical)) for b in SOCIAL_BLOCKS),
        ("Прочие блоки", "; ".join(unmapped_blocks())),
    ]
    for row, (name, text) in enumerate(lines, start=1):
        sheet.cell(row, 1, name).font = Font(bold=row == 1 or name == "Блок ЦУР")
        sheet.cell(row, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 110
