"""The weekly analytic note for the head: its figures, as a pure function of ``Facts``.

Sorsk, §3.2 а): the МЦУ «осуществляет проверку и свод информации о реализации мероприятий по
направлениям и тематикам деятельности МЦУ в форме еженедельной аналитической записки для
предоставления Главе». What goes in follows the МЦУ's duties in the decrees: the causes and
factors of growth of complaints (Sorsk §2 в)), recurring messages as input to a road map
(Kotelnikovo §3.2 6)), information risks (Novodugino §2.4), ratings of departments by number,
speed and completeness of answers (Kotelnikovo §4.3, Sorsk §3.2 б)).

The writers (DOCX, Markdown) only lay these figures out; they compute nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident
from infopole.incidents.ratings import DepartmentRating, rate_departments
from infopole.incidents.sla import SlaState, calendar_for, deadline, sla_state
from infopole.reports.facts import AlertFact, Facts, PostFact
from infopole.reports.metrics import case_metrics
from infopole.reports.period import Period
from infopole.reports.recommendations import Recommendation, recommend

HOT_SPOT_WEEKS = 8  # how far back a recurring address is looked for
HOT_SPOT_MIN_MESSAGES = 3
HOT_SPOT_MIN_DAYS = 2  # three posts in one hour are one event, not a recurring problem
RISK_THRESHOLD = 0.5
TOP_PROBLEMS = 10
UNKNOWN = "не определено"


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of «неделя в цифрах»; ``previous`` is None where a comparison means nothing."""

    label: str
    value: float | int | None
    previous: float | int | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True)
class BlockRow:
    block: str
    problems: int
    problems_before: int
    cases: int


@dataclass(frozen=True, slots=True)
class ProblemRow:
    block: str
    settlement: str
    problems: int
    problems_before: int
    examples: tuple[PostFact, ...]


@dataclass(frozen=True, slots=True)
class HotSpot:
    settlement: str
    street: str
    block: str
    in_period: int
    in_window: int
    days: int
    first_seen: date
    last_seen: date
    cases: int


@dataclass(frozen=True, slots=True)
class OverdueRow:
    department: str
    overdue: int
    oldest_days: float
    cases: tuple[Incident, ...]


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    posts: int
    negative: int
    problems: int


@dataclass(frozen=True, slots=True)
class WeeklyNote:
    municipality: str
    period: Period
    previous: Period
    as_of: datetime
    numbers: tuple[Figure, ...]
    by_block: tuple[BlockRow, ...]
    top_problems: tuple[ProblemRow, ...]
    hot_spots: tuple[HotSpot, ...]
    alerts: tuple[AlertFact, ...]
    risky_posts: tuple[PostFact, ...]
    overdue: tuple[OverdueRow, ...]
    ratings: tuple[DepartmentRating, ...]
    department_names: dict[str, str]
    days: tuple[DayRow, ...]
    days_before: tuple[DayRow, ...]
    recommendations: tuple[Recommendation, ...] = ()
    decree: str = ""  # the act that created the МЦУ, quoted as the note's basis
    signer: str = "Руководитель МЦУ"  # the position that signs the note


def facts_window(period: Period) -> tuple[datetime, datetime]:
    """What ``read_facts`` must load for this note: the previous week and the hot-spot window."""
    since = min(period.previous().start, period.end - timedelta(weeks=HOT_SPOT_WEEKS))
    return since, period.end


