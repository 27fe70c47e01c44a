"""VK wire items (wall posts, comments, search results) → the canonical ``Post``.

Pure functions of a dict, so they are tested with recorded wire items and nothing else.
Nothing past this module sees a VK dict; ``RawPayload`` keeps the item for re-analysis.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from infopole.domain.post import (
    Attachment,
    Geo,
    Metrics,
    Platform,
    Post,
    PostKind,
    RawPayload,
    post_key,
    pseudonymise,
)

VK = Platform.VK
VK_WEB = "https://vk.com"


def post_url(owner_id: int | str, post_id: int | str) -> str:
    return f"{VK_WEB}/wall{owner_id}_{post_id}"


def comment_url(
    owner_id: int | str, post_id: int | str, comment_id: int | str, thread: int | None = None
) -> str:
    url = f"{post_url(owner_id, post_id)}?reply={comment_id}"
    return f"{url}&thread={thread}" if thread else url


def vk_key(owner_id: int | str, item_id: int | str) -> str:
    return post_key(VK, str(owner_id), str(item_id))


def _moment(unix: Any) -> datetime | None:
    return datetime.fromtimestamp(int(unix), tz=UTC) if unix else None


def _count(item: Mapping[str, Any], name: str) -> int:
    value = item.get(name)
    if isinstance(value, Mapping):
        return int(value.get("count") or 0)
    return int(value or 0)


def _geo(item: Mapping[str, Any]) -> Geo | None:
    coordinates = (item.get("geo") or {}).get("coordinates")
    if isinstance(coordinates, str):
        try:
            lat, lon = (float(part) for part in coordinates.split()[:2])
        except ValueError:
            return None
        return Geo(lat=lat, lon=lon)
    if isinstance(coordinates, Mapping):  # newer API versions send {"latitude", "longitude"}
        return Geo(lat=float(coordinates["latitude"]), lon=float(coordinates["longitude"]))
    return None


def _attachment(attachment: Mapping[str, Any]) -> Attachment:
    kind = str(attachment.get("type") or "unknown")
    body = attachment.get(kind) or {}
    if not isinstance(body, Mapping):
        return Attachment(kind=kind)
    if kind == "photo":
        sizes = body.get("sizes") or []
        largest: Mapping[str, Any] = max(
            sizes, key=lambda size: size.get("width", 0) * size.get("height", 0), default={}
        )
        return Attachment(kind=kind, url=str(largest.get("url", "")), title=str(body.get("text", "")))
    if kind in ("video", "clip"):
        url = f"{VK_WEB}/video{body['owner_id']}_{body['id']}" if "owner_id" in body and "id" in body else ""
        return Attachment(kind=kind, url=url, title=str(body.get("title", "")))
    if kind == "poll":
        return Attachment(kind=kind, title=str(body.get("question", "")))
    return Attachment(kind=kind, url=str(body.get("url", "")), title=str(body.get("title", "")))


def _author(from_id: Any, salt: str) -> tuple[str, bool]:
    if not from_id:
        return "", False
    return pseudonymise(VK, int(from_id), salt), int(from_id) < 0


def wall_item_to_posts(
    item: Mapping[str, Any], *, source_id: str, salt: str, kind: PostKind = PostKind.POST
) -> list[Post]:
    """A wall item and, after it, every ``copy_history`` item as its own ``REPOST`` post.

    The outer post's ``copy_of_key`` points at ``copy_history[0]`` (what it reposted);
    each history item points at the next one, because VK lists a repost chain newest first.
    """
    owner_id, post_id = int(item["owner_id"]), int(item["id"])
    history = [entry for entry in item.get("copy_history") or () if "owner_id" in entry and "id" in entry]
    author_id, is_community = _author(item.get("from_id") or item.get("signer_id"), salt)
    posts = [
        Post(
            platform=VK,
            owner_id=str(owner_id),
            post_id=str(post_id),
            kind=kind,
            source_id=source_id,
            url=post_url(owner_id, post_id),
            text=str(item.get("text") or ""),
            published_at=_moment(item.get("date")) or datetime.fromtimestamp(0, tz=UTC),
            edited_at=_moment(item.get("edited")),
            is_deleted=bool(item.get("is_deleted") or item.get("deleted")),
            is_pinned=bool(item.get("is_pinned")),
            author_id=author_id,
            author_is_community=is_community,
            copy_of_key=vk_key(history[0]["owner_id"], history[0]["id"]) if history else None,
            metrics=Metrics(
                likes=_count(item, "likes"),
                reposts=_count(item, "reposts"),
                views=_count(item, "views"),
                comments=_count(item, "comments"),
            ),
            geo=_geo(item),
            attachments=tuple(_attachment(entry) for entry in item.get("attachments") or ()),
        )
    ]
    if history:
        # each history item is converted on its own; its copy_history (if any) is the rest of the chain
        for index, entry in enumerate(history):
            chained = dict(entry, copy_history=history[index + 1 : index + 2])
            posts.append(wall_item_to_posts(chained, source_id=source_id, salt=salt, kind=PostKind.REPOST)[0])
    return posts


def comment_to_post(
    comment: Mapping[str, Any], *, owner_id: int, post_id: int, source_id: str, salt: str
) -> Post:
    """A comment or a thread reply; ``reply_to_key`` is the comment it answers (or the thread head)."""
    comment_id = int(comment["id"])
    stack = [int(entry) for entry in comment.get("parents_stack") or ()]
    thread_head = stack[0] if stack else None
    reply_to = comment.get("reply_to_comment") or thread_head
    author_id, is_community = _author(comment.get("from_id"), salt)
    thread_count = _count(comment, "thread")
    return Post(
        platform=VK,
        owner_id=str(owner_id),
        post_id=str(comment_id),
        kind=PostKind.COMMENT,
        source_id=source_id,
        url=comment_url(owner_id, post_id, comment_id, thread_head),
        text=str(comment.get("text") or ""),
        published_at=_moment(comment.get("date")) or datetime.fromtimestamp(0, tz=UTC),
        edited_at=_moment(comment.get("edited")),
        is_deleted=bool(comment.get("deleted") or comment.get("is_deleted")),
        author_id=author_id,
        author_is_community=is_community,
        parent_key=vk_key(owner_id, post_id),
        reply_to_key=vk_key(owner_id, reply_to) if reply_to else None,
        metrics=Metrics(likes=_count(comment, "likes"), comments=thread_count),
        attachments=tuple(_attachment(entry) for entry in comment.get("attachments") or ()),
    )


def raw_payload(post: Post, item: Mapping[str, Any], fetched_at: datetime) -> RawPayload:
    """The item as VK sent it, minus a comment's embedded thread (those replies are stored on their own)."""
    payload = dict(item)
    if isinstance(payload.get("thread"), Mapping):
        payload["thread"] = {key: value for key, value in payload["thread"].items() if key != "items"}
    return RawPayload(
        platform=VK, source_id=post.source_id, item_key=post.key, fetched_at=fetched_at, payload=payload
    )


