"""The weekly note as a DOCX the head can sign: sections in the order a head reads them.

Layout only: every number comes from ``WeeklyNote`` through ``fmt``, every chart from ``charts``.
"""

from __future__ import annotations

from pathlib import Path

from docx.document import Document as DocumentObject

from infopole.reports import charts
from infopole.reports.docx_kit import heading, new_document, numbered, para, picture, save, signature, table
from infopole.reports.fmt import NO_DATA, local, num, pct, snippet, trend
from infopole.reports.weekly import UNKNOWN, WeeklyNote

TITLE = "Еженедельная аналитическая записка"
SEVERITY = {"low": "низкая", "medium": "средняя", "high": "высокая"}
ALERT_KIND = {
    "risk": "информационный риск",
    "watchlist": "список наблюдения",
    "spike": "всплеск сообщений",
    "story": "развивающийся сюжет",
    "silence": "молчание источника",
    "sla": "нарушение сроков",
    "operator": "техническое",
}
RISK_FACTOR = {
    "negative": "негатив",
    "toxic": "грубость",
    "incident": "проблема",
    "reach": "охват",
    "emergency": "ЧС",
    "outage": "отключение коммунальных услуг",
    "protest": "протест",
    "corruption": "коррупция",
    "death": "гибель людей",
    "children": "дети",
    "official": "должностные лица",
}


def risk_factor(factor: str) -> str:
    """«official:Иванов» names the official; the label keeps the name."""
    name, _, who = factor.partition(":")
    label = RISK_FACTOR.get(name, name)
    return f"{label} ({who})" if who else label


def write_weekly_docx(note: WeeklyNote, path: Path) -> Path:
    document = new_document(f"{TITLE}: {note.municipality}")
    _title(document, note)
    _numbers(document, note)
    _problems(document, note)
    _hot_spots(document, note)
    _risks(document, note)
    _overdue(document, note)
    _ratings(document, note)
    _recommendations(document, note)
    _method(document, note)
    signature(document, note.signer)
    return save(document, path)


def _title(document: DocumentObject, note: WeeklyNote) -> None:
    para(document, note.municipality, bold=True, center=True)
    para(document, "Муниципальный центр управления (МЦУ)", center=True)
    para(document)
    para(document, TITLE.upper(), bold=True, size=14, center=True)
    para(document, "о ситуации в информационном поле и работе с сообщениями граждан", center=True)
    para(document, f"за период {note.period.label}", bold=True, center=True)
    para(
        document,
        f"Сравнение с предыдущей неделей ({note.previous.label}). Данные по состоянию на "
        f"{local(note.as_of, note.period.tz)}.",
        italic=True,
        size=10,
        center=True,
    )
    if note.decree:
        para(document, f"Основание: {note.decree}", italic=True, size=10)


def _numbers(document: DocumentObject, note: WeeklyNote) -> None:
    heading(document, "1. Неделя в цифрах")
    rows = [
        (
            f.label + (f", {f.unit}" if f.unit else ""),
            num(f.value),
            num(f.previous) if f.previous is not None else NO_DATA,
            trend(f.value, f.previous),
        )
        for f in note.numbers
    ]
    table(document, ("Показатель", "Отчётная неделя", "Предыдущая неделя", "Изменение"), rows, (8, 3, 3, 3))
    days = [f"{d.day:%d.%m}" for d in note.days]
    today = note.as_of.astimezone(note.period.start.tzinfo).date()
    past = [d for d in note.days if d.day <= today]  # a running week: no zeros for days to come
    png = charts.daily_lines(
        days,
        {
            "публикации": [d.posts for d in past],
            "сообщения о проблемах": [d.problems for d in past],
            "публикации, пред. неделя": [d.posts for d in note.days_before],
        },
        "Публикации по дням",
        dashed=("публикации, пред. неделя",),
    )
    picture(document, png, "Рис. 1. Публикации и сообщения о проблемах по дням (пунктир — предыдущая неделя)")


def _problems(document: DocumentObject, note: WeeklyNote) -> None:
    heading(document, "2. Основные проблемы по тематическим блокам и поселениям")
    blocks = [r for r in note.by_block if r.problems or r.problems_before or r.cases][:10]
    if not blocks:
        para(document, "Сообщений о проблемах за неделю не поступало.")
        return
    table(
        document,
        ("Тематический блок", "Сообщений о проблемах", "Неделей ранее", "Изменение", "Инцидентов заведено"),
        [
            (
                r.block,
                num(r.problems),
                num(r.problems_before),
                trend(r.problems, r.problems_before),
                num(r.cases),
            )
            for r in blocks
        ],
        (6, 3, 2.5, 2.5, 3),
    )
    shown = [r for r in blocks if r.block != UNKNOWN][:8]
    if shown:
        png = charts.compare_bars(
            [r.block for r in shown],
            [r.problems for r in shown],
            [r.problems_before for r in shown],
            "Сообщения о проблемах по блокам",
        )
        picture(document, png, "Рис. 2. Сообщения о проблемах по тематическим блокам")
    para(document, "Наиболее частые проблемы (блок × поселение) с примерами сообщений:", bold=True)
    table(
        document,
        ("Блок", "Поселение", "Сообщений", "Неделей ранее", "Пример сообщения"),
        [
            (
                r.block,
                r.settlement,
                num(r.problems),
                num(r.problems_before),
                "\n".join(f"«{snippet(p.text, 180)}» {p.url}" for p in r.examples),
            )
            for r in note.top_problems
        ],
        (3, 2.7, 2, 2, 7.3),
    )