def weekly_note(facts: Facts, municipality: Municipality, period: Period) -> WeeklyNote:
    previous = period.previous()
    posts = [p for p in facts.posts if period.contains(p.published_at)]
    before = [p for p in facts.posts if previous.contains(p.published_at)]
    cases = [c for c in facts.cases if period.contains(c.opened_at)]
    cases_before = [c for c in facts.cases if previous.contains(c.opened_at)]
    names = {d.id: d.name for d in municipality.departments}
    note = WeeklyNote(
        municipality=municipality.name,
        period=period,
        previous=previous,
        as_of=facts.as_of,
        numbers=tuple(_numbers(posts, before, cases, cases_before, facts, municipality, period)),
        by_block=tuple(_by_block(posts, before, cases)),
        top_problems=tuple(_top_problems(posts, before)),
        hot_spots=tuple(hot_spots(facts.posts, facts.cases, period)),
        alerts=tuple(a for a in facts.alerts if period.contains(a.created_at)),
        risky_posts=tuple(
            sorted((p for p in posts if p.risk_score >= RISK_THRESHOLD), key=lambda p: -p.risk_score)[:10]
        ),
        overdue=tuple(overdue_by_department(facts.open_cases, municipality, facts.as_of)),
        ratings=tuple(rate_departments(cases, municipality, facts.as_of)),
        department_names=names,
        days=tuple(_days(posts, period)),
        days_before=tuple(_days(before, previous)),
        decree=municipality.decree,
        signer=signer_of(municipality),
    )
    return replace(note, recommendations=tuple(recommend(note)))


def signer_of(municipality: Municipality) -> str:
    """The руководитель МЦУ by position, as the decree names them; a generic title otherwise."""
    from infopole.config.municipality import Role

    head = next((m for m in municipality.members if m.role is Role.HEAD), None)
    return f"Руководитель МЦУ, {head.position}" if head else "Руководитель МЦУ"


def _numbers(
    posts: list[PostFact],
    before: list[PostFact],
    cases: list[Incident],
    cases_before: list[Incident],
    facts: Facts,
    municipality: Municipality,
    period: Period,
) -> list[Figure]:
    now = case_metrics(cases, municipality, facts.as_of, facts.reactions, facts.authors)
    then = case_metrics(cases_before, municipality, facts.as_of, facts.reactions, facts.authors)
    alerts_now = sum(period.contains(a.created_at) for a in facts.alerts)
    alerts_then = sum(period.previous().contains(a.created_at) for a in facts.alerts)
    overdue = len(overdue_cases(facts.open_cases, municipality, facts.as_of))
    return [
        Figure("Публикаций и комментариев", len(posts), len(before)),
        Figure("из них негативных", _negative(posts), _negative(before)),
        Figure("Сообщений о проблемах", sum(p.is_problem for p in posts), sum(p.is_problem for p in before)),
        Figure("Инцидентов заведено", len(cases), len(cases_before)),
        Figure("Первых ответов дано в срок", _pct(now.in_time_share), _pct(then.in_time_share), "%"),
        Figure("Медиана времени первого ответа", now.median_hours, then.median_hours, "раб. ч"),
        Figure("Оповещений об информационных рисках", alerts_now, alerts_then),
        Figure("Просрочено на дату справки (все открытые)", overdue, None),
    ]


def _negative(posts: list[PostFact]) -> int:
    return sum(p.sentiment == "negative" for p in posts)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _by_block(posts: list[PostFact], before: list[PostFact], cases: list[Incident]) -> list[BlockRow]:
    now = Counter(p.block for p in posts if p.is_problem)
    then = Counter(p.block for p in before if p.is_problem)
    opened = Counter(c.block for c in cases)
    blocks = set(now) | set(then) | set(opened)
    rows = [BlockRow(b or UNKNOWN, now[b], then[b], opened[b]) for b in blocks]
    return sorted(rows, key=lambda r: (-r.problems, -r.cases, r.block))


def _top_problems(posts: list[PostFact], before: list[PostFact]) -> list[ProblemRow]:
    groups: dict[tuple[str, str], list[PostFact]] = defaultdict(list)
    for post in posts:
        if post.is_problem:
            groups[(post.block or UNKNOWN, post.settlement or UNKNOWN)].append(post)
    then = Counter((p.block or UNKNOWN, p.settlement or UNKNOWN) for p in before if p.is_problem)
    rows = [
        ProblemRow(block, settlement, len(items), then[(block, settlement)], _examples(items))
        for (block, settlement), items in groups.items()
    ]
    rows.sort(key=lambda r: (-r.problems, r.block, r.settlement))
    return rows[:TOP_PROBLEMS]