def wall_item_to_records(
    item: Mapping[str, Any], *, source_id: str, salt: str, fetched_at: datetime
) -> tuple[list[Post], list[RawPayload]]:
    """Posts and matching raw payloads of one wall item (the post, then its repost chain)."""
    posts = wall_item_to_posts(item, source_id=source_id, salt=salt)
    history = [entry for entry in item.get("copy_history") or () if "owner_id" in entry and "id" in entry]
    items = [item, *history]
    return posts, [raw_payload(post, entry, fetched_at) for post, entry in zip(posts, items, strict=True)]


def tombstone(
    owner_id: int, post_id: int, published_at: datetime, *, source_id: str, kind: PostKind = PostKind.POST
) -> Post:
    """A deleted post VK no longer returns at all: same key, ``is_deleted``, no content."""
    return Post(
        platform=VK,
        owner_id=str(owner_id),
        post_id=str(post_id),
        kind=kind,
        source_id=source_id,
        url=post_url(owner_id, post_id),
        text="",
        published_at=published_at,
        is_deleted=True,
    )


def comment_tombstone(
    owner_id: int, post_id: int, comment_id: int, published_at: datetime, *, source_id: str
) -> Post:
    """A comment VK no longer returns at all (no ``deleted`` placeholder either): same key, deleted."""
    return Post(
        platform=VK,
        owner_id=str(owner_id),
        post_id=str(comment_id),
        kind=PostKind.COMMENT,
        source_id=source_id,
        url=comment_url(owner_id, post_id, comment_id),
        text="",
        published_at=published_at,
        is_deleted=True,
        parent_key=vk_key(owner_id, post_id),
    )
