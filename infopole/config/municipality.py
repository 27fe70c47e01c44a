"""The municipality file: who the МЦУ is, what territory and information field it watches.

One YAML file per municipality, validated on load. Every problem is reported at once with
its file, line and field, so an administrator can fix the file in one pass; a file with
problems is never half-applied.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from infopole.config.blocks import blocks, closest_block
from infopole.config.schedule import ScheduleConfig
from infopole.domain.source import Source

Loc = tuple[str | int, ...]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Point(_Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Settlement(_Model):
    name: str
    kind: str = "населённый пункт"  # город, посёлок, село, деревня, станица, хутор…
    aliases: list[str] = []
    point: Point | None = None
    population: int | None = Field(default=None, ge=0)
    streets: list[str] = []

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class Department(_Model):
    """An отраслевой блок's owner: answers for the incidents of its topic blocks."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    head: str  # the position of the responsible official, not a personal name
    blocks: list[str] = []
    settlements: list[str] = []  # empty: the whole municipality
    email: str = ""


class Role(StrEnum):
    CURATOR = "curator"  # куратор: заместитель главы
    HEAD = "head"  # руководитель МЦУ
    ADMINISTRATOR = "administrator"
    BLOCK_OWNER = "block_owner"  # ответственный за отраслевой блок
    ANALYST = "analyst"  # аналитик, «Инцидент Менеджмент»
    GOSPABLIKI = "gospabliki"  # ответственный за госпаблики
    POS = "pos"  # ответственный за ПОС


class Member(_Model):
    """A member of the МЦУ as the decree lists it: by position."""

    role: Role
    position: str
    department: str | None = None  # for block owners: the department id they represent


class SlaPolicy(_Model):
    """Deadlines as regional practice sets them; hours are working hours on the production calendar."""

    working_hours_start: time = time(9, 0)
    working_hours_end: time = time(18, 0)
    first_answer_hours: float = Field(default=8, gt=0)
    first_answer_hours_urgent: float = Field(default=4, gt=0)
    final_answer_working_days: int = Field(default=7, gt=0)
    appeal_59fz_days: int = Field(default=30, gt=0)  # calendar days, 59-ФЗ
    at_risk_share: float = Field(default=0.75, gt=0, lt=1)
    pre_holiday_shortening_hours: float = Field(default=1, ge=0, lt=8)  # ТК РФ ст. 95
    escalate_overdue: bool = True  # an overdue case is escalated to the куратор once per round

    @field_validator("working_hours_end")
    @classmethod
    def _end_after_start(cls, end: time, info: Any) -> time:
        start = info.data.get("working_hours_start")
        if start is not None and end <= start:
            raise ValueError("working_hours_end must be later than working_hours_start")
        return end


class CasePolicy(_Model):
    """When a new incident post joins an open case instead of opening its own, and rating limits."""

    join_window_hours: float = Field(default=72, gt=0)  # same block and place within this window
    near_duplicate_similarity: float = Field(default=0.6, gt=0, le=1)  # word-shingle Jaccard
    join_by_place: bool = True
    min_cases_for_rating: int = Field(default=5, ge=1)
    # an official answer not seen on the platform this long after it was recorded is flagged
    unverified_reply_hours: float = Field(default=24, gt=0)
    reply_check_days: int = Field(default=30, ge=1)  # answers re-checked (deletion, reactions) this long
    # the case webhook (signed with the installation's alerts_secret); empty: events wait in the outbox
    webhook_url: str = ""
    webhook_max_attempts: int = Field(default=8, ge=1)  # then the event is "dead" until replayed
    # delivered events (and, with no webhook configured, waiting ones) are pruned after this long
    webhook_keep_days: int = Field(default=30, ge=1)


class OfficialPage(_Model):
    """A госпаблик: an official page of the administration or one of its institutions."""

    source: str  # id of a source in ``sources``
    institution: str
    responsible: str  # position
    category: str = "администрация"  # школа, детский сад, поликлиника, культура, спорт, ЖКХ…
    max_silence_days: int = Field(default=3, gt=0)
    pinned_max_age_days: int = Field(default=30, gt=0)
    # comments under posts this old are still collected (re-read when their count changes);
    # None: ``gospabliki.comments_window_days``
    comments_window_days: int | None = Field(default=None, gt=0)


class ContentComponent(StrEnum):
    FEDERAL = "federal"
    REGIONAL = "regional"


