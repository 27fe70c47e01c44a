"""Questions and complaints under official posts, and whether the page answered them.

Госпаблики exist «для … обеспечения оперативной обратной связи с гражданами посредством ответов на
вопросы и комментарии» (Novodugino, the definition of «госпаблики»). A comment is a complaint when the
NLP calls it an incident or it has a complaint cue, a question when it asks something; anything else
(thanks, emoji, chatter) is not counted. It is answered by the first later comment of the page itself
or a known official (``infopole.incidents.replies.OfficialAuthors``) that replies to it or within its
thread; an answer that is a формальная отписка (``infopole.incidents.formal``) still counts as an
answer but is flagged. Pure: no I/O, the clock and the answer term are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from infopole.domain.analysis import Analysis
from infopole.domain.post import Post, PostKind
from infopole.incidents.formal import is_formal_reply
from infopole.incidents.replies import OfficialAuthors

Analysed = tuple[Post, Analysis | None]


class Term(Protocol):
    """The answer term: when a comment must be answered, and how long an answer took in working time.

    ``infopole.gospabliki.compute.SlaTerm`` is the appeals queue's policy on the production calendar."""

    def due(self, comment: Post, analysis: Analysis | None) -> datetime: ...

    def working_hours(self, start: datetime, end: datetime) -> float: ...


class CommentKind(StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"question": "вопрос", "complaint": "жалоба", "other": "прочее"}[self.value]


_COMPLAINT = re.compile(
    r"жалоб|безобраз|возмут|позор|ужас|кошмар|издевательств|беспредел|отписк"
    r"|сколько можно|когда уже|до сих пор|так и не|никто не|ничего не делает|не работает|не убира|не вывоз"
    r"|нет\s+(воды|света|тепла|отопления|газа|электричества)|(яма|ямы|ямам)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"^\s*(подскажите|скажите|объясните|как|когда|где|почему|зачем|сколько|кто|куда|откуда|можно ли|будет ли"
    r"|есть ли|что делать|что с|а что)\b|подскажите|не подскажете|подскажет кто",
    re.IGNORECASE,
)


def comment_kind(comment: Post, analysis: Analysis | None, officials: OfficialAuthors) -> CommentKind:
    """A resident's question or complaint; the page's own and the officials' comments are neither."""
    if comment.kind is not PostKind.COMMENT or comment.is_deleted or not comment.text.strip():
        return CommentKind.OTHER
    if officials.wrote(comment):
        return CommentKind.OTHER
    if (analysis is not None and analysis.is_incident) or _COMPLAINT.search(comment.text):
        return CommentKind.COMPLAINT
    if "?" in comment.text or _QUESTION.search(comment.text):
        return CommentKind.QUESTION
    return CommentKind.OTHER


@dataclass(frozen=True, slots=True)
class CommentCheck:
    """One question or complaint under an official post and the page's answer to it."""

    comment: Post
    kind: CommentKind
    due_at: datetime
    analysis: Analysis | None = None
    answer_key: str | None = None
    answered_at: datetime | None = None
    formal: bool = False  # every answer the page gave is an отписка
    answer_working_hours: float | None = None  # working hours to the answer, on the term's calendar
    answer: Post | None = None  # the page's first answer itself

    @property
    def block(self) -> str | None:
        return self.analysis.block if self.analysis else None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def answer_hours(self) -> float | None:
        """Calendar hours from the comment to the page's first answer."""
        if self.answered_at is None:
            return None
        return (self.answered_at - self.comment.published_at).total_seconds() / 3600

    @property
    def late(self) -> bool:
        """Answered, but after the term."""
        return self.answered_at is not None and self.answered_at > self.due_at

    def overdue(self, now: datetime) -> bool:
        """Still unanswered at ``now`` and the term has passed."""
        return self.answered_at is None and now > self.due_at


def check_comments(
    page_posts: Iterable[Post],
    comments: Iterable[Analysed],
    officials: OfficialAuthors,
    term: Term,
    now: datetime,
) -> list[CommentCheck]:
    """The questions and complaints under ``page_posts`` published before ``now``, oldest first.

    ``comments`` are every comment under those posts (residents' and the page's own): the page's
    answers are found among them. Answers after ``now`` are not known yet.
    """
    post_keys = {post.key for post in page_posts}
    under = [
        (comment, analysis)
        for comment, analysis in comments
        if comment.kind is PostKind.COMMENT
        and comment.parent_key in post_keys
        and comment.published_at <= now
    ]
    by_key = {comment.key: comment for comment, _ in under}
    answers = [comment for comment, _ in under if not comment.is_deleted and officials.wrote(comment)]
    checks = []
    for comment, analysis in sorted(under, key=lambda pair: (pair[0].published_at, pair[0].key)):
        kind = comment_kind(comment, analysis, officials)
        if kind is CommentKind.OTHER:
            continue
        replies = sorted(
            (reply for reply in answers if _answers(reply, comment, by_key)),
            key=lambda reply: (reply.published_at, reply.key),
        )
        first = replies[0] if replies else None
        checks.append(
            CommentCheck(
                comment=comment,
                kind=kind,
                due_at=term.due(comment, analysis),
                analysis=analysis,
                answer_key=first.key if first else None,
                answered_at=first.published_at if first else None,
                formal=bool(replies) and all(is_formal_reply(reply.text) for reply in replies),
                answer_working_hours=(
                    term.working_hours(comment.published_at, first.published_at) if first else None
                ),
                answer=first,
            )
        )
    return checks


def _answers(reply: Post, comment: Post, by_key: Mapping[str, Post]) -> bool:
    """``reply`` (by the page) came after ``comment``, under the same post, to it or inside its thread."""
    if reply.key == comment.key or reply.parent_key != comment.parent_key:
        return False
    if reply.published_at < comment.published_at:
        return False
    if reply.reply_to_key == comment.key:
        return True
    return reply.reply_to_key is not None and _thread(reply, by_key) == _thread(comment, by_key)


def _thread(comment: Post, by_key: Mapping[str, Post]) -> str:
    """The key of the top-level comment whose thread ``comment`` is in (itself if top-level)."""
    seen = {comment.key}
    while comment.reply_to_key and comment.reply_to_key in by_key and comment.reply_to_key not in seen:
        comment = by_key[comment.reply_to_key]
        seen.add(comment.key)
    return (
        comment.reply_to_key if comment.reply_to_key and comment.reply_to_key not in by_key else comment.key
    )