def _examples(posts: list[PostFact], n: int = 2) -> tuple[PostFact, ...]:
    """The most telling posts: incidents first, then the riskiest, then the longest text."""
    ranked = sorted(posts, key=lambda p: (not p.is_incident, -p.risk_score, -len(p.text), p.key))
    return tuple(ranked[:n])


def hot_spots(posts: Sequence[PostFact], cases: Sequence[Incident], period: Period) -> list[HotSpot]:
    """Recurring addresses: the same settlement, street and block again and again over
    ``HOT_SPOT_WEEKS`` weeks up to the end of the period, still heard of during the period."""
    since = period.end - timedelta(weeks=HOT_SPOT_WEEKS)
    groups: dict[tuple[str, str, str], list[PostFact]] = defaultdict(list)
    for post in posts:
        if post.is_problem and post.street and post.settlement and since <= post.published_at < period.end:
            groups[(post.settlement, post.street, post.block or UNKNOWN)].append(post)
    case_count = Counter(
        (c.settlement, c.street, c.block or UNKNOWN) for c in cases if c.street and c.opened_at >= since
    )
    spots = []
    for (settlement, street, block), items in groups.items():
        days = {p.published_at.date() for p in items}
        in_period = sum(period.contains(p.published_at) for p in items)
        if len(items) >= HOT_SPOT_MIN_MESSAGES and len(days) >= HOT_SPOT_MIN_DAYS and in_period:
            spots.append(
                HotSpot(
                    settlement=settlement,
                    street=street,
                    block=block,
                    in_period=in_period,
                    in_window=len(items),
                    days=len(days),
                    first_seen=min(days),
                    last_seen=max(days),
                    cases=case_count[(settlement, street, block)],
                )
            )
    return sorted(spots, key=lambda s: (-s.in_window, -s.in_period, s.settlement, s.street))


def overdue_cases(
    open_cases: Sequence[Incident], municipality: Municipality, as_of: datetime
) -> list[Incident]:
    calendar = calendar_for(municipality.sla, municipality.timezone)
    return [c for c in open_cases if sla_state(c, municipality.sla, calendar, as_of) is SlaState.OVERDUE]


def overdue_by_department(
    open_cases: Sequence[Incident], municipality: Municipality, as_of: datetime
) -> list[OverdueRow]:
    """Open cases past their pending deadline at ``as_of``, by the department holding them."""
    calendar = calendar_for(municipality.sla, municipality.timezone)
    names = {d.id: d.name for d in municipality.departments}
    groups: dict[str, list[Incident]] = defaultdict(list)
    for case in overdue_cases(open_cases, municipality, as_of):
        groups[names.get(case.department_id or "", "На распределении (не назначен ответственный)")].append(
            case
        )
    rows = []
    for department, cases in groups.items():
        dues = [d.due_at for c in cases if (d := deadline(c, municipality.sla, calendar)) is not None]
        oldest = (as_of - min(dues)).total_seconds() / 86400 if dues else 0.0
        ordered = tuple(sorted(cases, key=lambda c: (c.due_at or c.opened_at, c.id or 0)))
        rows.append(OverdueRow(department, len(cases), round(oldest, 1), ordered))
    return sorted(rows, key=lambda r: (-r.overdue, -r.oldest_days, r.department))


def _days(posts: list[PostFact], period: Period) -> list[DayRow]:
    tz = ZoneInfo(period.tz)
    by_day: dict[date, list[PostFact]] = defaultdict(list)
    for post in posts:
        by_day[post.published_at.astimezone(tz).date()].append(post)
    days = [period.first_day + timedelta(days=i) for i in range(period.days)]
    return [
        DayRow(day, len(by_day[day]), _negative(by_day[day]), sum(p.is_problem for p in by_day[day]))
        for day in days
    ]