class ContentRule(_Model):
    """Required content of a госпаблик: at least ``min_posts`` posts matching a keyword or hashtag
    in every ``period_days`` (Novodugino §2.7 «в»: «контроль обязательного размещения федерального
    и регионального компонента контента в соответствии с установленными требованиями»)."""

    name: str
    component: ContentComponent = ContentComponent.REGIONAL
    keywords: list[str] = []  # word beginnings, case-insensitive, ё = е
    hashtags: list[str] = []  # with or without «#»
    min_posts: int = Field(default=1, ge=1)
    period_days: int = Field(default=30, ge=1)
    categories: list[str] = []  # page categories the rule applies to; empty: every official page


DEFAULT_CONTENT_RULES = [
    ContentRule(
        name="Федеральный компонент: национальные проекты",
        component=ContentComponent.FEDERAL,
        keywords=["нацпроект", "национальный проект", "национальные проекты", "объясняем.рф"],
        hashtags=["нацпроекты", "национальныепроекты", "объясняемрф"],
    ),
]


class GospablikiConfig(_Model):
    """The ``gospabliki:`` section: monitoring of the official pages; every field has a default."""

    enabled: bool = True
    gap_days: int | None = Field(default=None, gt=0)  # a longer gap breaks regularity; None: max_silence_days
    answer_hours: float | None = Field(default=None, gt=0)  # None: ``sla.first_answer_hours``
    answer_in_working_hours: bool = True  # count ``answer_hours`` on the production calendar
    window_days: int = Field(default=30, gt=0)  # the status looks this far back
    open_cases: bool = True  # an unanswered complaint past the term goes to the appeals queue
    cases_for_questions: bool = False  # …and an unanswered question too
    red_unanswered: int = Field(default=3, ge=1)  # this many unanswered past the term: red
    # the crawlers keep collecting comments under official posts this old (re-reading a post's
    # comments only when its comment count changed), so late complaints and answers are seen
    comments_window_days: int = Field(default=30, gt=0)
    content_rules: list[ContentRule] = DEFAULT_CONTENT_RULES


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Channel(StrEnum):
    EMAIL = "email"
    TELEGRAM = "telegram"
    WEBHOOK = "webhook"


class Recipient(_Model):
    position: str
    role: Role
    email: str = ""
    telegram_chat_id: str = ""
    min_severity: Severity = Severity.MEDIUM
    blocks: list[str] = []  # empty: all blocks
    webhook_url: str = ""
    channels: list[Channel] = []  # empty: every channel that has an address above
    kinds: list[str] = []  # alert kinds (risk, spike, silence…); empty: all kinds
    digest: bool = False  # one message a day at ``alerts.digest_at``; high severity still goes at once
    quiet_hours: bool = True  # hold low and medium alerts during ``alerts.quiet_hours``

    @property
    def id(self) -> str:
        """A stable name for deliveries: the position and role, as the decree lists the person."""
        return f"{self.role.value}:{self.position}"

    def addresses(self) -> dict[Channel, str]:
        """Where this person gets alerts, per channel; a channel without an address is skipped."""
        known = {Channel.EMAIL: self.email, Channel.TELEGRAM: self.telegram_chat_id}
        known[Channel.WEBHOOK] = self.webhook_url
        wanted = self.channels or list(Channel)
        return {channel: known[channel] for channel in wanted if known[channel]}


class QuietHours(_Model):
    """Local night hours of the municipality when only high-severity alerts are sent."""

    enabled: bool = True
    start: time = time(22, 0)
    end: time = time(8, 0)


class RiskRule(_Model):
    threshold: float = Field(default=0.7, ge=0, le=1)
    high_from: float = Field(default=0.9, ge=0, le=1)  # severity high at or above this score
    per_block: dict[str, float] = {}  # a stricter or looser threshold for a block
    per_source: dict[str, float] = {}  # …or for a source (wins over the block)


class Watchlist(_Model):
    """A saved search in the analysts' query language (``index.query``) watched on new posts."""

    name: str
    query: str
    severity: Severity = Severity.MEDIUM


DEFAULT_WATCHLISTS = [
    # no bare «горит» or «взрыв»: «глаза горят», «горит распродажа», «взрыв эмоций» are everyday Russian
    Watchlist(name="ЧП", query='ЧП OR чрезвычайный OR авария OR "взрыв газа"', severity=Severity.HIGH),
    Watchlist(name="Пожар", query="пожар OR возгорание OR задымление", severity=Severity.HIGH),
    Watchlist(name="Митинг", query="митинг OR пикет OR протест OR забастовка", severity=Severity.HIGH),
    Watchlist(name="Отравление", query="отравление OR отравиться", severity=Severity.HIGH),
]


