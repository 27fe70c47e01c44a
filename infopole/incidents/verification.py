"""Did the official answer really appear under the post? A pure decision over crawled posts.

A recorded answer carries a link: a detected one the comment's own URL (or key), one entered by
hand whatever the official pasted. The link is resolved to a post key of our store
(``resolve_link``); the answer is *verified* when that item is an official comment that is not
deleted, or, for a link to the post itself (OK and Telegram comment URLs name only the post), when
an official comment stands under it. A later crawl that sees the comment deleted makes it
*removed*; nothing found yet is *not found* and, past ``unverified_reply_hours``, flagged in the
queue: an answer the citizen cannot see is not an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from infopole.domain.post import Platform, Post, PostKind, post_key
from infopole.incidents.replies import OfficialAuthors


class Verification(StrEnum):
    VERIFIED = "verified"
    NOT_FOUND = "not_found"  # not (yet) seen in the crawled data
    REMOVED = "removed"  # seen, then deleted on the platform

    @property
    def label(self) -> str:
        return {
            Verification.VERIFIED: "ответ виден на площадке",
            Verification.NOT_FOUND: "ответ не найден",
            Verification.REMOVED: "ответ удалён",
        }[self]


_VK_HOSTS = {"vk.com", "m.vk.com", "vk.ru", "m.vk.ru"}
_OK_HOSTS = {"ok.ru", "m.ok.ru", "odnoklassniki.ru"}
_TG_HOSTS = {"t.me", "telegram.me"}
_VK_WALL = re.compile(r"wall(-?\d+)_(\d+)")
_KEY = re.compile(r"^(vk|ok|telegram):[^:\s]+:[^:\s]+$")


def resolve_link(link: str) -> str | None:
    """The post key a link points at: a VK comment (``?reply=``) or post (``wall-1_2``, also as
    ``?w=wall-1_2``), an OK topic, a Telegram post; a stored key as it is. None: not a platform link."""
    link = link.strip()
    if _KEY.match(link):
        return link
    parts = urlsplit(link if "//" in link else f"https://{link}")
    host = (parts.hostname or "").removeprefix("www.")
    query = parse_qs(parts.query)
    if host in _VK_HOSTS:
        wall = _VK_WALL.search(parts.path) or _VK_WALL.search(" ".join(query.get("w", [])))
        if wall is None:
            return None
        owner, item = wall.groups()
        reply = query.get("reply", [""])[0]
        return post_key(Platform.VK, owner, reply if reply.isdigit() else item)
    if host in _OK_HOSTS:
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) >= 4 and segments[0] == "group" and segments[2] == "topic":
            return post_key(Platform.OK, segments[1], segments[3])
        return None
    if host in _TG_HOSTS:
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[0] == "s":
            segments = segments[1:]
        if len(segments) == 2 and segments[0] != "c" and segments[1].isdigit():
            return post_key(Platform.TELEGRAM, segments[0], segments[1])
    return None


@dataclass(frozen=True, slots=True)
class Check:
    state: Verification
    post_key: str | None  # the official comment (or post) that carries the answer
    note: str = ""


def verify(key: str | None, found: Post | None, under: Sequence[Post], officials: OfficialAuthors) -> Check:
    """``found`` is the stored item ``key`` names; ``under`` the stored comments under it."""
    if key is None:
        return Check(Verification.NOT_FOUND, None, "ссылка не ведёт на публикацию ВКонтакте, ОК или Telegram")
    if found is None:
        return Check(Verification.NOT_FOUND, key, "публикация ещё не собрана")
    if found.kind is PostKind.COMMENT:
        if found.is_deleted:
            return Check(Verification.REMOVED, key, "комментарий удалён")
        if officials.wrote(found):
            return Check(Verification.VERIFIED, key)
        return Check(Verification.NOT_FOUND, key, "комментарий написан не официальной страницей")
    if officials.wrote(found):  # an answer posted as its own publication of an official page
        return Check(Verification.REMOVED if found.is_deleted else Verification.VERIFIED, key)
    answers = sorted((c for c in under if officials.wrote(c)), key=lambda c: (c.published_at, c.key))
    standing = [c for c in answers if not c.is_deleted]
    if standing:
        return Check(Verification.VERIFIED, standing[-1].key)
    if answers:
        return Check(Verification.REMOVED, answers[-1].key, "ответ под публикацией удалён")
    return Check(Verification.NOT_FOUND, key, "под публикацией нет ответа официальной страницы")


def is_flagged(state: Verification, replied_at: datetime, now: datetime, after_hours: float) -> bool:
    """Shown in the queue: a removed answer at once, one not found after ``after_hours``."""
    if state is Verification.REMOVED:
        return True
    return state is Verification.NOT_FOUND and now - replied_at >= timedelta(hours=after_hours)
