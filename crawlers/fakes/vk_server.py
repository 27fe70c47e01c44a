"""A local VK API that speaks the real wire format, so the real ``vk_api`` library runs in tests.

``POST /method/<name>`` with form parameters (``access_token``, ``v``, ...) is answered
with ``{"response": ...}`` or ``{"error": {"error_code", "error_msg", "request_params"}}``,
exactly as api.vk.ru does, HTTP 200 in both cases. It implements what the crawlers use:
``wall.get``, ``wall.getById``, ``wall.getComments`` (threads, ``start_comment_id``),
``newsfeed.search`` (the 1,000-result cap, ``start_from``/``next_from``),
``groups.search`` and ``groups.getById`` (description, members_count, city),
``utils.resolveScreenName`` and ``execute``
(the ``return [API.m({...}), ...];`` subset of VKScript), with VK's real count caps, a token
check (error 5), per-token throttling (error 6 beyond N requests per second) and scripted errors for tests.

The data is a ``VkDataset`` of walls keyed by owner id. It can be changed while the server
runs (add, edit and delete posts and comments) to test incremental crawls. The shapes
follow ``shared/data/vk_api_schema`` (``wall_wallpost_full``, ``wall_wall_comment``).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from crawlers.fakes.local import LocalServer, ScriptedErrors

DEMO_DATA = Path(__file__).parent / "data" / "kingisepp_vk.json"

ERROR_MESSAGES = {
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    9: "Flood control",
    10: "Internal server error",
    14: "Captcha needed",
    15: "Access denied: this wall available only for community members",
    18: "User was deleted or banned",
    29: "Rate limit reached",
    30: "This profile is private",
    12: "Unable to compile code",
    13: "Runtime error occurred during code invocation",
    100: "One of the parameters specified was missing or invalid",
    203: "Access to group denied: access to the group is denied",
    212: "Access to post comments denied",
}
EXECUTE_CAP = 25  # API calls one execute may make
GROUPS_SEARCH_CAP = 1000  # groups.search count limit
SEARCH_CAP = 1000  # newsfeed.search never returns more than this many results for one query
GEO_RADIUS_KM = 5.0  # the fake's notion of "near" for a newsfeed.search by coordinates


class VkApiError(Exception):
    """Raised inside the fake to answer ``{"error": ...}``."""

    def __init__(self, code: int, detail: str = "") -> None:
        message = ERROR_MESSAGES.get(code, "Unknown error")
        super().__init__(f"{message}: {detail}" if detail else message)
        self.code = code


@dataclass
class Wall:
    """One community or user wall: posts and comments in VK's shared id space."""

    owner_id: int
    name: str
    screen_name: str
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # comment id -> item
    next_id: int = 1
    access_error: int | None = None  # answer every call on this wall with this VK error code
    members_count: int | None = None  # groups.getById ``fields=members_count``; None: not exposed
    description: str = ""  # groups.getById ``fields=description``
    city: str | None = None  # groups.getById ``fields=city``: the city the community names
    is_closed: int = 0  # 0 open, 1 closed, 2 private (groups.search and groups.getById show it)
    kind: str = "group"  # groups.search ``type``: group or page

    def allocate_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def comments_of(self, post_id: int) -> list[dict[str, Any]]:
        return sorted(
            (item for item in self.comments.values() if item["post_id"] == post_id), key=lambda c: c["id"]
        )


