"""Does a new incident post belong to a case that is already open? A pure decision.

A post joins a case when it is about the same problem: a comment under one of the case's posts,
a repost of one (or a post the case reposted), a near-duplicate text, or the same topic block and
place (settlement, and street when both sides know it) within a time window. Otherwise it opens a
case of its own. The checks run from the most certain to the least.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from infopole.config.municipality import CasePolicy
from infopole.domain.analysis import Analysis
from infopole.domain.post import Post

_WORD = re.compile(r"\w+", re.UNICODE)
MIN_WORDS_FOR_TEXT_MATCH = 4  # «Яма!» twice is not the same problem


class JoinReason(StrEnum):
    COMMENT = "comment"
    REPOST = "repost"
    NEAR_DUPLICATE = "near_duplicate"
    PLACE = "place"

    @property
    def label(self) -> str:
        return {
            JoinReason.COMMENT: "комментарий к публикации обращения",
            JoinReason.REPOST: "репост публикации обращения",
            JoinReason.NEAR_DUPLICATE: "почти тот же текст",
            JoinReason.PLACE: "та же тема и то же место",
        }[self]


@dataclass(slots=True)
class OpenCase:
    """What the joiner needs to know about an open case; the store builds these."""

    id: int
    block: str | None
    settlement: str | None
    street: str | None
    last_post_at: datetime
    post_keys: set[str] = field(default_factory=set)
    copy_of_keys: set[str] = field(default_factory=set)  # originals that the case's posts repost
    shingles: list[frozenset[str]] = field(default_factory=list)  # one set per post text

    def add(self, post: Post) -> None:
        self.post_keys.add(post.key)
        if post.copy_of_key:
            self.copy_of_keys.add(post.copy_of_key)
        words = shingles(post.text)
        if words:
            self.shingles.append(words)
        self.last_post_at = max(self.last_post_at, post.published_at)


@dataclass(frozen=True, slots=True)
class JoinDecision:
    case_id: int
    reason: JoinReason
    similarity: float = 1.0


def shingles(text: str) -> frozenset[str]:
    """Word bigrams of the normalised text; empty for texts too short to compare."""
    words = _WORD.findall(text.casefold().replace("ё", "е"))
    if len(words) < MIN_WORDS_FOR_TEXT_MATCH:
        return frozenset()
    return frozenset(f"{a} {b}" for a, b in pairwise(words))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def street_of(analysis: Analysis) -> str | None:
    return next((address.street for address in analysis.addresses if address.street), None)


def find_case(
    post: Post, analysis: Analysis, cases: Sequence[OpenCase], policy: CasePolicy
) -> JoinDecision | None:
    for case in cases:
        if post.parent_key and post.parent_key in case.post_keys:
            return JoinDecision(case.id, JoinReason.COMMENT)
    for case in cases:
        if (post.copy_of_key and post.copy_of_key in case.post_keys) or post.key in case.copy_of_keys:
            return JoinDecision(case.id, JoinReason.REPOST)
        if analysis.duplicate_of and analysis.duplicate_of in case.post_keys:
            return JoinDecision(case.id, JoinReason.NEAR_DUPLICATE)
    words = shingles(post.text)
    best: JoinDecision | None = None
    for case in cases:
        score = max((similarity(words, other) for other in case.shingles), default=0.0)
        if score >= policy.near_duplicate_similarity and (best is None or score > best.similarity):
            best = JoinDecision(case.id, JoinReason.NEAR_DUPLICATE, round(score, 3))
    if best is not None or not policy.join_by_place:
        return best
    return _same_place(post, analysis, cases, timedelta(hours=policy.join_window_hours))


def _same_place(
    post: Post, analysis: Analysis, cases: Sequence[OpenCase], window: timedelta
) -> JoinDecision | None:
    if analysis.block is None or analysis.settlement is None:
        return None  # «somewhere, something about roads» is not a place
    street = street_of(analysis)
    matches = [
        case
        for case in cases
        if case.block == analysis.block
        and case.settlement is not None
        and case.settlement.casefold() == analysis.settlement.casefold()
        and (street is None or case.street is None or case.street.casefold() == street.casefold())
        and abs(post.published_at - case.last_post_at) <= window
    ]
    if not matches:
        return None
    newest = max(matches, key=lambda case: case.last_post_at)
    return JoinDecision(newest.id, JoinReason.PLACE)
