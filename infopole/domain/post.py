"""The one canonical model of a post or comment, whatever platform it came from.

Crawlers convert platform payloads into ``Post`` at the edge; nothing downstream sees a
vk_api dict or a Telethon object. ``key`` is the identity used everywhere (storage,
index ``_id``, incidents), so re-crawling the same post is idempotent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    VK = "vk"
    OK = "ok"
    TELEGRAM = "telegram"


class PostKind(StrEnum):
    POST = "post"
    COMMENT = "comment"
    REPOST = "repost"  # a post quoted inside another (VK copy_history), stored as its own post


@dataclass(frozen=True, slots=True)
class Metrics:
    """Reach counters as the platform reported them at ``fetched_at`` of the crawl."""

    likes: int = 0
    reposts: int = 0
    views: int = 0
    comments: int = 0

    @property
    def reach(self) -> int:
        return self.views or (self.likes + self.reposts + self.comments)


@dataclass(frozen=True, slots=True)
class Geo:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # photo, video, link, doc, poll, ...
    url: str = ""
    title: str = ""


def utc(moment: datetime) -> datetime:
    """Every stored time is aware UTC: naive datetimes are a bug in the caller."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} — pass an aware datetime")
    return moment.astimezone(UTC)


def post_key(platform: Platform | str, owner_id: str, post_id: str) -> str:
    return f"{Platform(platform).value}:{owner_id}:{post_id}"


@dataclass(frozen=True, slots=True)
class Post:
    """A public post, comment or repost.

    ``owner_id`` is the wall, group or channel the item lives on; ``post_id`` is unique
    within it (VK comments share the id space of their wall). ``parent_key`` links a
    comment to the post it is under and ``reply_to_key`` to the comment it answers;
    ``copy_of_key`` links a repost to the original.
    """

    platform: Platform
    owner_id: str
    post_id: str
    text: str
    published_at: datetime
    kind: PostKind = PostKind.POST
    source_id: str = ""  # the configured source that found it
    url: str = ""
    title: str = ""
    author_id: str = ""  # pseudonym, see ``pseudonymise``; never a raw platform id
    author_is_community: bool = False
    parent_key: str | None = None
    reply_to_key: str | None = None
    copy_of_key: str | None = None
    edited_at: datetime | None = None
    is_deleted: bool = False
    is_pinned: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    geo: Geo | None = None
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "platform", Platform(self.platform))
        object.__setattr__(self, "kind", PostKind(self.kind))
        object.__setattr__(self, "published_at", utc(self.published_at))
        if self.edited_at is not None:
            object.__setattr__(self, "edited_at", utc(self.edited_at))
        if not self.owner_id or not self.post_id:
            raise ValueError("a post needs owner_id and post_id")

    @property
    def key(self) -> str:
        return post_key(self.platform, self.owner_id, self.post_id)

    @property
    def content_hash(self) -> str:
        """What makes a new revision: the text, title and deletion mark, not the counters."""
        digest = hashlib.sha256()
        digest.update(f"{self.title}\x00{self.text}\x00{int(self.is_deleted)}".encode())
        return digest.hexdigest()[:32]

    def with_(self, **changes: Any) -> Post:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["platform"] = self.platform.value
        data["kind"] = self.kind.value
        data["published_at"] = self.published_at.isoformat()
        data["edited_at"] = self.edited_at.isoformat() if self.edited_at else None
        data["attachments"] = [asdict(item) for item in self.attachments]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Post:
        data = dict(data)
        data["published_at"] = datetime.fromisoformat(data["published_at"])
        if data.get("edited_at"):
            data["edited_at"] = datetime.fromisoformat(data["edited_at"])
        data["metrics"] = Metrics(**(data.get("metrics") or {}))
        data["geo"] = Geo(**data["geo"]) if data.get("geo") else None
        data["attachments"] = tuple(Attachment(**item) for item in data.get("attachments") or ())
        return cls(**data)


def pseudonymise(platform: Platform | str, raw_author_id: str | int, salt: str) -> str:
    """A stable pseudonym for an author: the same person keeps one id, the id reveals nobody.

    The salt is per installation (a secret), so pseudonyms cannot be joined across МЦУ.
    """
    if raw_author_id in ("", None):
        return ""
    digest = hashlib.blake2b(
        f"{Platform(platform).value}:{raw_author_id}".encode(), key=salt.encode()[:64], digest_size=8
    )
    return f"{Platform(platform).value}-{digest.hexdigest()}"


@dataclass(frozen=True, slots=True)
class RawPayload:
    """A platform's own record of an item, kept (without tokens) so analysis can be re-run."""

    platform: Platform
    source_id: str
    item_key: str
    fetched_at: datetime
    payload: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "platform", Platform(self.platform))
        object.__setattr__(self, "fetched_at", utc(self.fetched_at))

    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=True)