class VkDataset:
    """Walls keyed by owner id, plus posts only ``newsfeed.search`` finds; safe to change while served.

    Items are stored in VK's wire shape. ``date`` values are unix seconds; the mutators
    default to the current time, like a resident posting during the test.
    """

    def __init__(self, walls: Iterable[Wall] = (), search_items: Iterable[dict[str, Any]] = ()) -> None:
        self.walls: dict[int, Wall] = {wall.owner_id: wall for wall in walls}
        self.search_items: list[dict[str, Any]] = list(search_items)
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ building and changing

    def add_wall(self, owner_id: int, name: str, screen_name: str = "", *, first_id: int = 1) -> Wall:
        with self.lock:
            wall = Wall(owner_id, name, screen_name or f"club{abs(owner_id)}", next_id=first_id)
            self.walls[owner_id] = wall
            return wall

    def add_post(
        self,
        owner_id: int,
        text: str,
        *,
        date: int | None = None,
        from_id: int | None = None,
        likes: int = 0,
        reposts: int = 0,
        views: int = 0,
        is_pinned: bool = False,
        geo: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        copy_history: list[dict[str, Any]] | None = None,
    ) -> int:
        with self.lock:
            wall = self.walls[owner_id]
            post_id = wall.allocate_id()
            item: dict[str, Any] = {
                "inner_type": "wall_wallpost",
                "id": post_id,
                "owner_id": owner_id,
                "from_id": from_id if from_id is not None else owner_id,
                "date": int(date if date is not None else time.time()),
                "post_type": "post",
                "text": text,
                "attachments": attachments or [],
                "post_source": {"type": "vk"},
                "likes": {"count": likes, "user_likes": 0, "can_like": 1, "can_publish": 1},
                "reposts": {"count": reposts, "wall_count": reposts, "mail_count": 0, "user_reposted": 0},
                "views": {"count": views},
                "hash": f"h{abs(owner_id)}x{post_id}",
            }
            if is_pinned:
                item["is_pinned"] = 1
            if geo:
                item["geo"] = {"type": "point", "coordinates": geo, "showmap": 1}
            if copy_history:
                item["copy_history"] = copy_history
            wall.posts[post_id] = item
            return post_id

    def edit_post(self, owner_id: int, post_id: int, text: str, *, at: int | None = None) -> None:
        with self.lock:
            item = self.walls[owner_id].posts[post_id]
            item["text"] = text
            item["edited"] = int(at if at is not None else time.time())

    def delete_post(self, owner_id: int, post_id: int) -> None:
        with self.lock:
            self.walls[owner_id].posts[post_id]["is_deleted"] = True

    def set_counters(self, owner_id: int, post_id: int, **counts: int) -> None:
        """Change ``likes``, ``reposts`` or ``views`` of a post."""
        with self.lock:
            item = self.walls[owner_id].posts[post_id]
            for name, value in counts.items():
                item[name]["count"] = value

    def add_comment(
        self,
        owner_id: int,
        post_id: int,
        text: str,
        *,
        from_id: int,
        reply_to: int | None = None,
        date: int | None = None,
        likes: int = 0,
    ) -> int:
        """A comment under ``post_id``; ``reply_to`` (a comment id) makes it a thread reply."""
        with self.lock:
            wall = self.walls[owner_id]
            if post_id not in wall.posts:
                raise KeyError(post_id)
            comment_id = wall.allocate_id()
            item: dict[str, Any] = {
                "id": comment_id,
                "from_id": from_id,
                "post_id": post_id,
                "owner_id": owner_id,
                "parents_stack": [],
                "date": int(date if date is not None else time.time()),
                "text": text,
                "likes": {"count": likes, "user_likes": 0, "can_like": 1},
            }
            if reply_to is not None:
                parent = wall.comments[reply_to]
                head = parent["parents_stack"][0] if parent["parents_stack"] else parent["id"]
                item["parents_stack"] = [head]
                if reply_to != head:  # an answer to a reply names it; an answer to the head does not need to
                    item["reply_to_comment"] = reply_to
                    item["reply_to_user"] = parent["from_id"]
                else:
                    item["reply_to_user"] = parent["from_id"]
            wall.comments[comment_id] = item
            return comment_id

    def edit_comment(self, owner_id: int, comment_id: int, text: str) -> None:
        with self.lock:
            self.walls[owner_id].comments[comment_id]["text"] = text

    def delete_comment(self, owner_id: int, comment_id: int, *, placeholder: bool | None = None) -> None:
        """Delete a comment as VK does: a comment others answered stays as a ``deleted`` placeholder
        (no text, no author) so its thread still hangs together; any other comment just disappears.
        ``placeholder`` forces one way or the other."""
        with self.lock:
            wall = self.walls[owner_id]
            if placeholder is None:
                placeholder = any(comment_id in c["parents_stack"] for c in wall.comments.values())
            if placeholder:
                wall.comments[comment_id].update(deleted=True, text="", from_id=0, attachments=[])
            else:
                del wall.comments[comment_id]

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, now: datetime | None = None) -> VkDataset:
        """Build from the relative-time format of ``data/kingisepp_vk.json``.

        Times are ``ago`` strings ("2d3h15m") before ``now``, so the demo always looks fresh.
        Ids are given in chronological order per wall, comments interleaved with posts,
        as VK does.
        """
        moment = now or datetime.now(UTC)
        dataset = cls()
        registry: dict[tuple[int, int], int] = {}  # (owner id, index in its "posts") -> post id
        reposts: list[tuple[int, int, tuple[int, int]]] = []  # (owner id, post index, reposted key)
        for spec in data.get("walls", ()):
            owner_id = int(spec["owner_id"])
            wall = dataset.add_wall(owner_id, spec["name"], spec.get("screen_name", ""), first_id=1)
            wall.next_id = int(spec.get("first_id", 1000))
            events: list[tuple[int, int, Callable[[], None]]] = []
            for order, post in enumerate(spec.get("posts", ())):
                events.extend(_post_events(dataset, wall, post, moment, order, registry))
                if post.get("repost_of"):
                    target_owner, target_index = post["repost_of"]
                    reposts.append((owner_id, order, (int(target_owner), int(target_index))))
            for _date, _order, action in sorted(events, key=lambda event: (event[0], event[1])):
                action()
            if spec.get("access_error"):
                wall.access_error = int(spec["access_error"])
            wall.description = str(spec.get("description", ""))
            wall.city = spec.get("city")
            wall.is_closed = int(spec.get("is_closed", 0))
            wall.kind = str(spec.get("type", "group"))
            if spec.get("members") is not None:
                wall.members_count = int(spec["members"])
        for owner_id, order, target in reposts:  # "repost_of": [owner id, index] of a post in the data
            original = dataset.walls[target[0]].posts[registry[target]]
            quoted = {
                key: value for key, value in original.items() if key not in ("likes", "reposts", "views")
            }
            quoted.pop("is_pinned", None)
            dataset.walls[owner_id].posts[registry[(owner_id, order)]]["copy_history"] = [quoted]
        for order, item in enumerate(data.get("search", ())):
            date = _ago(moment, item["ago"])
            dataset.search_items.append(
                {
                    "inner_type": "wall_wallpost",
                    "id": int(item.get("id", 500 + order)),
                    "owner_id": int(item["owner_id"]),
                    "from_id": int(item.get("from", item["owner_id"])),
                    "date": date,
                    "post_type": "post",
                    "text": item["text"],
                    "likes": {"count": int(item.get("likes", 0)), "user_likes": 0, "can_like": 1},
                    "reposts": {"count": int(item.get("reposts", 0)), "user_reposted": 0},
                    "views": {"count": int(item.get("views", 0))},
                    "comments": {"count": 0, "can_post": 1},
                    **({"geo": {"type": "point", "coordinates": item["geo"]}} if item.get("geo") else {}),
                }
            )
        return dataset

    @classmethod
    def demo(cls, *, now: datetime | None = None) -> VkDataset:
        """The demo information field of Кингисеппский район."""
        return cls.from_json(json.loads(DEMO_DATA.read_text(encoding="utf-8")), now=now)

    # ------------------------------------------------------------------ wire views

    def wall_for(self, owner_id: Any = None, domain: Any = None) -> Wall:
        if owner_id not in (None, ""):
            wall = self.walls.get(int(owner_id))
        else:
            wall = next((w for w in self.walls.values() if w.screen_name == domain), None)
        if wall is None:
            raise VkApiError(100, "owner_id is undefined")
        if wall.access_error:
            raise VkApiError(wall.access_error)
        return wall

    def post_view(self, wall: Wall, item: dict[str, Any]) -> dict[str, Any]:
        view = json.loads(json.dumps(item))
        count = sum(1 for c in wall.comments.values() if c["post_id"] == item["id"] and not c.get("deleted"))
        view["comments"] = {"count": count, "can_post": 1, "groups_can_post": True, "can_view": 1}
        if view.get("is_deleted"):
            view = {
                "id": item["id"],
                "owner_id": item["owner_id"],
                "date": item["date"],
                "is_deleted": True,
                "deleted_reason": "Запись удалена",
                "deleted_details": "",
                "text": "",
            }
        return view


