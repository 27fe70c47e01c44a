"""The quarterly report's narrative as DOCX: what the tables of the XLSX mean, in sentences.

The sentences are built from the same ``QuarterlyReport`` as the XLSX, so the narrative and the
tables cannot disagree; the satisfaction section says plainly that it is a proxy.
"""

from __future__ import annotations

from pathlib import Path

from docx.document import Document as DocumentObject

from infopole.reports import charts
from infopole.reports.docx_kit import heading, new_document, para, picture, save, signature, table
from infopole.reports.fmt import local, num, pct, trend
from infopole.reports.metrics import ACCELERATED_DAYS
from infopole.reports.quarterly import BlockEfficiency, QuarterlyReport
from infopole.reports.social_blocks import NOT_CLASSIFIED, OTHER, SOCIAL_BLOCKS, unmapped_blocks

TITLE = "Отчёт об эффективности работы с обращениями и сообщениями граждан"
MIN_CASES_TO_JUDGE = 3  # a block with two cases is neither good nor bad


def write_quarterly_docx(report: QuarterlyReport, path: Path) -> Path:
    document = new_document(f"{TITLE}: {report.municipality}")
    _title(document, report)
    _summary(document, report)
    _blocks(document, report)
    _satisfaction(document, report)
    _attention(document, report)
    _ratings(document, report)
    _method(document)
    signature(document, report.signer)
    return save(document, path)


def _title(document: DocumentObject, report: QuarterlyReport) -> None:
    para(document, report.municipality, bold=True, center=True)
    para(document, "Муниципальный центр управления (МЦУ)", center=True)
    para(document)
    para(document, TITLE.upper(), bold=True, size=14, center=True)
    para(document, "по социально значимым блокам", bold=True, center=True)
    para(document, f"за период {report.period.label}", bold=True, center=True)
    para(
        document,
        f"Для Центра управления регионом ({report.region}). Данные на "
        f"{local(report.as_of, report.period.tz)}; таблицы — в приложенном файле XLSX.",
        italic=True,
        size=10,
        center=True,
    )
    para(
        document,
        "Отчёт формируется ежеквартально в соответствии с функцией МЦУ «формирует и ежеквартально "
        "предоставляет в Центр управления регионом … отчет об эффективности работы местной администрации, "
        "подведомственных организаций с обращениями и сообщениями граждан и юридических лиц по "
        "социально-значимым блокам»" + (f" ({report.decree})." if report.decree else "."),
        italic=True,
        size=10,
    )


def _summary(document: DocumentObject, report: QuarterlyReport) -> None:
    total = report.total
    m = total.metrics
    heading(document, "1. Общие показатели")
    para(
        document,
        f"За квартал в информационном поле зафиксировано {num(total.posts)} публикаций и комментариев, "
        f"из них {num(total.problems)} сообщений о проблемах. Зарегистрировано {num(m.cases)} случаев "
        f"(в том числе {num(m.appeals)} обращений по 59-ФЗ) против {num(total.cases_before)} в предыдущем "
        f"квартале ({trend(m.cases, total.cases_before)}).",
    )
    para(
        document,
        f"Первый ответ дан по {num(m.answered)} случаям; медиана времени первого ответа — "
        f"{num(m.median_hours)} раб. ч, 90-й процентиль — {num(m.p90_hours)} раб. ч. В срок дано "
        f"{pct(m.in_time_share)} первых ответов ({num(m.in_time)} из {num(m.due)}). На дату отчёта "
        f"просрочено {num(m.overdue)}. Решено {num(m.resolved)} ({pct(m.resolved_share)}), из них менее чем "
        f"за {ACCELERATED_DAYS} дней — {pct(m.accelerated_share)}.",
    )


def _blocks(document: DocumentObject, report: QuarterlyReport) -> None:
    heading(document, "2. Эффективность по социально значимым блокам")
    table(
        document,
        (
            "Блок",
            "Случаев",
            "Медиана, раб. ч",
            "90-й проц., раб. ч",
            "В срок",
            "Просрочено",
            "Решено",
            "Повторно открыто",
            "Положит. реакция",
        ),
        [
            (
                row.block,
                num(row.metrics.cases),
                num(row.metrics.median_hours),
                num(row.metrics.p90_hours),
                pct(row.metrics.in_time_share),
                num(row.metrics.overdue),
                pct(row.metrics.resolved_share),
                pct(row.metrics.reopen_rate),
                pct(row.metrics.positive_share),
            )
            for row in report.rows
        ],
        (4.2, 1.5, 1.6, 1.6, 1.5, 1.6, 1.5, 1.8, 1.7),
    )
    judged = [r for r in _social(report) if r.metrics.in_time_share is not None]
    if judged:
        png = charts.single_bars(
            [r.block for r in judged],
            [round((r.metrics.in_time_share or 0) * 100, 1) for r in judged],
            "Доля первых ответов в срок, %",
        )
        picture(document, png, "Рис. 1. Доля первых ответов в срок по блокам")
    timed = [r for r in _social(report) if r.metrics.median_hours is not None]
    if timed:
        png = charts.single_bars(
            [r.block for r in timed],
            [r.metrics.median_hours or 0 for r in timed],
            "Медиана времени первого ответа, раб. ч",
        )
        picture(document, png, "Рис. 2. Скорость реагирования по блокам")


