"""New or growing story: a cluster of posts (``Analysis.story_id``) that appears or speeds up.

A story is "new" when its first post is within the window and it already has ``min_posts``
posts (and ``min_reach`` if set); it "grows" when the last hour alone brings
``growth_posts_per_hour`` posts, at least twice the hour before, and the story is older
than that hour. Both group under the
story, so the куратор sees one alert whose updates tell the timeline.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from infopole.alerts.rules import Analysed
from infopole.alerts.text import excerpt, local_time, plural, where
from infopole.config.municipality import Severity, StoryRule
from infopole.domain.alert import Alert, AlertKind

HOUR = timedelta(hours=1)


def stories(pairs: Sequence[Analysed]) -> dict[str, list[Analysed]]:
    grouped: dict[str, list[Analysed]] = defaultdict(list)
    for post, analysis in pairs:
        if analysis.story_id and not post.is_deleted:
            grouped[analysis.story_id].append((post, analysis))
    for members in grouped.values():
        members.sort(key=lambda pair: (pair[0].published_at, pair[0].key))
    return grouped


def timeline(members: Sequence[Analysed], tz: ZoneInfo) -> str:
    """Posts per local hour: «14:00 — 2, 15:00 — 6»."""
    hours = Counter(p.published_at.astimezone(tz).strftime("%d.%m %H:00") for p, _ in members)
    return ", ".join(f"{hour} — {count}" for hour, count in sorted(hours.items()))


def story_alerts(pairs: Sequence[Analysed], rule: StoryRule, now: datetime, tz: ZoneInfo) -> list[Alert]:
    alerts = []
    window = timedelta(hours=rule.window_hours)
    hour = now.replace(minute=0, second=0, microsecond=0)
    for story_id, members in sorted(stories(pairs).items()):
        members = [pair for pair in members if pair[0].published_at <= now]
        if not members:
            continue
        first, first_analysis = members[0]
        reach = sum(p.metrics.reach for p, _ in members)
        last_hour = sum(1 for p, _ in members if now - HOUR <= p.published_at)
        hour_before = sum(1 for p, _ in members if now - 2 * HOUR <= p.published_at < now - HOUR)
        big_enough = len(members) >= rule.min_posts and reach >= rule.min_reach
        causes = []
        if big_enough and now - first.published_at <= window:
            causes.append(("new", f"Новый сюжет: {where(first_analysis.block, first_analysis.settlement)}"))
        known = now - first.published_at > HOUR  # a story born this hour is "new", not "growing"
        fast = last_hour >= rule.growth_posts_per_hour and last_hour >= 2 * hour_before
        if big_enough and known and fast:
            causes.append(
                (
                    f"growth:{hour.isoformat()}",
                    f"Сюжет растёт: {plural(last_hour, 'пост', 'поста', 'постов')} за час",
                )
            )
        for suffix, title in causes:
            severe = len(members) >= 3 * rule.min_posts
            alerts.append(
                Alert(
                    key=f"story:{story_id}:{suffix}",
                    kind=AlertKind.STORY,
                    severity=(Severity.HIGH if severe else Severity.MEDIUM).value,
                    title=title,
                    created_at=now,
                    body=(
                        f"{plural(len(members), 'пост', 'поста', 'постов')}, суммарный охват {reach}; "
                        f"за последний час — {last_hour}, за час до того — {hour_before}.\n"
                        f"Первый пост {local_time(first.published_at, tz)} "
                        f"({first.source_id or first.platform}): "
                        f"«{excerpt(first.text, 200)}» {first.url}\n"
                        f"По часам: {timeline(members, tz)}"
                    ),
                    details={
                        "group": f"story:{story_id}",
                        "story_id": story_id,
                        "post_key": first.key,
                        "url": first.url,
                        "block": first_analysis.block,
                        "settlement": first_analysis.settlement,
                        "posts": len(members),
                        "reach": reach,
                        "last_hour": last_hour,
                    },
                )
            )
    return alerts
