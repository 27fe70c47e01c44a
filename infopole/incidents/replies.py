"""Recognising the official answer among crawled comments, and the citizen's reaction to it.

An answer is official when its author is a known official account (``official_accounts``) or an
official source of the municipality (``sources`` with ``official: true``) speaking as itself: its
pseudonym is computed from the source's target with the installation's salt, exactly as the
crawlers pseudonymise authors. A community comment on an official wall also counts, since on
its own wall the page answers as itself. Pure: the store applies the decision.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from infopole.config.municipality import Municipality
from infopole.domain.incident import IncidentStatus
from infopole.domain.post import Platform, Post, PostKind, pseudonymise
from infopole.incidents.formal import is_formal_reply, is_promise, says_problem_persists


@dataclass(frozen=True, slots=True)
class OfficialAuthors:
    author_ids: frozenset[str]
    walls: frozenset[tuple[Platform, str]]  # (platform, owner_id) of official pages

    def wrote(self, post: Post) -> bool:
        if post.author_id and post.author_id in self.author_ids:
            return True
        return post.author_is_community and (post.platform, post.owner_id) in self.walls


def official_authors(municipality: Municipality, salt: str) -> OfficialAuthors:
    official = [source for source in municipality.sources if source.official and source.target]
    ids = {pseudonymise(source.platform, source.target, salt) for source in official}
    ids.update(municipality.official_accounts)
    return OfficialAuthors(frozenset(ids), frozenset((s.platform, s.target) for s in official))


class ReplyKind(StrEnum):
    ANSWER = "answer"
    INTERIM = "interim"
    FORMAL = "formal"  # an отписка from an official page
    PERSISTS = "persists"  # the citizen says the problem is still there
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    reopen: bool = False


def classify(
    comment: Post, status: IncidentStatus, citizens: Collection[str], officials: OfficialAuthors
) -> Reply:
    """What a comment under a case's post means for the case in ``status``.

    ``citizens`` are the authors of the case's own posts: only they can say «still not fixed»
    with the weight to reopen an answered case.
    """
    if comment.kind is not PostKind.COMMENT or comment.is_deleted or not comment.text.strip():
        return Reply(ReplyKind.OTHER)
    if officials.wrote(comment):
        if is_formal_reply(comment.text):
            return Reply(ReplyKind.FORMAL)
        return Reply(ReplyKind.INTERIM if is_promise(comment.text) else ReplyKind.ANSWER)
    if comment.author_id and comment.author_id in citizens and says_problem_persists(comment.text):
        return Reply(ReplyKind.PERSISTS, reopen=status.is_answered)
    return Reply(ReplyKind.OTHER)
