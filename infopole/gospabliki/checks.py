"""The checks the decrees name, as a traffic light per official page with its reasons.

Novodugino §2.7 «в» charges the ответственный за «Госпаблики» with «мониторинг своевременности
публикации контента и актуальности размещаемой информации» and «контроль обязательного размещения
федерального и регионального компонента контента в соответствии с установленными требованиями»;
the definition of «госпаблики» adds «обеспечения оперативной обратной связи с гражданами посредством
ответов на вопросы и комментарии». So four checks:

* своевременность: no silence longer than the page's ``max_silence_days`` (red), no gaps longer than
  the norm inside the window (yellow);
* актуальность: no pinned post older than ``pinned_max_age_days`` (yellow);
* обязательный контент: each federal and regional rule met (yellow otherwise);
* обратная связь: no question or complaint left unanswered past the term (yellow; red from
  ``red_unanswered`` of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from infopole.config.municipality import GospablikiConfig
from infopole.gospabliki.metrics import PageStats

RANK = {"grey": -1, "green": 0, "yellow": 1, "red": 2}


class Light(StrEnum):
    GREY = "grey"  # the page's source is not collected: nothing to judge
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return {"grey": "нет данных", "green": "норма", "yellow": "есть замечания", "red": "нарушение"}[
            self.value
        ]


class Check(StrEnum):
    TIMELINESS = "timeliness"
    REGULARITY = "regularity"
    ACTUALITY = "actuality"
    CONTENT = "content"
    FEEDBACK = "feedback"

    @property
    def label(self) -> str:
        return {
            "timeliness": "своевременность",
            "regularity": "регулярность",
            "actuality": "актуальность",
            "content": "обязательный контент",
            "feedback": "ответы на комментарии",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Finding:
    check: Check
    light: Light
    text: str


@dataclass(frozen=True, slots=True)
class PageStatus:
    source_id: str
    light: Light
    findings: tuple[Finding, ...]

    @property
    def reasons(self) -> list[str]:
        return [f"{finding.check.label}: {finding.text}" for finding in self.findings]


def page_status(stats: PageStats, config: GospablikiConfig, collected: bool = True) -> PageStatus:
    """The light is the worst finding's; a page with no findings is green, one whose source is not
    collected (``enabled: false``) grey."""
    page = stats.page
    if not collected:
        finding = Finding(Check.TIMELINESS, Light.GREY, "источник не собирается (enabled: false)")
        return PageStatus(page.source, Light.GREY, (finding,))
    findings: list[Finding] = []
    silence = stats.silence_days
    if silence is None:
        findings.append(Finding(Check.TIMELINESS, Light.RED, "публикаций нет"))
    elif silence > page.max_silence_days:
        findings.append(
            Finding(
                Check.TIMELINESS,
                Light.RED,
                f"нет публикаций {silence:.0f} дн. (норма — не реже раза в {page.max_silence_days} дн.)",
            )
        )
    earlier = [gap for gap in stats.gaps if gap.end < stats.asof]  # the current silence is reported above
    if earlier:
        longest = max(gap.days for gap in earlier)
        findings.append(
            Finding(
                Check.REGULARITY,
                Light.YELLOW,
                f"перерывов дольше {stats.gap_days} дн.: {len(earlier)}, самый долгий {longest:.0f} дн.",
            )
        )
    for post in stats.pinned:
        age = (stats.asof - post.published_at).total_seconds() / 86400
        if age > page.pinned_max_age_days:
            findings.append(
                Finding(
                    Check.ACTUALITY,
                    Light.YELLOW,
                    f"закреплённая запись от {post.published_at:%d.%m.%Y} "
                    f"старше {page.pinned_max_age_days} дн.",
                )
            )
    for result in stats.content:
        if not result.met:
            component = "федеральный" if result.rule.component.value == "federal" else "региональный"
            findings.append(
                Finding(
                    Check.CONTENT,
                    Light.YELLOW,
                    f"{component} компонент «{result.rule.name}»: "
                    f"{result.matched} из {result.required} публ.",
                )
            )
    overdue = stats.overdue
    if overdue:
        light = Light.RED if len(overdue) >= config.red_unanswered else Light.YELLOW
        complaints = sum(1 for check in overdue if check.kind.value == "complaint")
        findings.append(
            Finding(
                Check.FEEDBACK,
                light,
                f"без ответа сверх срока: {len(overdue)} "
                f"(жалоб {complaints}, вопросов {len(overdue) - complaints})",
            )
        )
    light = max(
        (finding.light for finding in findings), key=lambda item: RANK[item.value], default=Light.GREEN
    )
    return PageStatus(page.source, light, tuple(findings))
