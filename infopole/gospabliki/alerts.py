"""Two alerts for the ответственный за «Госпаблики»: a page silent longer than its norm, and a complaint
under an official post left unanswered past the term. Pure, like the rules in ``infopole.alerts.rules``:
``key`` names the cause (the page's last post; the comment), so re-running raises nothing new, and
``details["group"]`` folds the causes of one page into one alert with updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from infopole.alerts.text import excerpt, local_time
from infopole.config.municipality import Role, Severity
from infopole.domain.alert import Alert, AlertKind
from infopole.gospabliki.checks import Light
from infopole.gospabliki.comments import CommentKind
from infopole.gospabliki.compute import PageView


def gospabliki_alerts(views: Sequence[PageView], now: datetime, tz: ZoneInfo) -> list[Alert]:
    alerts: list[Alert] = []
    for view in views:
        stats, page = view.stats, view.stats.page
        if view.status.light is Light.GREY:
            continue  # not collected: a quiet feed would mean nothing
        base = {"source_id": page.source, "institution": page.institution, "roles": [Role.GOSPABLIKI.value]}
        silence = stats.silence_days
        if stats.last_post_at is not None and silence is not None and silence > page.max_silence_days:
            alerts.append(
                Alert(
                    key=f"gospabliki_silence:{page.source}:{stats.last_post_at.isoformat()}",
                    kind=AlertKind.GOSPABLIKI_SILENCE,
                    severity=Severity.MEDIUM.value,
                    title=f"Госпаблик «{stats.title}» молчит {silence:.0f} дн.",
                    created_at=now,
                    body=(
                        f"{page.institution}: последняя публикация {local_time(stats.last_post_at, tz)}, "
                        f"норма — не реже раза в {page.max_silence_days} дн. "
                        f"Ответственный: {page.responsible}."
                    ),
                    details=base | {"group": f"gospabliki_silence:{page.source}"},
                )
            )
        for check in stats.overdue:
            if check.kind is not CommentKind.COMPLAINT:
                continue
            comment = check.comment
            hours = (now - comment.published_at).total_seconds() / 3600
            alerts.append(
                Alert(
                    key=f"gospabliki_unanswered:{comment.key}",
                    kind=AlertKind.GOSPABLIKI_UNANSWERED,
                    severity=Severity.MEDIUM.value,
                    title=f"Жалоба в госпаблике «{stats.title}» без ответа {hours:.0f} ч",
                    created_at=now,
                    body=(
                        f"«{excerpt(comment.text)}»\n"
                        f"Написано {local_time(comment.published_at, tz)}, ответить нужно было до "
                        f"{local_time(check.due_at, tz)}. Ответственный: {page.responsible}."
                    ),
                    details=base
                    | {
                        "group": f"gospabliki_unanswered:{page.source}",
                        "post_key": comment.key,
                        "url": comment.url,
                        "block": check.block,
                        "published_at": comment.published_at.isoformat(),
                    },
                )
            )
    return alerts
