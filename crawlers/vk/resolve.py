"""VK wall targets as administrators write them → the numeric owner id the API wants.

A source's ``target`` may be an owner id (``-12345``: a community, ``12345``: a person), a
reserved address (``club123``, ``public123``, ``event123`` → ``-123``; ``id123`` → ``123``),
a screen name (``kingisepp_adm``) or a link to any of them (``https://vk.com/kingisepp_adm``,
``vk.ru/club123``, ``m.vk.com/…``). Ids and reserved addresses are read without a request;
screen names are resolved once per process with ``utils.resolveScreenName`` and cached
(the wall collector also keeps the answer in its cursor, so other processes need not ask).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

from crawlers.base import BadRequest, SourceUnavailable
from crawlers.vk.client import VkClient

_HOSTS = re.compile(r"^(?:https?://)?(?:www\.|m\.)?vk\.(?:com|ru)/", re.IGNORECASE)
_NUMERIC = re.compile(r"^-?[0-9]+$")
_COMMUNITY = re.compile(r"^(?:club|public|event)([0-9]+)$")
_PERSON = re.compile(r"^id([0-9]+)$")
_SCREEN_NAME = re.compile(r"^[A-Za-z0-9_.]{2,64}$")
COMMUNITY_TYPES = frozenset({"group", "page", "event"})


def parse_target(target: str) -> int | str:
    """The owner id if ``target`` names one outright, else the screen name to resolve."""
    text = _HOSTS.sub("", target.strip()).split("?", 1)[0].split("#", 1)[0].strip("/").lstrip("@")
    if _NUMERIC.match(text):
        return int(text)
    if match := _COMMUNITY.match(text):
        return -int(match.group(1))
    if match := _PERSON.match(text):
        return int(match.group(1))
    if "/" in text or not _SCREEN_NAME.match(text):
        raise ValueError(f"not a VK wall: {target!r} (expected an owner id, a screen name or a vk.com link)")
    return text.lower()


def owner_from_resolved(screen_name: str, answer: object) -> int:
    """``utils.resolveScreenName``'s answer → owner id; an unknown name is an unavailable source."""
    if not isinstance(answer, Mapping) or not answer.get("object_id"):
        # VK answers an empty list for a name nobody holds
        raise SourceUnavailable(f"VK screen name {screen_name!r} does not exist", code=104)
    kind, object_id = str(answer.get("type") or ""), int(answer["object_id"])
    if kind in COMMUNITY_TYPES:
        return -object_id
    if kind == "user":
        return object_id
    raise SourceUnavailable(f"VK screen name {screen_name!r} is a {kind or 'thing'}, not a wall", code=104)


class ScreenNameResolver:
    """Owner ids of targets, resolving screen names through the API once per process."""

    def __init__(self, client: VkClient) -> None:
        self.client = client
        self._cache: dict[str, int] = {}
        self._lock = threading.Lock()

    def remember(self, screen_name: str, owner_id: int) -> None:
        with self._lock:
            self._cache[screen_name] = owner_id

    def owner_id(self, target: str) -> int:
        parsed = parse_target(target)
        if isinstance(parsed, int):
            return parsed
        with self._lock:
            cached = self._cache.get(parsed)
        if cached is not None:
            return cached
        try:
            answer = self.client.call("utils.resolveScreenName", screen_name=parsed)
        except BadRequest as exc:
            if exc.code == 104:  # "Not found", as the schema allows
                raise SourceUnavailable(f"VK screen name {parsed!r} does not exist", code=104) from None
            raise
        owner_id = owner_from_resolved(parsed, answer)
        self.remember(parsed, owner_id)
        return owner_id