@dataclass
class Call:
    """One request the fake answered, without its token (tests inspect these, and print them on failure)."""

    method: str
    params: dict[str, str]
    at: float
    error: int | None = None
    inner: bool = False  # made by an ``execute`` script, not a request of its own


def _ago(now: datetime, text: str) -> int:
    match = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?", text.strip())
    if not match or not text.strip():
        raise ValueError(f"bad 'ago' value {text!r}: use like '2d3h15m'")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return int((now - timedelta(days=days, hours=hours, minutes=minutes)).timestamp())


def _post_events(
    dataset: VkDataset,
    wall: Wall,
    post: Mapping[str, Any],
    now: datetime,
    order: int,
    registry: dict[tuple[int, int], int],
) -> list[tuple[int, int, Callable[[], None]]]:
    """Posting a post and its comments, as timed events so ids follow time across the wall."""
    date = _ago(now, post["ago"])
    ids: dict[str, int] = {}
    author = post.get("from", "community")
    events: list[tuple[int, int, Callable[[], None]]] = []

    def publish() -> None:
        ids["post"] = dataset.add_post(
            wall.owner_id,
            post["text"],
            date=date,
            from_id=wall.owner_id if author == "community" else int(author),
            likes=int(post.get("likes", 0)),
            reposts=int(post.get("reposts", 0)),
            views=int(post.get("views", 0)),
            is_pinned=bool(post.get("pinned")),
            geo=post.get("geo"),
            attachments=[
                _attachment(spec, wall.owner_id, n) for n, spec in enumerate(post.get("attachments", ()))
            ],
            copy_history=[_history(spec, now) for spec in post.get("copy_history", ())] or None,
        )
        registry[(wall.owner_id, order)] = ids["post"]
        if post.get("edited"):
            dataset.edit_post(wall.owner_id, ids["post"], post["text"], at=_ago(now, post["edited"]))

    events.append((date, order, publish))
    last = date
    for n, comment in enumerate(post.get("comments", ())):
        when = max(_ago(now, comment["ago"]), last + 60)
        last = when
        key = f"c{n}"

        def add(comment: Mapping[str, Any] = comment, when: int = when, key: str = key) -> None:
            ids[key] = dataset.add_comment(
                wall.owner_id,
                ids["post"],
                comment["text"],
                from_id=_author(comment, wall.owner_id),
                date=when,
                likes=int(comment.get("likes", 0)),
            )
            if comment.get("deleted"):
                dataset.delete_comment(wall.owner_id, ids[key])

        events.append((when, order, add))
        for m, reply in enumerate(comment.get("replies", ())):
            reply_when = max(_ago(now, reply["ago"]), last + 60)
            last = reply_when
            target = f"c{n}r{reply['to']}" if "to" in reply else key

            def answer(
                reply: Mapping[str, Any] = reply,
                when: int = reply_when,
                target: str = target,
                mine: str = f"c{n}r{m}",
            ) -> None:
                ids[mine] = dataset.add_comment(
                    wall.owner_id,
                    ids["post"],
                    reply["text"],
                    from_id=_author(reply, wall.owner_id),
                    reply_to=ids[target],
                    date=when,
                    likes=int(reply.get("likes", 0)),
                )

            events.append((reply_when, order, answer))
    return events