class SpikeRule(_Model):
    """Volume far above the same hours of the previous weeks (median and MAD by hour of week)."""

    window_hours: int = Field(default=3, ge=1, le=24)
    history_weeks: int = Field(default=4, ge=2, le=12)
    min_history_weeks: int = Field(default=3, ge=2, le=12)  # fewer: a cold start, no alert
    min_count: int = Field(default=5, ge=1)
    min_ratio: float = Field(default=2.0, ge=1)
    robust_z: float = Field(default=4.0, gt=0)


class StoryRule(_Model):
    window_hours: float = Field(default=6, gt=0)
    min_posts: int = Field(default=4, ge=2)
    min_reach: int = Field(default=0, ge=0)  # 0: count posts only
    growth_posts_per_hour: float = Field(default=4, gt=0)  # a known story that grows this fast alerts again


class SilenceRule(_Model):
    max_silence_hours: float = Field(default=24, gt=0)
    per_source: dict[str, float] = {}
    collector_stale_hours: float = Field(default=3, gt=0)  # no successful run for this long: broken


class AlertsConfig(_Model):
    """The ``alerts:`` section: every threshold has a default, so a file without it still alerts."""

    enabled: bool = True
    max_post_age_hours: float = Field(default=24, gt=0)  # an old post found late is not news
    risk: RiskRule = RiskRule()
    watchlists: list[Watchlist] = DEFAULT_WATCHLISTS
    watch_officials: bool = True  # each name in ``officials`` is a watchlist too
    spike: SpikeRule = SpikeRule()
    story: StoryRule = StoryRule()
    silence: SilenceRule = SilenceRule()
    sla_at_risk: bool = True  # also warn before the deadline (at ``sla.at_risk_share``)
    quiet_hours: QuietHours = QuietHours()
    digest_at: time = time(8, 30)
    throttle_minutes: int = Field(default=30, ge=0)  # updates of one alert: at most one message per
    escalation_minutes: int = Field(default=30, gt=0)  # high severity unacknowledged this long
    escalate_to: Role = Role.CURATOR
    max_attempts: int = Field(default=8, ge=1)


class Municipality(_Model):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    short_name: str
    region: str
    oktmo: str = Field(pattern=r"^\d{8}(\d{3})?$")
    timezone: str
    center: Point
    decree: str = ""  # the act that created the МЦУ
    members: list[Member] = []
    settlements: list[Settlement] = Field(min_length=1)
    departments: list[Department] = Field(min_length=1)
    sla: SlaPolicy = SlaPolicy()
    sources: list[Source] = []
    official_pages: list[OfficialPage] = []
    recipients: list[Recipient] = []
    officials: list[str] = []  # surnames or full names of officials to recognise in posts
    official_accounts: list[str] = []  # author pseudonyms of officials who answer under posts
    cases: CasePolicy = CasePolicy()
    alerts: AlertsConfig = AlertsConfig()
    gospabliki: GospablikiConfig = GospablikiConfig()
    schedule: ScheduleConfig = ScheduleConfig()

    @field_validator("oktmo", mode="before")
    @classmethod
    def _oktmo_is_text(cls, value: Any) -> Any:
        if isinstance(value, int):  # an unquoted code: YAML made it a number and lost any leading zero
            raise ValueError(f"ОКТМО пишите в кавычках, например '{value:08d}': это код, а не число")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r} (expected e.g. Europe/Moscow)") from error
        return name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def department(self, department_id: str) -> Department:
        for department in self.departments:
            if department.id == department_id:
                return department
        raise KeyError(department_id)

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

    def settlement(self, name: str) -> Settlement | None:
        wanted = name.casefold()
        for settlement in self.settlements:
            if wanted in (alias.casefold() for alias in settlement.names):
                return settlement
        return None


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None  # 1-based
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(файл)'}: {self.message}"


