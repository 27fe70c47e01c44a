"""The weekly note as Markdown: for the terminal, a chat message or a quick look in the dashboard.

Same figures and same number formats as the DOCX, fewer tables.
"""

from __future__ import annotations

from infopole.reports.fmt import NO_DATA, local, num, snippet, trend
from infopole.reports.weekly import WeeklyNote


def render_weekly_markdown(note: WeeklyNote) -> str:
    lines = [
        f"# Еженедельная аналитическая записка МЦУ: {note.municipality}",
        f"Период: {note.period.label} (сравнение с {note.previous.label}); "
        f"данные на {local(note.as_of, note.period.tz)}",
        "",
        "## 1. Неделя в цифрах",
        *(
            f"- {f.label}{', ' + f.unit if f.unit else ''}: {num(f.value)}"
            + (
                f" (неделей ранее {num(f.previous)}; {trend(f.value, f.previous)})"
                if f.previous is not None
                else ""
            )
            for f in note.numbers
        ),
        "",
        "## 2. Основные проблемы по блокам и поселениям",
        *(
            f"- {r.block} / {r.settlement}: {num(r.problems)} (неделей ранее {num(r.problems_before)})"
            + "".join(f"\n  - «{snippet(p.text, 160)}» {p.url}" for p in r.examples[:1])
            for r in note.top_problems
        ),
        "",
        "## 3. Повторяющиеся адреса",
        *(
            f"- {s.settlement}, {s.street} ({s.block}): {num(s.in_period)} за неделю, "
            f"{num(s.in_window)} за 8 недель, {s.days} дн."
            for s in note.hot_spots
        ),
        "",
        "## 4. Информационные риски недели",
        *(
            f"- {local(a.created_at, note.period.tz)} [{a.severity}] {snippet(a.title, 160)}"
            for a in note.alerts
        ),
        *(f"- риск {p.risk_score:.2f}: «{snippet(p.text, 160)}» {p.url}" for p in note.risky_posts),
        "",
        "## 5. Просроченные случаи по ответственным",
        *(f"- {r.department}: {num(r.overdue)} (старейшая {num(r.oldest_days)} сут.)" for r in note.overdue),
        "",
        "## 6. Рейтинг ответственных",
        *(
            f"- {r.rank or NO_DATA}. {note.department_names.get(r.department_id, 'На распределении')}: "
            f"{num(r.cases)} сл., медиана {num(r.median_first_answer_hours)} раб. ч"
            for r in note.ratings
        ),
        "",
        "## 7. Рекомендации",
        *(f"{i}. {r.text} Основание: {r.basis}" for i, r in enumerate(note.recommendations, start=1)),
    ]
    return "\n".join(line for line in lines) + "\n"