def _author(spec: Mapping[str, Any], owner_id: int) -> int:
    author = spec.get("from", 1)
    return owner_id if author == "community" else int(author)


def _attachment(spec: Mapping[str, Any], owner_id: int, n: int) -> dict[str, Any]:
    kind = spec.get("type", "photo")
    media_id = 457239000 + n
    if kind == "photo":
        body: dict[str, Any] = {
            "id": media_id,
            "owner_id": owner_id,
            "text": spec.get("title", ""),
            "sizes": [
                {
                    "type": "m",
                    "width": 130,
                    "height": 97,
                    "url": f"https://sun9-1.userapi.com/m{media_id}.jpg",
                },
                {
                    "type": "x",
                    "width": 604,
                    "height": 453,
                    "url": f"https://sun9-1.userapi.com/x{media_id}.jpg",
                },
            ],
        }
    elif kind == "video":
        body = {"id": media_id, "owner_id": owner_id, "title": spec.get("title", "")}
    elif kind == "link":
        body = {"url": spec.get("url", "https://kingisepp.ru/"), "title": spec.get("title", "")}
    elif kind == "poll":
        body = {"id": media_id, "owner_id": owner_id, "question": spec.get("title", "")}
    else:
        body = {"id": media_id, "owner_id": owner_id, "title": spec.get("title", "")}
    return {"type": kind, kind: body}


