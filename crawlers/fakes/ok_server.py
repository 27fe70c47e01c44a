"""A local OK API (``/fb.do``) that speaks the real wire format and checks every signature.

Requests are form or query parameters with ``application_key``, ``method``, ``format``,
``access_token`` and ``sig``; answers are OK's JSON, HTTP 200 for errors too:
``{"error_code": 104, "error_msg": "PARAM_SIGNATURE : Invalid signature ...", "error_data": null}``.
The signature is recomputed here, independently of the client, from the registered
application's secret and the token: a wrong one is answered with 104, an unknown token
with 102 (session expired), an unknown application with 101.

Implemented methods: ``search.quick`` (``types=GROUP``), ``group.getInfo`` (``fields`` members_count,
city, shortname), ``group.getCounters`` (``counterTypes`` MEMBERS, THEMES),
``mediatopic.getTopics`` (newest first, opaque ``anchor`` paging, ``has_more``),
``mediatopic.getByIds`` and ``discussions.getComments`` (``GROUP_TOPIC``, oldest first, anchors;
a group answering as itself is ``author_type`` GROUP). The dataset can be changed while served
(add, edit and delete topics, add comments), and ``fail()`` scripts error codes per method.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from crawlers.fakes.local import LocalServer, ScriptedErrors

ERROR_MESSAGES = {
    1: "UNKNOWN : Unknown error",
    2: "SERVICE : Service temporary unavailable",
    3: "METHOD : Method does not exist",
    8: "FLOOD_BLOCKED : Flood blocked",
    10: "PERMISSION_DENIED : Permission denied",
    11: "LIMIT_REACHED : Limit reached",
    100: "PARAM : Missing required parameter",
    101: "PARAM_API_KEY : Application not exist",
    102: "PARAM_SESSION_EXPIRED : Session expired",
    104: "PARAM_SIGNATURE : Invalid signature",
    300: "NOT_FOUND : Requested resource not found",
    455: "GROUP_RESTRICTION : Group is closed or blocked",
}
MOSCOW = timezone(timedelta(hours=3))
TOPICS_CAP = 100
COMMENTS_CAP = 100
SEARCH_CAP = 100  # search.quick count limit


class OkApiError(Exception):
    def __init__(self, code: int, detail: str = "") -> None:
        message = ERROR_MESSAGES.get(code, "UNKNOWN : Unknown error")
        super().__init__(f"{message} {detail}".strip())
        self.code = code


@dataclass
class OkGroup:
    gid: str
    name: str
    description: str = ""
    topics: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # topic id -> oldest first
    deleted_comments: set[str] = field(default_factory=set)  # hidden from answers, anchors stay put
    closed: bool = False  # every call on this group answers 455
    members_count: int = 0
    city: str = ""  # group.getInfo ``city``: the city the group names as its own
    shortname: str = ""


class OkDataset:
    """Groups keyed by id; topic and comment ids are allocated like OK's (long numbers, base64 strings)."""

    def __init__(self) -> None:
        self.groups: dict[str, OkGroup] = {}
        self.lock = threading.RLock()
        self._next_topic = 155_000_000_000
        self._next_comment = 1

    def add_group(
        self,
        gid: str,
        name: str,
        description: str = "",
        *,
        members: int = 0,
        city: str = "",
        shortname: str = "",
    ) -> OkGroup:
        with self.lock:
            group = OkGroup(gid, name, description, members_count=members, city=city, shortname=shortname)
            self.groups[gid] = group
            return group

    def add_topic(
        self,
        gid: str,
        text: str,
        *,
        created: int | None = None,
        author: str | None = None,
        likes: int = 0,
        reshares: int = 0,
        link: str | None = None,
        pinned: bool = False,
    ) -> str:
        with self.lock:
            self._next_topic += 17
            topic_id = str(self._next_topic)
            media: list[dict[str, Any]] = [{"type": "text", "text": text}]
            if link:
                media.append({"type": "link", "url": link, "title": link})
            topic: dict[str, Any] = {
                "id": topic_id,
                "created_ms": int((created if created is not None else time.time()) * 1000),
                "media": media,
                "author_ref": author or f"group:{gid}",
                "owner_ref": f"group:{gid}",
                "discussion_summary": {"comments_count": 0},
                "like_summary": {"count": likes},
                "reshare_summary": {"count": reshares},
                "is_commenting_denied": False,
            }
            if pinned:
                topic["is_pinned"] = True
            self.groups[gid].topics[topic_id] = topic
            self.groups[gid].comments[topic_id] = []
            return topic_id

    def edit_topic(self, gid: str, topic_id: str, text: str) -> None:
        with self.lock:
            self.groups[gid].topics[topic_id]["media"][0]["text"] = text

    def delete_topic(self, gid: str, topic_id: str) -> None:
        with self.lock:
            del self.groups[gid].topics[topic_id]

    def add_comment(
        self,
        gid: str,
        topic_id: str,
        text: str,
        *,
        author_id: str = "",
        date: int | None = None,
        reply_to: str | None = None,
        likes: int = 0,
        as_group: bool = False,
    ) -> str:
        """A comment under a topic; ``as_group``: the group answers as itself (``author_type`` GROUP,
        ``author_id`` the group's id), as an administrator does on an official page."""
        with self.lock:
            group = self.groups[gid]
            comment_id = (
                base64.b64encode(f"MTC:{topic_id}:{self._next_comment}".encode()).decode().rstrip("=")
            )
            self._next_comment += 1
            moment = datetime.fromtimestamp(date if date is not None else time.time(), tz=UTC)
            comment: dict[str, Any] = {
                "id": comment_id,
                "date": moment.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M:%S"),
                "text": text,
                "author_id": gid if as_group else author_id,
                "author_type": "GROUP" if as_group else "USER",
                "like_count": likes,
            }
            if reply_to is not None:
                parent = next(item for item in group.comments[topic_id] if item["id"] == reply_to)
                comment["reply_to_comment_id"] = reply_to
                comment["reply_to_id"] = parent["author_id"]
            group.comments[topic_id].append(comment)
            visible = [c for c in group.comments[topic_id] if c["id"] not in group.deleted_comments]
            group.topics[topic_id]["discussion_summary"]["comments_count"] = len(visible)
            return comment_id

    def edit_comment(self, gid: str, topic_id: str, comment_id: str, text: str) -> None:
        with self.lock:
            next(c for c in self.groups[gid].comments[topic_id] if c["id"] == comment_id)["text"] = text

    def delete_comment(self, gid: str, topic_id: str, comment_id: str) -> None:
        """OK stops returning a deleted comment; the topic's comment count drops by one."""
        with self.lock:
            group = self.groups[gid]
            group.deleted_comments.add(comment_id)
            visible = [c for c in group.comments[topic_id] if c["id"] not in group.deleted_comments]
            group.topics[topic_id]["discussion_summary"]["comments_count"] = len(visible)