def _satisfaction(document: DocumentObject, report: QuarterlyReport) -> None:
    m = report.total.metrics
    heading(document, "3. Показатели удовлетворённости")
    para(
        document,
        "Прямой опрос заявителей не проводится, поэтому удовлетворённость оценивается косвенно, по двум "
        "показателям: (1) доля случаев, по которым автор сообщения после ответа администрации оставил "
        "положительный комментарий («спасибо, сделали»), от случаев с ответом; (2) доля повторно открытых "
        "случаев — заявитель сообщил, что проблема не решена.",
        size=11,
    )
    para(
        document,
        f"За квартал положительная реакция заявителя получена по {num(m.positive_reactions)} случаям из "
        f"{num(m.answered)} с ответом ({pct(m.positive_share)}); повторно открыто {num(m.reopened)} случаев "
        f"({pct(m.reopen_rate)}); формальных ответов («отписок») — {num(m.formal_replies)}.",
    )


def _attention(document: DocumentObject, report: QuarterlyReport) -> None:
    heading(document, "4. Блоки, требующие внимания")
    judged = [r for r in _social(report) if r.metrics.cases >= MIN_CASES_TO_JUDGE]
    if not judged:
        para(document, f"Ни в одном блоке нет {MIN_CASES_TO_JUDGE} и более случаев: оценка не проводится.")
        return
    slowest = min(judged, key=lambda r: (r.metrics.in_time_share or 0.0, r.block))
    most = max(judged, key=lambda r: (r.metrics.cases, r.block))
    lines = [
        f"Больше всего случаев — в блоке «{most.block}»: {num(most.metrics.cases)} "
        f"({trend(most.metrics.cases, most.cases_before)} к предыдущему кварталу).",
        f"Ниже всего доля ответов в срок — в блоке «{slowest.block}»: {pct(slowest.metrics.in_time_share)}.",
    ]
    reopened = [r for r in judged if r.metrics.reopened]
    if reopened:
        worst = max(reopened, key=lambda r: (r.metrics.reopen_rate or 0.0, r.block))
        lines.append(
            f"Чаще всего жалобы возвращаются в блоке «{worst.block}»: повторно открыто "
            f"{num(worst.metrics.reopened)} ({pct(worst.metrics.reopen_rate)})."
        )
    for line in lines:
        para(document, line)


def _ratings(document: DocumentObject, report: QuarterlyReport) -> None:
    heading(document, "5. Рейтинг ответственных")
    if not report.ratings:
        para(document, "Случаев за квартал не зарегистрировано.")
        return
    table(
        document,
        ("Место", "Ответственный", "Случаев", "Медиана, раб. ч", "В срок", "Решено", "Повторно открыто"),
        [
            (
                r.rank if r.rank is not None else "—",
                report.department_names.get(r.department_id, "На распределении"),
                num(r.cases),
                num(r.median_first_answer_hours),
                pct(r.answered_in_time_share),
                pct(r.resolved_share),
                pct(r.reopen_rate),
            )
            for r in report.ratings
        ],
        (1.3, 6.5, 1.6, 2, 1.8, 1.8, 2),
    )


def _method(document: DocumentObject) -> None:
    heading(document, "6. Методика")
    para(
        document,
        "Время первого ответа — рабочие часы по производственному календарю от регистрации случая до первого "
        "ответа по существу (отписка ответом не считается); медиана и 90-й процентиль (ближайший ранг). "
        "Доля в срок — ответов, данных не позднее установленного срока, от случаев, по которым "
        "срок наступил.",
        size=10,
    )
    mapping = "; ".join(f"{b.name} — {', '.join(b.canonical)}" for b in SOCIAL_BLOCKS)
    para(document, f"Соответствие блоков ЦУР тематикам классификатора: {mapping}.", size=10)
    para(
        document,
        f"«{OTHER}»: {', '.join(unmapped_blocks())}. «{NOT_CLASSIFIED}» — тема не распознана.",
        size=10,
    )


def _social(report: QuarterlyReport) -> list[BlockEfficiency]:
    names = {b.name for b in SOCIAL_BLOCKS}
    return [r for r in report.rows if r.block in names]
