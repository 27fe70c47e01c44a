"""The numbers of one official page over one period: a pure function of its posts and comments.

Posts published, regularity (gaps longer than N days: «мониторинг своевременности публикации
контента», Novodugino §2.7 «в»), reach per post and per 1,000 subscribers, the subscribers trend,
the share of posts per topic block, required content and the questions and complaints under the
posts with the page's answers (``comments``).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from infopole.config.municipality import ContentRule, OfficialPage
from infopole.domain.post import Post, PostKind
from infopole.gospabliki.comments import Analysed, CommentCheck, CommentKind, Term, check_comments
from infopole.incidents.replies import OfficialAuthors

NO_BLOCK = "Без темы"


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC, with the label people read («ноябрь 2026», «30 дней»)."""

    start: datetime
    end: datetime
    label: str

    @classmethod
    def month(cls, text: str, tz: ZoneInfo) -> Period:
        """``2026-11``: the calendar month in the municipality's local time."""
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"месяц пишется как 2026-11, а не {text!r}")
        year, month = int(match.group(1)), int(match.group(2))
        following = date(year + month // 12, month % 12 + 1, 1)
        start = datetime.combine(date(year, month, 1), time(), tz)
        end = datetime.combine(following, time(), tz)
        return cls(
            start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC")), _month_label(year, month)
        )

    @classmethod
    def last_days(cls, now: datetime, days: int) -> Period:
        return cls(now - timedelta(days=days), now, f"{days} дн. до {now:%d.%m.%Y}")

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


MONTHS = (
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()  # noqa: SIM905
)


def _month_label(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch without a publication longer than the norm, clipped to the period."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


@dataclass(frozen=True, slots=True)
class ContentResult:
    rule: ContentRule
    matched: int  # posts of the period that match the rule
    required: int  # what the rule asks for over this period

    @property
    def met(self) -> bool:
        return self.matched >= self.required


@dataclass(frozen=True)
class PageInput:
    """What the store reads for one page: its posts (with analyses), the comments under them, the
    last publication before the period, and subscriber counts as (moment, count)."""

    posts: Sequence[Analysed] = ()
    comments: Sequence[Analysed] = ()
    previous_post_at: datetime | None = None
    subscribers: Sequence[tuple[datetime, int]] = ()


@dataclass(frozen=True)
class PageStats:
    page: OfficialPage
    title: str
    period: Period
    asof: datetime  # min(now, period end): what "now" is for this period
    posts: int
    last_post_at: datetime | None
    gap_days: int
    gaps: tuple[Gap, ...]
    views: int
    likes: int
    reposts: int
    comments: int
    subscribers_start: int | None
    subscribers_end: int | None
    blocks: dict[str, int]
    content: tuple[ContentResult, ...]
    pinned: tuple[Post, ...]  # currently pinned publications of the page
    checks: tuple[CommentCheck, ...] = field(default=())
    subscribers_trend: tuple[tuple[datetime, int], ...] = ()  # the counts measured in the period
    platform: str = ""  # vk, ok, telegram

    # --- reach --------------------------------------------------------------------------------

    def per_post(self, counter: str) -> float:
        return getattr(self, counter) / self.posts if self.posts else 0.0

    def per_1000(self, counter: str) -> float | None:
        """The average per post per 1,000 subscribers (the end-of-period count); None if unknown."""
        if not self.subscribers_end:
            return None
        return self.per_post(counter) * 1000 / self.subscribers_end

    @property
    def subscribers_change(self) -> int | None:
        if self.subscribers_start is None or self.subscribers_end is None:
            return None
        return self.subscribers_end - self.subscribers_start

    def block_share(self, block: str) -> float:
        return self.blocks.get(block, 0) / self.posts if self.posts else 0.0

    # --- regularity ---------------------------------------------------------------------------

    @property
    def longest_gap_days(self) -> float:
        return max((gap.days for gap in self.gaps), default=0.0)

    @property
    def silence_days(self) -> float | None:
        """Days since the last publication at ``asof``; None if the page never published."""
        if self.last_post_at is None:
            return None
        return (self.asof - self.last_post_at).total_seconds() / 86400

    # --- comments -----------------------------------------------------------------------------

    @property
    def questions(self) -> int:
        return sum(1 for check in self.checks if check.kind is CommentKind.QUESTION)

    @property
    def complaints(self) -> int:
        return sum(1 for check in self.checks if check.kind is CommentKind.COMPLAINT)

    @property
    def answered(self) -> int:
        return sum(1 for check in self.checks if check.answered)

    @property
    def formal(self) -> int:
        return sum(1 for check in self.checks if check.formal)

    @property
    def unanswered(self) -> int:
        return sum(1 for check in self.checks if not check.answered)

    @property
    def overdue(self) -> tuple[CommentCheck, ...]:
        return tuple(check for check in self.checks if check.overdue(self.asof))

    @property
    def median_answer_hours(self) -> float | None:
        hours = [check.answer_hours for check in self.checks if check.answer_hours is not None]
        return statistics.median(hours) if hours else None

    @property
    def median_answer_working_hours(self) -> float | None:
        """The same answers in working hours of the municipality's calendar (a night or a weekend
        before the answer counts in calendar hours, not here)."""
        hours = [
            check.answer_working_hours for check in self.checks if check.answer_working_hours is not None
        ]
        return statistics.median(hours) if hours else None

    @property
    def answered_share(self) -> float | None:
        return self.answered / len(self.checks) if self.checks else None


def page_stats(
    page: OfficialPage,
    title: str,
    data: PageInput,
    period: Period,
    *,
    officials: OfficialAuthors,
    term: Term,
    now: datetime,
    gap_days: int | None = None,
    rules: Sequence[ContentRule] = (),
    platform: str = "",
) -> PageStats:
    """Everything the report and the status need about ``page`` in ``period``, as of ``now``."""
    asof = min(now, period.end)
    own = [(post, analysis) for post, analysis in data.posts if is_publication(post, officials)]
    published = sorted(
        (
            (post, analysis)
            for post, analysis in own
            if post.published_at in period and post.published_at <= asof
        ),
        key=lambda pair: (pair[0].published_at, pair[0].key),
    )
    times = [post.published_at for post, _ in published]
    norm = gap_days or page.max_silence_days
    earlier = [post.published_at for post, _ in own if post.published_at < period.start]
    previous = max([*earlier, *([data.previous_post_at] if data.previous_post_at else [])], default=None)
    blocks = Counter(
        (analysis.block if analysis and analysis.block else NO_BLOCK) for _, analysis in published
    )
    posts = [post for post, _ in published]
    counts = [count for at, count in sorted(data.subscribers) if at <= asof]
    trend = tuple((at, count) for at, count in sorted(data.subscribers) if period.start <= at <= asof)
    in_period = [count for _, count in trend]
    return PageStats(
        page=page,
        title=title,
        period=period,
        asof=asof,
        posts=len(published),
        last_post_at=times[-1] if times else previous,
        gap_days=norm,
        gaps=tuple(gaps(times, period.start, asof, previous, norm)),
        views=sum(post.metrics.views for post in posts),
        likes=sum(post.metrics.likes for post in posts),
        reposts=sum(post.metrics.reposts for post in posts),
        comments=sum(post.metrics.comments for post in posts),
        subscribers_start=in_period[0] if in_period else None,
        subscribers_end=counts[-1] if counts else None,
        subscribers_trend=trend,
        platform=platform,
        blocks=dict(blocks.most_common()),
        content=tuple(content_results(posts, rules, page, period)),
        pinned=tuple(
            post for post, _ in own if post.is_pinned and not post.is_deleted and post.published_at <= asof
        ),
        checks=tuple(
            check
            for check in check_comments([p for p, _ in own], data.comments, officials, term, asof)
            if check.comment.published_at in period
        ),
    )


def is_publication(post: Post, officials: OfficialAuthors) -> bool:
    """A post of the page itself (not a resident's post on an open wall, not a comment)."""
    return post.kind is PostKind.POST and not post.is_deleted and officials.wrote(post)


def gaps(
    times: Sequence[datetime], start: datetime, until: datetime, previous: datetime | None, norm_days: int
) -> list[Gap]:
    """Stretches without a publication longer than ``norm_days`` between ``start`` and ``until``.

    A stretch that began before the period (from ``previous``, the last earlier post) is clipped
    to the period; with no earlier post the period's start counts as the last publication.
    """
    norm = timedelta(days=norm_days)
    points = [previous or start, *sorted(times), until]
    found = []
    for before, after in itertools.pairwise(points):
        if after - before > norm:
            found.append(Gap(max(before, start), after))
    return found


def content_results(
    posts: Sequence[Post], rules: Sequence[ContentRule], page: OfficialPage, period: Period
) -> list[ContentResult]:
    """Each rule that applies to the page's category, with the posts that satisfy it.

    ``min_posts`` is per ``period_days``; over another period (a month for a 7-day rule) the
    requirement is scaled to it and rounded, never below ``min_posts``.
    """
    results = []
    for rule in rules:
        if rule.categories and page.category not in rule.categories:
            continue
        required = max(rule.min_posts, round(rule.min_posts * period.days / rule.period_days))
        results.append(ContentResult(rule, sum(1 for post in posts if matches(rule, post)), required))
    return results


def matches(rule: ContentRule, post: Post) -> bool:
    text = _fold(f"{post.title}\n{post.text}")
    tags = {_fold(tag) for tag in re.findall(r"#(\w+)", text)}
    if any(_fold(tag.lstrip("#")) in tags for tag in rule.hashtags):
        return True
    return any(re.search(r"(?<!\w)" + re.escape(_fold(word)), text) for word in rule.keywords)


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")
