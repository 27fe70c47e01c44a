"""Risk: a post whose risk score passes its threshold (per source, else per block, else default)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from infopole.alerts.rules import Analysed, post_details
from infopole.alerts.text import excerpt, local_time, where
from infopole.config.municipality import RiskRule, Severity
from infopole.domain.alert import Alert, AlertKind

FACTOR_LABELS = {
    "negative": "негатив",
    "toxic": "токсичность",
    "incident": "сообщение о проблеме",
    "reach": "большой охват",
    "emergency": "ЧП",
    "outage": "отключение коммунальных услуг",
    "protest": "протестная активность",
    "corruption": "коррупция",
    "death": "гибель людей",
    "children": "дети",
    "official": "органы власти",
}


def factor_label(factor: str) -> str:
    """``official:Иванов`` (named officials) reads «упомянуты: Иванов»."""
    if factor.startswith("official:"):
        return "упомянуты: " + factor.removeprefix("official:")
    return FACTOR_LABELS.get(factor, factor)


def threshold_for(rule: RiskRule, block: str | None, source_id: str) -> tuple[float, str]:
    """The threshold that applies and where it comes from (said in the alert body)."""
    if source_id in rule.per_source:
        return rule.per_source[source_id], f"порог источника {source_id}"
    if block and block in rule.per_block:
        return rule.per_block[block], f"порог блока «{block}»"
    return rule.threshold, "общий порог"


def risk_alerts(pairs: Sequence[Analysed], rule: RiskRule, now: datetime, tz: ZoneInfo) -> list[Alert]:
    alerts = []
    for post, analysis in pairs:
        limit, origin = threshold_for(rule, analysis.block, post.source_id)
        if analysis.risk_score < limit:
            continue
        severity = Severity.HIGH if analysis.risk_score >= max(rule.high_from, limit) else Severity.MEDIUM
        factors = ", ".join(factor_label(f) for f in analysis.risk_factors) or "не указаны"
        body = (
            f"Оценка риска {analysis.risk_score:.2f} не ниже порога {limit:.2f} ({origin}).\n"
            f"Факторы: {factors}. Тональность: {analysis.sentiment}. Охват: {post.metrics.reach}.\n"
            f"Опубликовано {local_time(post.published_at, tz)}, источник {post.source_id or post.platform}.\n"
            f"«{excerpt(post.text)}»"
        )
        details = post_details(post, analysis) | {"risk_score": analysis.risk_score, "threshold": limit}
        alerts.append(
            Alert(
                key=f"risk:{post.key}",
                kind=AlertKind.RISK,
                severity=severity.value,
                title=f"Информационный риск {analysis.risk_score:.2f}: "
                f"{where(analysis.block, analysis.settlement)}",
                created_at=now,
                body=body,
                details=details,
            )
        )
    return alerts