def _hot_spots(document: DocumentObject, note: WeeklyNote) -> None:
    heading(document, "3. Повторяющиеся адреса («горячие точки»)")
    para(
        document,
        "Адрес считается повторяющимся, если о проблеме одного блока на одной улице писали не менее "
        "трёх раз в разные дни за последние 8 недель и в том числе на отчётной неделе. Такие адреса — "
        "кандидаты в «дорожную карту» по устранению первопричин обращений.",
        size=10.5,
    )
    if not note.hot_spots:
        para(document, "Повторяющихся адресов не выявлено.")
        return
    table(
        document,
        ("Поселение", "Улица", "Блок", "За неделю", "За 8 недель", "Дней", "Период", "Инцидентов"),
        [
            (
                s.settlement,
                s.street,
                s.block,
                num(s.in_period),
                num(s.in_window),
                num(s.days),
                f"{s.first_seen:%d.%m}–{s.last_seen:%d.%m}",
                num(s.cases),
            )
            for s in note.hot_spots[:15]
        ],
        (2.5, 3.2, 2.8, 1.6, 1.8, 1.3, 2, 1.8),
    )


def _risks(document: DocumentObject, note: WeeklyNote) -> None:
    heading(document, "4. Информационные риски недели")
    if note.alerts:
        para(document, f"Оповещения куратору МЦУ: {num(len(note.alerts))}.", bold=True)
        table(
            document,
            ("Дата", "Вид", "Важность", "Суть", "Подтверждено"),
            [
                (
                    local(a.created_at, note.period.tz),
                    ALERT_KIND.get(a.kind, a.kind),
                    SEVERITY.get(a.severity, a.severity),
                    snippet(a.title, 160) + (f"\n{a.url}" if a.url else ""),
                    "да" if a.acknowledged else "нет",
                )
                for a in note.alerts[:20]
            ],
            (2.6, 2.6, 1.8, 8, 2),
        )
    else:
        para(document, "Оповещений об информационных рисках за неделю не было.")
    if note.risky_posts:
        para(document, "Публикации с высокой оценкой риска:", bold=True)
        table(
            document,
            ("Оценка", "Факторы", "Публикация", "Ссылка"),
            [
                (
                    num(round(p.risk_score, 2), 2),
                    ", ".join(risk_factor(f) for f in p.risk_factors) or NO_DATA,
                    snippet(p.text, 200),
                    p.url,
                )
                for p in note.risky_posts
            ],
            (1.5, 3, 8.5, 4),
        )


def _overdue(document: DocumentObject, note: WeeklyNote) -> None:
    heading(document, "5. Просроченные случаи по ответственным")
    if not note.overdue:
        para(document, "Просроченных случаев на дату записки нет.")
        return
    table(
        document,
        ("Ответственный", "Просрочено", "Старейшая просрочка, сут.", "Примеры (№ — суть)"),
        [
            (
                r.department,
                num(r.overdue),
                num(r.oldest_days),
                "\n".join(f"№ {c.id} — {snippet(c.title, 90)}" for c in r.cases[:3]),
            )
            for r in note.overdue
        ],
        (5, 2, 2.5, 7.5),
    )
    png = charts.single_bars(
        [r.department for r in note.overdue[:8]], [r.overdue for r in note.overdue[:8]], "Просрочено случаев"
    )
    picture(document, png, "Рис. 3. Просроченные случаи по ответственным")


def _ratings(document: DocumentObject, note: WeeklyNote) -> None:
    heading(document, "6. Рейтинг ответственных за неделю")
    para(
        document,
        "Критерии (Котельниковский р-н, п. 4.3; г. Сорск, п. 3.2 б): количество сообщений, скорость "
        "реагирования, полнота решения. Место присваивается при достаточном числе случаев; время — "
        "в рабочих часах от регистрации до первого ответа по существу.",
        size=10.5,
    )
    if not note.ratings:
        para(document, "Случаев за неделю не заведено.")
        return
    table(
        document,
        (
            "Место",
            "Ответственный",
            "Случаев",
            "Медиана, ч",
            "90-й проц., ч",
            "В срок",
            "Просрочено",
            "Решено",
            "Повторно открыто",
            "Отписок",
        ),
        [
            (
                r.rank if r.rank is not None else "—",
                note.department_names.get(r.department_id, "На распределении")
                if r.department_id != "triage"
                else "На распределении",
                num(r.cases),
                num(r.median_first_answer_hours),
                num(r.p90_first_answer_hours),
                pct(r.answered_in_time_share),
                num(r.overdue),
                pct(r.resolved_share),
                pct(r.reopen_rate),
                num(r.formal_replies),
            )
            for r in note.ratings
        ],
        (1.2, 4.3, 1.4, 1.5, 1.5, 1.5, 1.5, 1.5, 1.6, 1.3),
    )


def _recommendations(document: DocumentObject, note: WeeklyNote) -> None:
    heading(document, "7. Рекомендации")
    for item in note.recommendations:
        numbered(document, item.text, f"Основание: {item.basis}")


def _method(document: DocumentObject, note: WeeklyNote) -> None:
    para(
        document,
        "Методика: «сообщение о проблеме» — публикация или комментарий, распознанные как инцидент, "
        "либо негативная публикация по тематическому блоку; «инцидент» — случай в очереди обращений "
        "с ответственным и сроком; просрочка — по регламенту сроков МЦУ на производственном календаре.",
        italic=True,
        size=9,
    )
