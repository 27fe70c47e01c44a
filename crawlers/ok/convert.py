"""OK wire items (media topics of a group, their discussion comments) → the canonical ``Post``.

Pure functions of a dict. A media topic's text is spread over its ``media`` blocks
(``text``, ``link``, ``photo``, ``poll``, …); the text blocks are joined and the others
become attachments. Topic times are ``created_ms`` (UTC milliseconds); comment times are
``date`` strings in Moscow time, as OK sends them (``date_ms`` is used when present).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from infopole.domain.post import (
    Attachment,
    Metrics,
    Platform,
    Post,
    PostKind,
    RawPayload,
    post_key,
    pseudonymise,
)

OK = Platform.OK
OK_WEB = "https://ok.ru"
MOSCOW = timezone(timedelta(hours=3), "MSK")
GROUP_TOPIC = "GROUP_TOPIC"


def topic_url(group_id: str, topic_id: str) -> str:
    return f"{OK_WEB}/group/{group_id}/topic/{topic_id}"


def ok_key(group_id: str, item_id: str) -> str:
    return post_key(OK, group_id, item_id)


def _ms(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def comment_time(comment: Mapping[str, Any]) -> datetime:
    if comment.get("date_ms"):
        return _ms(comment["date_ms"])
    return datetime.strptime(str(comment["date"]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=MOSCOW).astimezone(UTC)


def _summary(item: Mapping[str, Any], name: str, field: str = "count") -> int:
    value = item.get(name)
    return int(value.get(field) or 0) if isinstance(value, Mapping) else 0


def _media(blocks: Any) -> tuple[str, tuple[Attachment, ...]]:
    texts: list[str] = []
    attachments: list[Attachment] = []
    for block in blocks or ():
        kind = str(block.get("type") or "unknown")
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "link":
            attachments.append(Attachment("link", str(block.get("url") or ""), str(block.get("title") or "")))
        elif kind == "poll":
            attachments.append(Attachment("poll", title=str(block.get("question") or "")))
        elif kind in ("photo", "movie", "music"):
            refs = block.get("photo_refs") or block.get("movie_refs") or block.get("music_refs") or [""]
            attachments += [Attachment("video" if kind == "movie" else kind, str(ref)) for ref in refs]
        else:
            attachments.append(Attachment(kind))
    return "\n".join(text for text in texts if text), tuple(attachments)


def _author(ref: Any, salt: str) -> tuple[str, bool]:
    """``author_ref`` is ``"user:<id>"`` or ``"group:<id>"``."""
    if not ref:
        return "", False
    kind, _, raw_id = str(ref).partition(":")
    return pseudonymise(OK, raw_id or kind, salt), kind == "group"


def topic_to_post(topic: Mapping[str, Any], *, group_id: str, source_id: str, salt: str) -> Post:
    topic_id = str(topic["id"])
    text, attachments = _media(topic.get("media"))
    author_id, is_community = _author(topic.get("author_ref"), salt)
    return Post(
        platform=OK,
        owner_id=group_id,
        post_id=topic_id,
        source_id=source_id,
        url=topic_url(group_id, topic_id),
        text=text,
        published_at=_ms(topic["created_ms"]),
        is_pinned=bool(topic.get("is_pinned") or topic.get("pinned")),
        author_id=author_id,
        author_is_community=is_community,
        metrics=Metrics(
            likes=_summary(topic, "like_summary"),
            reposts=_summary(topic, "reshare_summary"),
            comments=_summary(topic, "discussion_summary", "comments_count"),
        ),
        attachments=attachments,
    )


def comment_to_post(
    comment: Mapping[str, Any], *, group_id: str, topic_id: str, source_id: str, salt: str
) -> Post:
    """A comment under a topic; ``reply_to_key`` is the comment it answers, if any."""
    reply_to = comment.get("reply_to_comment_id")
    author_type = str(comment.get("author_type") or "USER").upper()
    return Post(
        platform=OK,
        owner_id=group_id,
        post_id=str(comment["id"]),
        kind=PostKind.COMMENT,
        source_id=source_id,
        url=topic_url(group_id, topic_id),
        text=str(comment.get("text") or ""),
        published_at=comment_time(comment),
        is_deleted=bool(comment.get("deleted")),
        author_id=pseudonymise(OK, str(comment.get("author_id") or ""), salt)
        if comment.get("author_id")
        else "",
        author_is_community=author_type == "GROUP",
        parent_key=ok_key(group_id, topic_id),
        reply_to_key=ok_key(group_id, str(reply_to)) if reply_to else None,
        metrics=Metrics(likes=int(comment.get("like_count") or 0)),
    )


def raw_payload(post: Post, item: Mapping[str, Any], fetched_at: datetime) -> RawPayload:
    return RawPayload(
        platform=OK, source_id=post.source_id, item_key=post.key, fetched_at=fetched_at, payload=dict(item)
    )


def tombstone(group_id: str, topic_id: str, published_at: datetime, *, source_id: str) -> Post:
    """A topic OK no longer returns: same key, ``is_deleted``, no content."""
    return Post(
        platform=OK,
        owner_id=group_id,
        post_id=topic_id,
        source_id=source_id,
        url=topic_url(group_id, topic_id),
        text="",
        published_at=published_at,
        is_deleted=True,
    )


def comment_tombstone(
    group_id: str, topic_id: str, comment_id: str, published_at: datetime, *, source_id: str
) -> Post:
    """A comment OK no longer returns under its topic: same key, ``is_deleted``, linked to the topic."""
    return Post(
        platform=OK,
        owner_id=group_id,
        post_id=comment_id,
        kind=PostKind.COMMENT,
        source_id=source_id,
        url=topic_url(group_id, topic_id),
        text="",
        published_at=published_at,
        is_deleted=True,
        parent_key=ok_key(group_id, topic_id),
    )
