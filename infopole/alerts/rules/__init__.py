"""Alert rules: pure functions from plain data and an injected ``now`` to ``Alert``s.

Conventions every rule keeps, so grouping and routing need not know the rule:

* ``key`` names the cause (``risk:<post key>``), so re-running a rule changes nothing;
* ``details["group"]`` names the alert the cause belongs to (a story, a case, a source):
  causes of one group become updates of one alert instead of new alerts;
* ``details`` may carry ``block``, ``settlement``, ``source_id``, ``post_key``, ``url``
  for routing and links, and ``roles`` for people who must get it whatever their filters.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from infopole.domain.analysis import Analysis
from infopole.domain.post import Post

Analysed = tuple[Post, Analysis]


def fresh(
    pairs: list[Analysed] | tuple[Analysed, ...], now: datetime, max_age_hours: float
) -> list[Analysed]:
    """Posts recent enough to be news: an old post found late (a backfill) must not alert."""
    since = now - timedelta(hours=max_age_hours)
    return [(p, a) for p, a in pairs if not p.is_deleted and since <= p.published_at <= now]


def post_group(post: Post, analysis: Analysis) -> str:
    """One alert per story: posts of a story cluster group together, a lone post is its own group."""
    return f"story:{analysis.story_id}" if analysis.story_id else f"post:{post.key}"


def post_details(post: Post, analysis: Analysis) -> dict[str, object]:
    return {
        "group": post_group(post, analysis),
        "post_key": post.key,
        "url": post.url,
        "block": analysis.block,
        "settlement": analysis.settlement,
        "source_id": post.source_id,
        "story_id": analysis.story_id,
        "published_at": post.published_at.isoformat(),
    }
