"""Turning delivery jobs into one ``Message``: plain text, e-mail HTML, Telegram HTML and JSON.

Every form says why the alert was raised (the rule's body), what happened since (the
updates grouped into it) and links into the dashboard. Residents' text is escaped for each
form separately; nothing from a post reaches a parse mode unescaped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from html import escape
from zoneinfo import ZoneInfo

from infopole.alerts.notifiers.base import Message
from infopole.alerts.severity import label
from infopole.alerts.text import local_time
from infopole.alerts.views import AlertView, DeliveryJob

MAX_UPDATES = 5
PREFIX = {"alert": "", "update": "Обновление: ", "escalation": "ЭСКАЛАЦИЯ: "}


def alert_link(dashboard_url: str, alert_id: int) -> str:
    return f"{dashboard_url.rstrip('/')}/alerts/{alert_id}" if dashboard_url else ""


def heading(job: DeliveryJob) -> str:
    alert = job.alert
    title = alert.updates[-1].title if job.purpose == "escalation" and alert.updates else alert.title
    return f"{PREFIX.get(job.purpose, '')}{title}"


def _updates(alert: AlertView) -> list[tuple[str, str, str]]:
    later = alert.later_updates[-MAX_UPDATES:]
    return [(u.created_at.isoformat(), u.title, u.body) for u in later]


def _text(job: DeliveryJob, link: str, tz: ZoneInfo) -> str:
    alert = job.alert
    lines = [
        f"{heading(job)}",
        f"Важность: {label(alert.severity)} · {local_time(alert.created_at, tz)}",
        "",
        alert.body,
    ]
    for _, title, body in _updates(alert):
        lines += ["", f"— {title}", body]
    if alert.details.get("url"):
        lines += ["", f"Пост: {alert.details['url']}"]
    if link:
        lines += [f"Открыть в Инфополе: {link}"]
    return "\n".join(lines)


def _html(job: DeliveryJob, link: str, tz: ZoneInfo) -> str:
    alert = job.alert
    parts = [
        f"<h2>{escape(heading(job))}</h2>",
        f"<p><b>Важность:</b> {escape(label(alert.severity))} · "
        f"{escape(local_time(alert.created_at, tz))}</p>",
        f"<p>{escape(alert.body).replace(chr(10), '<br>')}</p>",
    ]
    if updates := _updates(alert):
        parts.append("<ul>")
        parts += [
            f"<li><b>{escape(t)}</b><br>{escape(b).replace(chr(10), '<br>')}</li>" for _, t, b in updates
        ]
        parts.append("</ul>")
    if url := alert.details.get("url"):
        parts.append(f'<p><a href="{escape(str(url))}">Пост в источнике</a></p>')
    if link:
        parts.append(f'<p><a href="{escape(link)}">Открыть в Инфополе и подтвердить</a></p>')
    return "<html><body>" + "\n".join(parts) + "</body></html>"


REPEAT_NOTE = "Повторная отправка после сбоя: это сообщение могло уже прийти (оповещение №{id})."


def _telegram(job: DeliveryJob, link: str) -> str:
    """Telegram's HTML subset: <b>, <i>, <a>; everything else escaped. The Bot API has no
    idempotency key, so a message re-sent after a crash says so (``DeliveryJob.resumed``)."""
    alert = job.alert
    lines = [f"<i>{escape(REPEAT_NOTE.format(id=alert.id))}</i>"] if job.resumed else []
    lines += [
        f"<b>{escape(heading(job))}</b>",
        f"<i>Важность: {escape(label(alert.severity))}</i>",
        escape(alert.body),
    ]
    lines += [f"\n<b>{escape(t)}</b>\n{escape(b)}" for _, t, b in _updates(alert)]
    links = []
    if url := alert.details.get("url"):
        links.append(f'<a href="{escape(str(url))}">Пост</a>')
    if link:
        links.append(f'<a href="{escape(link)}">Открыть в Инфополе</a>')
    if links:
        lines.append(" · ".join(links))
    return "\n".join(lines)


def _payload(job: DeliveryJob, link: str) -> dict[str, object]:
    alert = job.alert
    return {
        "purpose": job.purpose,
        "repeat": job.resumed,  # the receiver may also have the first try: same Idempotency-Key
        "alert": {
            "id": alert.id,
            "key": alert.key,
            "kind": alert.kind,
            "severity": alert.severity,
            "title": alert.title,
            "body": alert.body,
            "created_at": alert.created_at.isoformat(),
            "details": alert.details,
            "updates": [
                {"key": u.key, "title": u.title, "at": u.created_at.isoformat()} for u in alert.updates
            ],
            "link": link,
        },
    }


def render(job: DeliveryJob, dashboard_url: str, tz: ZoneInfo) -> Message:
    link = alert_link(dashboard_url, job.alert.id)
    return Message(
        idempotency_key=job.idempotency_key,
        address=job.address,
        subject=f"[Инфополе · {label(job.alert.severity)}] {heading(job)}",
        text=_text(job, link, tz),
        html=_html(job, link, tz),
        telegram_html=_telegram(job, link),
        payload=_payload(job, link),
        ack_alert_ids=() if job.alert.acknowledged_at else (job.alert.id,),
    )


def render_digest(jobs: Sequence[DeliveryJob], dashboard_url: str, tz: ZoneInfo) -> Message:
    """One message for a digest recipient's held alerts; its key is derived from the jobs' keys,
    so a digest re-sent after a crash carries the same key."""
    key = hashlib.sha256("|".join(sorted(j.idempotency_key for j in jobs)).encode()).hexdigest()[:40]
    singles = [render(job, dashboard_url, tz) for job in jobs]
    title = f"Сводка оповещений: {len(jobs)}"
    return Message(
        idempotency_key=key,
        address=jobs[0].address,
        subject=f"[Инфополе] {title}",
        text="\n\n".join([title, *(m.text for m in singles)]),
        html="<html><body>"
        + f"<h1>{escape(title)}</h1>"
        + "<hr>".join(m.html.removeprefix("<html><body>").removesuffix("</body></html>") for m in singles)
        + "</body></html>",
        telegram_html="\n\n".join([f"<b>{escape(title)}</b>", *(m.telegram_html for m in singles)]),
        payload={"purpose": "digest", "items": [m.payload for m in singles]},
        ack_alert_ids=tuple(dict.fromkeys(i for m in singles for i in m.ack_alert_ids)),
    )
