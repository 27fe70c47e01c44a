"""Builders shared by the alert tests: posts with their analyses, and a municipality to route by."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infopole.config.municipality import Municipality, load_municipality
from infopole.domain.analysis import Analysis
from infopole.domain.post import Metrics, Platform, Post

KINGISEPP = Path(__file__).parent.parent / "infopole" / "municipalities" / "kingisepp.yaml"
# Monday 23.11.2026, 12:00 in Kingisepp (Europe/Moscow) is 09:00 UTC
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def municipality(**changes: Any) -> Municipality:
    base = load_municipality(KINGISEPP)
    return base.model_copy(update=changes) if changes else base


def pair(
    post_id: str,
    text: str = "Обычный пост",
    published_at: datetime = NOW,
    *,
    source_id: str = "vk-podslushano-kingisepp",
    reach: int = 100,
    **analysis: Any,
) -> tuple[Post, Analysis]:
    post = Post(
        platform=Platform.VK,
        owner_id="-100003",
        post_id=post_id,
        text=text,
        published_at=published_at,
        source_id=source_id,
        url=f"https://vk.com/wall-100003_{post_id}",
        metrics=Metrics(views=reach),
    )
    return post, Analysis(post_key=post.key, model_id="test", **analysis)