def _history(spec: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    owner_id = int(spec["owner_id"])
    return {
        "inner_type": "wall_wallpost",
        "id": int(spec["id"]),
        "owner_id": owner_id,
        "from_id": int(spec.get("from", owner_id)),
        "date": _ago(now, spec["ago"]),
        "post_type": "post",
        "text": spec["text"],
        "attachments": [],
        "post_source": {"type": "vk"},
    }


def _stem_match(query: str, text: str) -> bool:
    """Every query word, cut to a 6-letter stem, occurs in the text: a crude stand-in for VK's morphology."""
    words = re.findall(r"\w+", query.casefold())
    haystack = text.casefold()
    return all(word[:6] in haystack for word in words)


_API_CALL = re.compile(r"\s*API\.([a-zA-Z]+\.[a-zA-Z]+)\(")


def parse_vkscript(code: str) -> list[tuple[str, dict[str, str]]]:
    """The calls of ``return [API.m({...}), ...];``; any other VKScript is error 12, as VK's compiler says.

    Parameter values come back as the strings a form POST would carry (booleans 1/0).
    """
    body = re.fullmatch(r"\s*return\s*\[(.*)\]\s*;?\s*", code, re.DOTALL)
    if body is None:
        raise VkApiError(12, "only 'return [API.method({...}), ...];' is understood here")
    text, position, calls = body.group(1), 0, []
    decoder = json.JSONDecoder()
    while position < len(text.strip()):
        match = _API_CALL.match(text, position)
        if match is None:
            raise VkApiError(12, f"syntax error at {position}")
        try:
            params, end = decoder.raw_decode(text, match.end())
        except json.JSONDecodeError:
            raise VkApiError(12, f"bad argument of API.{match.group(1)}") from None
        if not isinstance(params, dict):
            raise VkApiError(12, f"API.{match.group(1)} takes an object")
        closing = re.compile(r"\s*\)\s*(,|$)").match(text, end)
        if closing is None:
            raise VkApiError(12, f"syntax error at {end}")
        position = closing.end()
        calls.append((match.group(1), {key: _form(value) for key, value in params.items()}))
    return calls


def _form(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _city_id(title: str) -> int:
    """A stable made-up VK city id for a title (the fake has no city database)."""
    return 1000 + sum(ord(ch) for ch in title) % 90000


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    value = params.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise VkApiError(100, f"{name} not integer") from None


class FakeVkServer(LocalServer):
    """The HTTP server; use ``serve_in_thread`` to start one on a free port of 127.0.0.1."""

    thread_name = "fake-vk"

    def __init__(
        self,
        dataset: VkDataset,
        *,
        tokens: Iterable[str] = ("test-token",),
        rps_limit: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.dataset = dataset
        self.tokens = set(tokens)
        self.rps_limit = rps_limit
        self.calls: list[Call] = []
        self._errors = ScriptedErrors()
        self._arrivals: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        super().__init__(self._handler_class(), host, port)

    # ------------------------------------------------------------------ test controls

    def fail(self, method: str, code: int, *, times: int = 1, after: int = 0) -> None:
        """Answer the next ``times`` calls of ``method`` with ``code``, after ``after`` good ones."""
        self._errors.add(method, code, times=times, after=after)

    def count(self, method: str | None = None, *, error: int | None = None) -> int:
        """Calls of ``method``, those made inside ``execute`` included; without a method: HTTP requests."""
        with self._lock:
            return sum(
                1
                for call in self.calls
                if (call.method == method if method is not None else not call.inner)
                and (error is None or call.error == error)
            )

    # ------------------------------------------------------------------ dispatch

    def answer(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        """The JSON body for one call (public so a test can check a shape without HTTP)."""
        token = params.pop("access_token", "")
        now = time.monotonic()
        call = Call(method=method, params=dict(params), at=now)
        try:
            self._admit(token, method, now)
            if method == "execute":
                return self._execute(params, call)
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            if handler is None:
                raise VkApiError(3, "Unknown method passed")
            with self.dataset.lock:
                result = handler(params)
            body: dict[str, Any] = {"response": result}
        except VkApiError as exc:
            call.error = exc.code
            body = {"error": self._error(exc, method, params)}
        with self._lock:
            self.calls.append(call)
        return body

    def _admit(self, token: str, method: str, now: float) -> None:
        with self._lock:
            if token not in self.tokens:
                raise VkApiError(5)
            if self.rps_limit is not None:
                arrivals = self._arrivals[token]
                while arrivals and arrivals[0] <= now - 1.0:
                    arrivals.popleft()
                if len(arrivals) >= self.rps_limit:
                    raise VkApiError(6)
                arrivals.append(now)
            self._scripted_error(method)

    def _scripted_error(self, method: str) -> None:
        """Raise the error scripted with ``fail`` for this call of ``method``, if any."""
        code = self._errors.take(method)
        if code is not None:
            raise VkApiError(code)

    # ------------------------------------------------------------------ execute

    def _execute(self, params: dict[str, str], call: Call) -> dict[str, Any]:
        """``execute`` for the VKScript subset ``return [API.m({...}), ...];`` (at most 25 calls).

        Like VK: a failed call is ``false`` in ``response`` and its error goes to
        ``execute_errors``; the request itself succeeds. Each inner call is recorded.
        """
        calls = parse_vkscript(params.get("code", ""))
        if len(calls) > EXECUTE_CAP:
            raise VkApiError(13, f"too many API calls in execute ({len(calls)} > {EXECUTE_CAP})")
        answers: list[Any] = []
        errors: list[dict[str, Any]] = []
        inner_calls: list[Call] = []
        for method, inner_params in calls:
            inner = Call(method=method, params=inner_params, at=call.at, inner=True)
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            try:
                if handler is None or method == "execute":
                    raise VkApiError(3, "Unknown method passed")
                with self._lock:
                    self._scripted_error(method)
                with self.dataset.lock:
                    answers.append(handler(dict(inner_params)))
            except VkApiError as exc:
                inner.error = exc.code
                answers.append(False)
                errors.append({"method": method, "error_code": exc.code, "error_msg": str(exc)})
            inner_calls.append(inner)
        with self._lock:
            self.calls.append(call)
            self.calls.extend(inner_calls)
        body: dict[str, Any] = {"response": answers}
        if errors:
            body["execute_errors"] = errors
        return body

    @staticmethod
    def _error(exc: VkApiError, method: str, params: Mapping[str, str]) -> dict[str, Any]:
        # like VK: the request is echoed back, without access_token
        request_params = [
            {"key": "method", "value": method},
            {"key": "oauth", "value": "1"},
            *({"key": key, "value": value} for key, value in params.items()),
        ]
        error: dict[str, Any] = {
            "error_code": exc.code,
            "error_msg": str(exc),
            "request_params": request_params,
        }
        if exc.code == 14:
            error.update(captcha_sid="239111", captcha_img="https://api.vk.ru/captcha.php?sid=239111")
        return error

    # ------------------------------------------------------------------ methods

    def _m_wall_get(self, params: dict[str, str]) -> dict[str, Any]:
        wall = self.dataset.wall_for(params.get("owner_id"), params.get("domain"))
        offset = max(0, _int(params, "offset", 0))
        count = min(max(0, _int(params, "count", 20)), 100)
        visible = [item for item in wall.posts.values() if not item.get("is_deleted")]
        visible.sort(key=lambda item: (not item.get("is_pinned"), -item["date"], -item["id"]))
        return {
            "count": len(visible),
            "items": [self.dataset.post_view(wall, item) for item in visible[offset : offset + count]],
        }

    def _m_wall_getById(self, params: dict[str, str]) -> dict[str, Any]:
        items = []
        for ref in filter(None, params.get("posts", "").split(",")):
            try:
                owner, post = (int(part) for part in ref.split("_"))
            except ValueError:
                raise VkApiError(100, "posts is invalid") from None
            wall = self.dataset.walls.get(owner)
            if wall is None or wall.access_error or post not in wall.posts:
                continue
            items.append(self.dataset.post_view(wall, wall.posts[post]))
        return {"items": items}

    def _m_wall_getComments(self, params: dict[str, str]) -> dict[str, Any]:
        wall = self.dataset.wall_for(params.get("owner_id"))
        post_id = _int(params, "post_id", 0)
        post = wall.posts.get(post_id)
        if post is None or post.get("is_deleted"):
            raise VkApiError(100, "post_id is invalid")
        if post.get("comments_closed"):
            raise VkApiError(212)
        count = min(max(0, _int(params, "count", 10)), 100)
        offset = max(0, _int(params, "offset", 0))
        thread_items = min(max(0, _int(params, "thread_items_count", 0)), 10)
        need_likes = params.get("need_likes") == "1"
        comment_id = _int(params, "comment_id", 0)
        everything = wall.comments_of(post_id)
        if comment_id:
            level = [c for c in everything if c["parents_stack"][:1] == [comment_id]]
        else:
            level = [c for c in everything if not c["parents_stack"]]
        if params.get("sort") == "desc":
            level.reverse()
        start = _int(params, "start_comment_id", 0)
        if start:
            ascending = params.get("sort") != "desc"
            first = next(
                (n for n, c in enumerate(level) if (c["id"] >= start if ascending else c["id"] <= start)),
                len(level),
            )
            level = level[first:]
        page = level[offset : offset + count]

        def view(comment: dict[str, Any]) -> dict[str, Any]:
            item = json.loads(json.dumps(comment))
            if not need_likes:
                item.pop("likes", None)
            return item

        items = []
        for comment in page:
            item = view(comment)
            if not comment_id:
                replies = [c for c in everything if c["parents_stack"][:1] == [comment["id"]]]
                item["thread"] = {
                    "count": len(replies),
                    "items": [view(reply) for reply in replies[:thread_items]],
                    "can_post": True,
                    "show_reply_button": True,
                    "groups_can_post": True,
                }
            items.append(item)
        current_level = len(
            [c for c in everything if c["parents_stack"][:1] == ([comment_id] if comment_id else [])]
        )
        return {
            "count": len(everything) if not comment_id else current_level,
            "items": items,
            "current_level_count": current_level,
            "can_post": True,
            "show_reply_button": True,
            "groups_can_post": True,
        }

    def _m_newsfeed_search(self, params: dict[str, str]) -> dict[str, Any]:
        now = int(time.time())
        query = params.get("q", "")
        start_time = _int(params, "start_time", now - 86400)
        end_time = _int(params, "end_time", now)
        count = min(max(0, _int(params, "count", 30)), 200)
        offset = _int(params, "start_from", 0) if params.get("start_from") else 0
        lat, lon = params.get("latitude"), params.get("longitude")
        found = []
        candidates: list[tuple[Wall | None, dict[str, Any]]] = [
            (wall, item)
            for wall in self.dataset.walls.values()
            if not wall.access_error
            for item in wall.posts.values()
        ]
        candidates += [(None, item) for item in self.dataset.search_items]
        for wall, item in candidates:
            if item.get("is_deleted") or not (start_time <= item["date"] <= end_time):
                continue
            if query and not _stem_match(query, item.get("text", "")):
                continue
            if lat and lon:
                coordinates = (item.get("geo") or {}).get("coordinates", "")
                if not coordinates:
                    continue
                plat, plon = (float(part) for part in coordinates.split()[:2])
                if _distance_km(float(lat), float(lon), plat, plon) > GEO_RADIUS_KM:
                    continue
            found.append(self.dataset.post_view(wall, item) if wall else json.loads(json.dumps(item)))
        found.sort(key=lambda item: (-item["date"], -item["owner_id"], -item["id"]))
        reachable = found[:SEARCH_CAP]
        page = reachable[offset : offset + count]
        body: dict[str, Any] = {"items": page, "count": len(reachable), "total_count": len(found)}
        if offset + count < len(reachable):
            body["next_from"] = str(offset + count)
        return body

    def _m_groups_getById(self, params: dict[str, str]) -> dict[str, Any]:
        fields = set(filter(None, params.get("fields", "").split(",")))
        groups = []
        for ref in filter(None, (params.get("group_ids") or params.get("group_id", "")).split(",")):
            wall = next(
                (w for w in self.dataset.walls.values() if str(-w.owner_id) == ref or w.screen_name == ref),
                None,
            )
            if wall is not None:
                groups.append(self._group_view(wall))
                if "members_count" in fields and wall.members_count is not None:
                    groups[-1]["members_count"] = wall.members_count
                if "description" in fields:
                    groups[-1]["description"] = wall.description
                if "city" in fields and wall.city:
                    groups[-1]["city"] = {"id": _city_id(wall.city), "title": wall.city}
        return {"groups": groups, "profiles": []}

    def _m_utils_resolveScreenName(self, params: dict[str, str]) -> Any:
        """``{"object_id": 123, "type": "group"}`` (``utils_domain_resolved``); ``[]`` for a name nobody
        holds, as VK answers (not an error). Reserved names (``club123``, ``id123``) resolve too."""
        name = params.get("screen_name", "").strip().lower()
        if not name:
            raise VkApiError(100, "screen_name is undefined")
        for wall in self.dataset.walls.values():
            reserved = f"club{-wall.owner_id}" if wall.owner_id < 0 else f"id{wall.owner_id}"
            if name in (wall.screen_name.lower(), reserved):
                kind = wall.kind if wall.owner_id < 0 else "user"
                return {"object_id": abs(wall.owner_id), "type": kind}
        return []

    def _m_groups_search(self, params: dict[str, str]) -> dict[str, Any]:
        """Communities whose name has every query word (6-letter stems), the biggest first, like VK."""
        query = params.get("q", "")
        if not query:
            raise VkApiError(100, "q is undefined")
        kind = params.get("type", "")
        if kind and kind not in ("group", "page", "event"):
            raise VkApiError(100, "type is invalid")
        count = min(max(0, _int(params, "count", 20)), GROUPS_SEARCH_CAP)
        offset = max(0, _int(params, "offset", 0))
        hits = [
            wall
            for wall in self.dataset.walls.values()
            if wall.owner_id < 0 and _stem_match(query, wall.name) and (not kind or kind == wall.kind)
        ]
        hits.sort(key=lambda wall: (-(wall.members_count or 0), wall.owner_id))
        return {"count": len(hits), "items": [self._group_view(w) for w in hits[offset : offset + count]]}

    @staticmethod
    def _group_view(wall: Wall) -> dict[str, Any]:
        return {
            "id": -wall.owner_id,
            "name": wall.name,
            "screen_name": wall.screen_name,
            "is_closed": wall.is_closed,
            "type": wall.kind,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as requests.Session expects

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                self._dispatch(body)

            def do_GET(self) -> None:
                self._dispatch("")

            def _dispatch(self, body: str) -> None:
                parts = urlsplit(self.path)
                if not parts.path.startswith("/method/"):
                    self._send(404, {"error": "not found"})
                    return
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                self._send(200, server.answer(parts.path[len("/method/") :], params))

            def _send(self, status: int, payload: Mapping[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                # silent: the request line never has the token, but tests should not be noisy either
                pass

        return Handler


def serve_in_thread(
    dataset: VkDataset | None = None,
    *,
    tokens: Iterable[str] = ("test-token",),
    rps_limit: float | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> FakeVkServer:
    """Start the fake in a daemon thread; ``None`` serves the Кингисепп demo data.

    >>> with serve_in_thread(VkDataset.demo(), tokens=["demo"]) as server:
    ...     settings = Settings(vk_api_url=server.url, vk_token="demo")
    """
    server = FakeVkServer(
        dataset if dataset is not None else VkDataset.demo(),
        tokens=tokens,
        rps_limit=rps_limit,
        host=host,
        port=port,
    )
    return server.start()
