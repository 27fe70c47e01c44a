"""The quarterly report to the regional ЦУР: efficiency of work with residents' messages by
socially significant block, as a pure function of ``Facts``.

Kotelnikovo §3.2 9) asks for a «отчет об эффективности работы местной администрации,
подведомственных организаций с обращениями и сообщениями … по социально-значимым блокам»,
§3.2 5) for control of «соблюдения сроков и качества обработки», §3.2 7) for «анализ
информации об удовлетворенности заявителей», and §3.2 6) names the «механизм ускоренного
решения» (less than 30 calendar days). Each of these is a column here; definitions are in
``infopole.reports.metrics``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident
from infopole.incidents.ratings import DepartmentRating, rate_departments
from infopole.reports.facts import Facts, PostFact
from infopole.reports.metrics import CaseMetrics, case_metrics
from infopole.reports.period import Period
from infopole.reports.social_blocks import row_names, social_block_of
from infopole.reports.weekly import signer_of

TOTAL = "Итого"


@dataclass(frozen=True, slots=True)
class BlockEfficiency:
    block: str
    posts: int  # publications and comments on the block's topics
    problems: int  # of them: incidents or negative
    negative: int
    metrics: CaseMetrics
    cases_before: int  # registered in the previous quarter

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.posts if self.posts else None


@dataclass(frozen=True, slots=True)
class QuarterlyReport:
    municipality: str
    region: str
    period: Period
    previous: Period
    as_of: datetime
    rows: tuple[BlockEfficiency, ...]  # the social blocks, «Прочие», «не определён», then «Итого»
    months: tuple[date, ...]
    by_month: dict[str, tuple[int, ...]]  # block → cases per month
    ratings: tuple[DepartmentRating, ...]
    department_names: dict[str, str]
    decree: str = ""
    signer: str = "Руководитель МЦУ"

    @property
    def total(self) -> BlockEfficiency:
        return self.rows[-1]


def quarterly_report(facts: Facts, municipality: Municipality, period: Period) -> QuarterlyReport:
    previous = period.previous()
    posts = [p for p in facts.posts if period.contains(p.published_at)]
    cases = [c for c in facts.cases if period.contains(c.opened_at)]
    cases_before = [c for c in facts.cases if previous.contains(c.opened_at)]
    posts_by = _group_posts(posts)
    cases_by = _group_cases(cases)
    before_by = Counter(social_block_of(c.block) for c in cases_before)
    rows = [
        _row(name, posts_by.get(name, []), cases_by.get(name, []), before_by[name], facts, municipality)
        for name in row_names()
    ]
    rows.append(_row(TOTAL, posts, cases, len(cases_before), facts, municipality))
    months = _months(period)
    tz = ZoneInfo(period.tz)
    by_month = {
        name: tuple(
            sum(_month_of(c.opened_at.astimezone(tz).date()) == month for c in cases_by.get(name, []))
            for month in months
        )
        for name in row_names()
    }
    return QuarterlyReport(
        municipality=municipality.name,
        region=municipality.region,
        period=period,
        previous=previous,
        as_of=facts.as_of,
        rows=tuple(rows),
        months=tuple(months),
        by_month=by_month,
        ratings=tuple(rate_departments(cases, municipality, facts.as_of)),
        department_names={d.id: d.name for d in municipality.departments},
        decree=municipality.decree,
        signer=signer_of(municipality),
    )


def _group_posts(posts: list[PostFact]) -> dict[str, list[PostFact]]:
    groups: dict[str, list[PostFact]] = defaultdict(list)
    for post in posts:
        groups[social_block_of(post.block)].append(post)
    return groups


def _group_cases(cases: list[Incident]) -> dict[str, list[Incident]]:
    groups: dict[str, list[Incident]] = defaultdict(list)
    for case in cases:
        groups[social_block_of(case.block)].append(case)
    return groups


def _row(
    name: str,
    posts: list[PostFact],
    cases: list[Incident],
    cases_before: int,
    facts: Facts,
    municipality: Municipality,
) -> BlockEfficiency:
    return BlockEfficiency(
        block=name,
        posts=len(posts),
        problems=sum(p.is_problem for p in posts),
        negative=sum(p.sentiment == "negative" for p in posts),
        metrics=case_metrics(cases, municipality, facts.as_of, facts.reactions, facts.authors),
        cases_before=cases_before,
    )


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _months(period: Period) -> list[date]:
    months: list[date] = []
    day = period.first_day
    while day <= period.last_day:
        if _month_of(day) not in months:
            months.append(_month_of(day))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return months