def _anchor(kind: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode()


def _position(anchor: str | None, kind: str) -> int | None:
    if not anchor:
        return None
    try:
        prefix, _, number = base64.urlsafe_b64decode(anchor.encode()).decode().partition(":")
    except ValueError:
        raise OkApiError(100, "anchor") from None
    if prefix != kind or not number.lstrip("-").isdigit():
        raise OkApiError(100, "anchor")
    return int(number)


@dataclass
class Call:
    method: str
    params: dict[str, str]
    error: int | None = None


class FakeOkServer(LocalServer):
    """The HTTP server; use ``serve_in_thread`` to start one on a free port of 127.0.0.1."""

    thread_name = "fake-ok"

    def __init__(
        self,
        dataset: OkDataset,
        *,
        applications: Mapping[str, str],
        tokens: Iterable[str],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.dataset = dataset
        self.applications = dict(applications)  # application_key -> application_secret_key
        self.tokens = set(tokens)
        self.calls: list[Call] = []
        self.raw_requests: list[str] = []  # request lines and bodies as received, for leak checks
        self._errors = ScriptedErrors()
        self._lock = threading.Lock()
        super().__init__(self._handler_class(), host, port)

    def fail(self, method: str, code: int, *, times: int = 1, after: int = 0) -> None:
        """Answer the next ``times`` calls of ``method`` with ``code``, after ``after`` good ones."""
        self._errors.add(method, code, times=times, after=after)

    def count(self, method: str | None = None, *, error: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for call in self.calls
                if (method is None or call.method == method) and (error is None or call.error == error)
            )

    # ------------------------------------------------------------------ dispatch

    def expected_sig(self, params: Mapping[str, str]) -> str:
        """OK's algorithm, written out again here so a client bug cannot cancel itself out."""
        secret = self.applications[params["application_key"]]
        token = params.get("access_token", "")
        session_secret = hashlib.md5((token + secret).encode("utf-8")).hexdigest()
        pairs = sorted((k, v) for k, v in params.items() if k not in ("sig", "access_token", "session_key"))
        return hashlib.md5(
            ("".join(f"{k}={v}" for k, v in pairs) + session_secret).encode("utf-8")
        ).hexdigest()

    def answer(self, params: dict[str, str]) -> Any:
        method = params.get("method", "")
        call = Call(method, {k: v for k, v in params.items() if k != "access_token"})
        try:
            self._admit(method, params)
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            if handler is None:
                raise OkApiError(3, method)
            with self.dataset.lock:
                body: Any = handler(params)
        except OkApiError as exc:
            call.error = exc.code
            body = {"error_code": exc.code, "error_msg": str(exc), "error_data": None}
        with self._lock:
            self.calls.append(call)
        return body

    def _admit(self, method: str, params: Mapping[str, str]) -> None:
        if params.get("application_key") not in self.applications:
            raise OkApiError(101)
        if params.get("access_token") not in self.tokens:
            raise OkApiError(102)
        if params.get("sig", "").lower() != self.expected_sig(params):
            raise OkApiError(104)
        code = self._errors.take(method)
        if code is not None:
            raise OkApiError(code)

    def _group(self, gid: str | None) -> OkGroup:
        if not gid:
            raise OkApiError(100, "gid")
        group = self.dataset.groups.get(gid)
        if group is None:
            raise OkApiError(300, f"group {gid}")
        if group.closed:
            raise OkApiError(455)
        return group

    # ------------------------------------------------------------------ methods

    def _m_group_getInfo(self, params: dict[str, str]) -> list[dict[str, Any]]:
        wanted = {f.strip().lower() for f in params.get("fields", "").split(",") if f.strip()}
        groups = []
        for gid in params.get("uids", "").split(","):
            group = self.dataset.groups.get(gid)
            if group is None:
                continue
            info: dict[str, Any] = {"uid": group.gid, "name": group.name, "description": group.description}
            extra = {"members_count": group.members_count, "city": group.city, "shortname": group.shortname}
            info.update({key: value for key, value in extra.items() if key in wanted and value})
            groups.append(info)
        return groups

    def _m_group_getCounters(self, params: dict[str, str]) -> dict[str, Any]:
        """``{"counters": {"members": N, "themes": M}}`` for the requested ``counterTypes``."""
        group = self._group(params.get("group_id"))
        wanted = {t.strip().upper() for t in params.get("counterTypes", "").split(",") if t.strip()}
        if not wanted:
            raise OkApiError(100, "counterTypes")
        known = {"MEMBERS": ("members", group.members_count), "THEMES": ("themes", len(group.topics))}
        return {"counters": dict(known[name] for name in sorted(wanted) if name in known)}

    def _m_search_quick(self, params: dict[str, str]) -> dict[str, Any]:
        """Groups whose name or description has every query word (6-letter stems); ``types=GROUP`` only."""
        query = params.get("query", "")
        if not query:
            raise OkApiError(100, "query")
        if "GROUP" not in params.get("types", "").upper().split(","):
            return {"found": [], "entities": {}}
        count = min(max(1, int(params.get("count") or 20)), SEARCH_CAP)
        words = [word[:6] for word in re.findall(r"\w+", query.casefold())]
        hits = [
            group
            for group in self.dataset.groups.values()
            if all(word in f"{group.name} {group.description}".casefold() for word in words)
        ]
        hits.sort(key=lambda group: -group.members_count)
        hits = hits[:count]
        return {
            "found": [{"entity_type": "GROUP", "entity_id": group.gid} for group in hits],
            "entities": {"groups": [{"uid": group.gid, "name": group.name} for group in hits]},
        }

    def _m_mediatopic_getTopics(self, params: dict[str, str]) -> dict[str, Any]:
        group = self._group(params.get("gid"))
        count = min(max(1, int(params.get("count") or 20)), TOPICS_CAP)
        ordered = sorted(
            group.topics.values(), key=lambda t: (not t.get("is_pinned"), -t["created_ms"], -int(t["id"]))
        )
        start = _position(params.get("anchor"), "topics")
        if start is None:
            start = 0
        chunk = ordered[start : start + count]
        end = start + len(chunk)
        return {"media_topics": chunk, "anchor": _anchor("topics", end), "has_more": end < len(ordered)}

    def _m_mediatopic_getByIds(self, params: dict[str, str]) -> dict[str, Any]:
        ids = [topic_id for topic_id in params.get("topic_ids", "").split(",") if topic_id]
        if not ids:
            raise OkApiError(100, "topic_ids")
        found = []
        for topic_id in ids:
            for group in self.dataset.groups.values():
                if topic_id in group.topics:
                    found.append(group.topics[topic_id])
        return {"media_topics": found}

    def _m_discussions_getComments(self, params: dict[str, str]) -> dict[str, Any]:
        if params.get("entityType") != "GROUP_TOPIC" or not params.get("entityId"):
            raise OkApiError(100, "entityType/entityId")
        topic_id = params["entityId"]
        group = next((g for g in self.dataset.groups.values() if topic_id in g.comments), None)
        if group is None or topic_id not in group.topics:
            raise OkApiError(300, f"topic {topic_id}")
        comments = group.comments[topic_id]
        count = min(max(1, int(params.get("count") or 20)), COMMENTS_CAP)
        end = _position(params.get("anchor"), "comments") or 0
        chunk: list[dict[str, Any]] = []
        while end < len(comments) and len(chunk) < count:  # an anchor is a place in the discussion,
            if comments[end]["id"] not in group.deleted_comments:  # so deletions shift nothing
                chunk.append(comments[end])
            end += 1
        more = any(c["id"] not in group.deleted_comments for c in comments[end:])
        return {"comments": chunk, "anchor": _anchor("comments", end), "has_more": more}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                self._dispatch(body)

            def do_GET(self) -> None:
                self._dispatch("")

            def _dispatch(self, body: str) -> None:
                parts = urlsplit(self.path)
                with server._lock:
                    server.raw_requests.append(f"{self.path}\n{body}")
                if parts.path not in ("/fb.do", "/api/fb.do"):
                    self._send(404, {"error": "not found"})
                    return
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                self._send(200, server.answer(params))

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def serve_in_thread(
    dataset: OkDataset,
    *,
    applications: Mapping[str, str],
    tokens: Iterable[str],
    host: str = "127.0.0.1",
    port: int = 0,
) -> FakeOkServer:
    """Start the fake in a daemon thread.

    >>> with serve_in_thread(dataset, applications={"CBAKEY": "SECRET"}, tokens=["tkn"]) as server:
    ...     settings = Settings(ok_api_url=server.url, ok_application_key="CBAKEY", ...)
    """
    return FakeOkServer(dataset, applications=applications, tokens=tokens, host=host, port=port).start()
