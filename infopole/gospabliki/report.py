"""The monthly госпаблики report for the ЦУР: «предоставляет отчётность о работе госпабликов в ЦУР»
(Novodugino §2.7 «г»). One row builder feeds the XLSX, the DOCX and the dashboard, so the three
never disagree; every number is computed from the database by ``compute``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from infopole.gospabliki.checks import Light
from infopole.gospabliki.compute import PageView
from infopole.gospabliki.metrics import Period

PLATFORMS = {"vk": "ВКонтакте", "ok": "Одноклассники", "telegram": "Telegram"}
COUNTERS = (("views", "просмотры"), ("likes", "лайки"), ("reposts", "репосты"), ("comments", "комментарии"))
FILLS = {
    Light.GREEN: "C6EFCE",
    Light.YELLOW: "FFEB9C",
    Light.RED: "FFC7CE",
    Light.GREY: "D9D9D9",
}

SUMMARY = (
    ("institution", "Учреждение"),
    ("page", "Страница"),
    ("platform", "Площадка"),
    ("category", "Категория"),
    ("responsible", "Ответственный"),
    ("status", "Статус"),
    ("posts", "Публикаций"),
    ("gaps", "Перерывов дольше нормы"),
    ("longest_gap", "Самый долгий перерыв, дн."),
    ("views", "Просмотры"),
    ("likes", "Лайки"),
    ("reposts", "Репосты"),
    ("comments", "Комментарии"),
    ("subscribers_start", "Подписчиков на начало"),
    ("subscribers_end", "Подписчиков на конец"),
    ("subscribers_change", "Прирост подписчиков"),
    ("questions", "Вопросов"),
    ("complaints", "Жалоб"),
    ("answered", "С ответом"),
    ("overdue", "Без ответа сверх срока"),
    ("formal", "Отписок"),
    ("median_answer_hours", "Медиана времени ответа, ч"),
    ("median_answer_working_hours", "Медиана времени ответа, раб. ч"),
    ("content", "Обязательный контент"),
    ("reasons", "Замечания"),
)


def summary_row(view: PageView) -> dict[str, Any]:
    stats, status = view.stats, view.status
    content = "; ".join(
        f"{r.rule.name}: {r.matched}/{r.required}{'' if r.met else ' — не выполнено'}" for r in stats.content
    )
    return {
        "source_id": stats.page.source,
        "light": status.light.value,
        "institution": stats.page.institution,
        "page": stats.title,
        "platform": PLATFORMS.get(stats.platform, stats.platform),
        "category": stats.page.category,
        "responsible": stats.page.responsible,
        "status": status.light.label,
        "posts": stats.posts,
        "gaps": len(stats.gaps),
        "longest_gap": round(stats.longest_gap_days, 1),
        "views": stats.views,
        "likes": stats.likes,
        "reposts": stats.reposts,
        "comments": stats.comments,
        "subscribers_start": stats.subscribers_start,
        "subscribers_end": stats.subscribers_end,
        "subscribers_change": stats.subscribers_change,
        "questions": stats.questions,
        "complaints": stats.complaints,
        "answered": stats.answered,
        "overdue": len(stats.overdue),
        "formal": stats.formal,
        "median_answer_hours": _round(stats.median_answer_hours),
        "median_answer_working_hours": _round(stats.median_answer_working_hours),
        "content": content,
        "reasons": "; ".join(status.reasons) or "нарушений нет",
    }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class Report:
    title: str
    municipality: str
    period: Period
    views: Sequence[PageView]
    generated_at: datetime
    tz: ZoneInfo

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [summary_row(view) for view in self.views]

    def lights(self) -> dict[Light, int]:
        return {light: sum(1 for view in self.views if view.status.light is light) for light in Light}


def build_report(
    municipality_name: str, period: Period, views: Sequence[PageView], now: datetime, tz: ZoneInfo
) -> Report:
    return Report(f"Отчёт о работе госпабликов за {period.label}", municipality_name, period, views, now, tz)


# --- XLSX ------------------------------------------------------------------------------------------


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Сводка"
    sheet.append([report.title])
    sheet.append(
        [f"{report.municipality}; сформирован {report.generated_at.astimezone(report.tz):%d.%m.%Y %H:%M}"]
    )
    sheet.append([label for _, label in SUMMARY])
    for row in report.rows:
        sheet.append([row[key] for key, _ in SUMMARY])
        sheet.cell(sheet.max_row, 5).fill = PatternFill("solid", fgColor=FILLS[Light(row["light"])])
    _header(sheet, 3, len(SUMMARY))

    reach = book.create_sheet("Охват")
    reach.append(
        ["Страница", "Публикаций", "Подписчиков"]
        + [f"{label} на пост" for _, label in COUNTERS]
        + [f"{label} на пост на 1000 подписчиков" for _, label in COUNTERS]
    )
    for view in report.views:
        stats = view.stats
        reach.append(
            [stats.title, stats.posts, stats.subscribers_end]
            + [round(stats.per_post(name), 2) for name, _ in COUNTERS]
            + [_round(stats.per_1000(name), 2) for name, _ in COUNTERS]
        )
    _header(reach, 1, 3 + 2 * len(COUNTERS))

    topics = book.create_sheet("Темы")
    topics.append(["Страница", "Тематический блок", "Публикаций", "Доля, %"])
    for view in report.views:
        for block, count in view.stats.blocks.items():
            topics.append([view.stats.title, block, count, round(100 * view.stats.block_share(block), 1)])
    _header(topics, 1, 4)

    comments = book.create_sheet("Комментарии")
    comments.append(
        [
            "Страница",
            "Вид",
            "Написан",
            "Текст",
            "Ссылка",
            "Ответ",
            "Время ответа, ч",
            "Время ответа, раб. ч",
            "Отписка",
            "Срок",
            "Просрочен",
        ]
    )
    for view in report.views:
        stats = view.stats
        for check in stats.checks:
            comments.append(
                [
                    stats.title,
                    check.kind.label,
                    _local(check.comment.published_at, report.tz),
                    check.comment.text,
                    check.comment.url,
                    _local(check.answered_at, report.tz) if check.answered_at else "нет",
                    _round(check.answer_hours),
                    _round(check.answer_working_hours),
                    "да" if check.formal else "",
                    _local(check.due_at, report.tz),
                    "да" if check.overdue(stats.asof) else "",
                ]
            )
    _header(comments, 1, 11)

    trend = book.create_sheet("Подписчики")
    trend.append(["Страница", "Дата", "Подписчиков", "Изменение"])
    for view in report.views:
        previous: int | None = None
        for moment, count in view.stats.subscribers_trend:
            change = None if previous is None else count - previous
            trend.append([view.stats.title, f"{moment.astimezone(report.tz):%d.%m.%Y}", count, change])
            previous = count
    _header(trend, 1, 4)

    gaps = book.create_sheet("Перерывы")
    gaps.append(["Страница", "С", "По", "Дней", "Норма, дн."])
    for view in report.views:
        for gap in view.stats.gaps:
            gaps.append(
                [
                    view.stats.title,
                    _local(gap.start, report.tz),
                    _local(gap.end, report.tz),
                    round(gap.days, 1),
                    view.stats.gap_days,
                ]
            )
    _header(gaps, 1, 5)

    content = book.create_sheet("Контент")
    content.append(["Страница", "Правило", "Компонент", "Публикаций", "Требуется", "Выполнено"])
    for view in report.views:
        for result in view.stats.content:
            content.append(
                [
                    view.stats.title,
                    result.rule.name,
                    "федеральный" if result.rule.component.value == "federal" else "региональный",
                    result.matched,
                    result.required,
                    "да" if result.met else "нет",
                ]
            )
    _header(content, 1, 6)

    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header(sheet: Any, row: int, width: int) -> None:
    for column in range(1, width + 1):
        cell = sheet.cell(row, column)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(column)].width = 18
    sheet.freeze_panes = sheet.cell(row + 1, 1)


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else ""


# --- DOCX ------------------------------------------------------------------------------------------


def to_docx(report: Report) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    document.add_heading(report.title, level=1)
    document.add_paragraph(report.municipality)
    lights = report.lights()
    rows = report.rows
    checks = [check for view in report.views for check in view.stats.checks]
    answered = sum(1 for check in checks if check.answered)
    document.add_paragraph(
        f"Официальных страниц: {len(rows)}; в норме — {lights[Light.GREEN]}, с замечаниями — "
        f"{lights[Light.YELLOW]}, с нарушениями — {lights[Light.RED]}, без данных — {lights[Light.GREY]}. "
        f"Публикаций за период: {sum(row['posts'] for row in rows)}. "
        f"Вопросов и жалоб в комментариях: {len(checks)}, из них с ответом страницы — {answered}, "
        f"без ответа сверх срока — {sum(row['overdue'] for row in rows)}."
    )
    columns = (
        ("page", "Страница"),
        ("status", "Статус"),
        ("posts", "Публикаций"),
        ("views", "Просмотры"),
        ("subscribers_end", "Подписчиков"),
        ("subscribers_change", "Прирост подписчиков"),
        ("questions", "Вопросов"),
        ("complaints", "Жалоб"),
        ("answered", "С ответом"),
        ("overdue", "Без ответа сверх срока"),
        ("median_answer_hours", "Медиана ответа, ч"),
        ("median_answer_working_hours", "Медиана ответа, раб. ч"),
    )
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, (_, label) in zip(table.rows[0].cells, columns, strict=True):
        cell.text = label
    for row in rows:
        cells = table.add_row().cells
        for cell, (key, _) in zip(cells, columns, strict=True):
            cell.text = "—" if row[key] is None else str(row[key])
    document.add_heading("Замечания по страницам", level=2)
    for view, row in zip(report.views, rows, strict=True):
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{row['page']} ({row['institution']}): ").bold = True
        paragraph.add_run(row["reasons"])
        if view.stats.subscribers_trend:
            document.add_paragraph(
                f"Подписчики: {row['subscribers_start']} → {row['subscribers_end']} "
                f"({row['subscribers_change']:+d}), замеров {len(view.stats.subscribers_trend)}."
            )
        if view.stats.blocks:
            topics = ", ".join(
                f"{block} — {round(100 * view.stats.block_share(block))}%" for block in view.stats.blocks
            )
            document.add_paragraph(f"Темы публикаций: {topics}.")
    overdue = [(view, check) for view in report.views for check in view.stats.overdue]
    document.add_heading("Комментарии без ответа сверх срока", level=2)
    if not overdue:
        document.add_paragraph("Нет.")
    for view, check in overdue:
        document.add_paragraph(
            f"{view.stats.title}, {_local(check.comment.published_at, report.tz)}, {check.kind.label}: "
            f"«{check.comment.text}» {check.comment.url}",
            style="List Number",
        )
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
