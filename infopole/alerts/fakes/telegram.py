"""A local fake of the Telegram Bot API: ``sendMessage``, ``answerCallbackQuery``, ``getUpdates``.

It checks requests the way the real API does (the token in the path, ``chat_id`` and
``text`` present, a known ``parse_mode`` whose HTML the API would accept, ``reply_markup``
as serialized JSON with ``callback_data`` of at most 64 bytes) and answers in the API's
envelope (``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description"}``).
``press()`` makes a user tap an inline button: the next ``getUpdates`` returns the callback query.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from infopole.alerts.fakes.http import LocalHttp

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "blockquote",
}
TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def html_problem(text: str) -> str | None:
    """What Telegram would say about this HTML, or None if it parses."""
    stack: list[str] = []
    for match in TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if name not in ALLOWED_TAGS:
            return f'Bad Request: can\'t parse entities: Unsupported start tag "{name}"'
        if closing:
            if not stack or stack.pop() != name:
                return f'Bad Request: can\'t parse entities: Unmatched end tag "{name}"'
        else:
            stack.append(name)
    if stack:
        name = stack[-1]
        return f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{name}\""
    stripped = TAG.sub("", text)
    if (
        "<" in stripped
        or ">" in stripped
        or re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", stripped)
    ):
        return "Bad Request: can't parse entities: unescaped character"
    return None


@dataclass
class SentMessage:
    message_id: int
    chat_id: str
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    at: float = field(default_factory=time.time)  # wall clock when the API accepted it (for latency)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]


@dataclass
class FakeTelegram:
    token: str
    sent: list[SentMessage] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: list[tuple[int, str, int | None]] = field(
        default_factory=list
    )  # queued (code, description, retry_after)
    known_chats: set[str] | None = None  # None: every chat exists
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _next_update: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._http = LocalHttp(self._route)
        self.url = self._http.url

    def __enter__(self) -> FakeTelegram:
        self._http.start()
        return self

    def __exit__(
        self, *_exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        self._http.stop()

    # --- test controls --------------------------------------------------------------------

    def fail_next(
        self, code: int, description: str = "Too Many Requests", retry_after: int | None = None
    ) -> None:
        self.failures.append((code, description, retry_after))

    def press(
        self, message: SentMessage, button: int = 0, user_id: int = 777, username: str = "kurator"
    ) -> None:
        with self._lock:
            self._updates.append(
                {
                    "update_id": self._next_update,
                    "callback_query": {
                        "id": f"cq{self._next_update}",
                        "from": {
                            "id": user_id,
                            "is_bot": False,
                            "first_name": "Куратор",
                            "username": username,
                        },
                        "message": {"message_id": message.message_id, "chat": {"id": int(message.chat_id)}},
                        "chat_instance": "1",
                        "data": message.buttons[button]["callback_data"],
                    },
                }
            )
            self._next_update += 1

    # --- the API ----------------------------------------------------------------------------

    def _route(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
        if not match:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if match.group(1) != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if "application/json" not in headers.get("content-type", ""):
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: expected JSON"}
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"}
        method = match.group(2)
        with self._lock:
            self.requests.append((method, payload))
            if method == "sendMessage" and self.failures:
                code, description, retry_after = self.failures.pop(0)
                error: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
                if retry_after is not None:
                    error["parameters"] = {"retry_after": retry_after}
                return code, error
            handler = {
                "sendMessage": self._send_message,
                "answerCallbackQuery": self._answer,
                "getUpdates": self._get_updates,
            }.get(method)
            if handler is None:
                return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            return handler(payload)

    def _bad(self, description: str) -> tuple[int, Any]:
        return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}

    def _send_message(self, payload: dict[str, Any]) -> tuple[int, Any]:
        chat_id, text = payload.get("chat_id"), payload.get("text")
        if chat_id in (None, ""):
            return self._bad("chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return self._bad("message text is empty")
        if len(text) > 4096:
            return self._bad("message is too long")
        if self.known_chats is not None and str(chat_id) not in self.known_chats:
            return self._bad("chat not found")
        parse_mode = payload.get("parse_mode")
        if parse_mode not in (None, "HTML", "MarkdownV2", "Markdown"):
            return self._bad(f"unsupported parse_mode {parse_mode}")
        if parse_mode == "HTML" and (problem := html_problem(text)):
            return 400, {"ok": False, "error_code": 400, "description": problem}
        markup = payload.get("reply_markup")
        if markup is not None:
            try:
                markup = json.loads(markup) if isinstance(markup, str) else markup
                buttons = [b for row in markup["inline_keyboard"] for b in row]
            except (ValueError, KeyError, TypeError):
                return self._bad("can't parse reply keyboard markup JSON object")
            for button in buttons:
                if not button.get("text") or len(button.get("callback_data", "").encode()) > 64:
                    return self._bad("BUTTON_DATA_INVALID")
        message = SentMessage(len(self.sent) + 1, str(chat_id), text, parse_mode, markup)
        self.sent.append(message)
        result = {"message_id": message.message_id, "chat": {"id": int(chat_id)}, "date": 0, "text": text}
        return 200, {"ok": True, "result": result}

    def _answer(self, payload: dict[str, Any]) -> tuple[int, Any]:
        if not payload.get("callback_query_id"):
            return self._bad("query is too old and response timeout expired or query ID is invalid")
        self.answers.append(payload)
        return 200, {"ok": True, "result": True}

    def _get_updates(self, payload: dict[str, Any]) -> tuple[int, Any]:
        offset = payload.get("offset")
        if offset is not None:  # confirmed updates are forgotten, as on the real server
            self._updates = [u for u in self._updates if u["update_id"] >= int(offset)]
        return 200, {"ok": True, "result": list(self._updates)}