class ConfigError(Exception):
    """A municipality file that cannot be used; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def load_municipality(path: Path | str) -> Municipality:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([Problem(str(path), None, "", f"не удалось прочитать файл: {error}")]) from error
    return parse_municipality(text, str(path))


def parse_municipality(text: str, filename: str = "<municipality>") -> Municipality:
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = f"ошибка YAML: {error.problem or error.context}"
        raise ConfigError([Problem(filename, line, "", message)]) from error
    if not isinstance(tree, dict):
        raise ConfigError([Problem(filename, 1, "", "ожидался словарь полей муниципалитета")])
    try:
        municipality = Municipality.model_validate(tree)
    except ValidationError as error:
        problems = [
            Problem(filename, _line_of(tree, item["loc"]), _dotted(item["loc"]), item["msg"])
            for item in error.errors()
        ]
        raise ConfigError(problems) from error
    problems = [
        Problem(filename, _line_of(tree, loc), _dotted(loc), message)
        for loc, message in check_references(municipality)
    ]
    if problems:
        raise ConfigError(problems)
    return municipality


def check_references(municipality: Municipality) -> Iterator[tuple[Loc, str]]:
    """Cross-field rules: names that must point at something defined elsewhere in the file."""
    settlement_names = {name.casefold() for s in municipality.settlements for name in s.names}
    yield from _duplicates("settlements", (s.name for s in municipality.settlements), "name")
    yield from _duplicates("departments", (d.id for d in municipality.departments), "id")
    yield from _duplicates("sources", (s.id for s in municipality.sources), "id")
    department_ids = {d.id for d in municipality.departments}
    for i, department in enumerate(municipality.departments):
        for j, block in enumerate(department.blocks):
            if block not in blocks():
                hint = closest_block(block)
                suggestion = f"; возможно, «{hint}»" if hint else ""
                yield ("departments", i, "blocks", j), f"неизвестный блок «{block}»{suggestion}"
        for j, name in enumerate(department.settlements):
            if name.casefold() not in settlement_names:
                yield ("departments", i, "settlements", j), f"нет такого поселения «{name}»"
    for i, member in enumerate(municipality.members):
        if member.department and member.department not in department_ids:
            yield ("members", i, "department"), f"нет такого отдела «{member.department}»"
    source_ids = {s.id for s in municipality.sources}
    for i, page in enumerate(municipality.official_pages):
        if page.source not in source_ids:
            yield ("official_pages", i, "source"), f"нет такого источника «{page.source}»"
    for i, source in enumerate(municipality.sources):
        if source.settlement and source.settlement.casefold() not in settlement_names:
            yield ("sources", i, "settlement"), f"нет такого поселения «{source.settlement}»"
    for i, recipient in enumerate(municipality.recipients):
        for j, block in enumerate(recipient.blocks):
            if block not in blocks():
                yield ("recipients", i, "blocks", j), f"неизвестный блок «{block}»"
        for j, kind in enumerate(recipient.kinds):
            if kind not in ALERT_KINDS:
                yield ("recipients", i, "kinds", j), f"неизвестный вид оповещений «{kind}»"
    yield from _check_alerts(municipality.alerts, source_ids)


ALERT_KINDS = (
    "risk",
    "watchlist",
    "spike",
    "story",
    "silence",
    "sla",
    "operator",
    "gospabliki_silence",
    "gospabliki_unanswered",
)


def _check_alerts(alerts: AlertsConfig, source_ids: set[str]) -> Iterator[tuple[Loc, str]]:
    for block in alerts.risk.per_block:
        if block not in blocks():
            yield ("alerts", "risk", "per_block", block), f"неизвестный блок «{block}»"
    for section, per_source in (("risk", alerts.risk.per_source), ("silence", alerts.silence.per_source)):
        for source_id in per_source:
            if source_id not in source_ids:
                yield ("alerts", section, "per_source", source_id), f"нет такого источника «{source_id}»"
    yield from _duplicates("alerts.watchlists", (w.name for w in alerts.watchlists), "name")


def _duplicates(section: str, values: Iterable[str], field: str) -> Iterator[tuple[Loc, str]]:
    seen: Counter[str] = Counter()
    for index, value in enumerate(values):
        seen[value.casefold()] += 1
        if seen[value.casefold()] == 2:
            yield (section, index, field), f"повторяется «{value}»"


def _dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(tree: Any, loc: Iterable[str | int]) -> int | None:
    """The 1-based line of the deepest node of ``loc`` that exists in the YAML tree."""
    line: int | None = None
    node = tree
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list):
                position = lc.item(part) if lc is not None else None
                node = node[part]
            elif isinstance(node, dict) and part in node:
                position = lc.key(part) if lc is not None else None
                node = node[part]
            else:
                break
        except (KeyError, IndexError, AttributeError):
            break
        if position is not None:
            line = position[0] + 1
    if line is None and getattr(tree, "lc", None) is not None:
        line = tree.lc.line + 1
    return line
