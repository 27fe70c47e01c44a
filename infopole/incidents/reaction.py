"""How citizens took an official answer: the comments after it in the same thread.

Words decide before moods: «не решено», «ничего не изменилось» (``says_problem_persists``) is a
negative reaction and «спасибо, сделали» (``says_thanks_for_fix``) a positive one, and the latest
such comment wins, since the thread tells the story in order (thanks, then «опять течёт», means
the fix did not hold). Without such words the NLP sentiment of the comments decides by majority;
a tie or silence is no reaction. Only a reaction that says the problem persists reopens a case,
and only after the case's latest answer: an answer given since then starts a new round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from infopole.domain.post import Post
from infopole.incidents.formal import says_problem_persists, says_thanks_for_fix
from infopole.incidents.replies import OfficialAuthors


class Reaction(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NONE = "none"

    @property
    def label(self) -> str:
        return {Reaction.POSITIVE: "одобрение", Reaction.NEGATIVE: "недовольство", Reaction.NONE: "нет"}[self]


@dataclass(frozen=True, slots=True)
class ThreadComment:
    post: Post
    sentiment: str = "neutral"  # the analysis' label: positive, negative, neutral


@dataclass(frozen=True, slots=True)
class Verdict:
    reaction: Reaction
    decided_by: str | None = None  # key of the comment that decided
    persists: bool = False  # the deciding comment says the problem is still there
    at: datetime | None = None


def react(replied_at: datetime, thread: Sequence[ThreadComment], officials: OfficialAuthors) -> Verdict:
    """The citizens' reaction to an answer given at ``replied_at`` under the same post."""
    after = sorted(
        (
            c
            for c in thread
            if c.post.published_at > replied_at
            and not c.post.is_deleted
            and c.post.text.strip()
            and not officials.wrote(c.post)
        ),
        key=lambda c: (c.post.published_at, c.post.key),
    )
    for comment in reversed(after):
        if says_problem_persists(comment.post.text):
            return Verdict(Reaction.NEGATIVE, comment.post.key, True, comment.post.published_at)
        if says_thanks_for_fix(comment.post.text):
            return Verdict(Reaction.POSITIVE, comment.post.key, False, comment.post.published_at)
    positive = [c for c in after if c.sentiment == "positive"]
    negative = [c for c in after if c.sentiment == "negative"]
    if len(positive) > len(negative):
        return Verdict(Reaction.POSITIVE, positive[-1].post.key, at=positive[-1].post.published_at)
    if len(negative) > len(positive):
        return Verdict(Reaction.NEGATIVE, negative[-1].post.key, at=negative[-1].post.published_at)
    return Verdict(Reaction.NONE)
