"""Telegram Bot API: ``sendMessage`` in HTML parse mode with a «Принято» button, and the acks back.

HTML rather than MarkdownV2: MarkdownV2 needs eighteen characters escaped everywhere (a
stray «.» or «-» in a resident's text breaks the message), HTML only ``< > &``.
The base URL is configurable so tests and the demo talk to a local fake of the API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from infopole.alerts.ack import ack_callback_data, parse_ack_callback
from infopole.alerts.notifiers.base import DeliveryError, Message

MAX_TEXT = 4096
ACK_LABEL = "Принято"


class TelegramBot:
    """The few Bot API methods alerts need, over one ``httpx.Client``."""

    def __init__(
        self, base_url: str, token: str, *, timeout: float = 20.0, client: httpx.Client | None = None
    ) -> None:
        self.base = f"{base_url.rstrip('/')}/bot{token}"
        self.client = client or httpx.Client(timeout=timeout)

    def call(self, method: str, payload: dict[str, Any]) -> Any:
        try:
            response = self.client.post(f"{self.base}/{method}", json=payload)
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"Telegram недоступен: {type(error).__name__}"
            ) from error  # no URL: it holds the token
        try:
            data = response.json()
        except ValueError as error:
            raise DeliveryError(f"Telegram: HTTP {response.status_code}, ответ не JSON") from error
        if data.get("ok"):
            return data.get("result")
        code = int(data.get("error_code") or response.status_code)
        retry_after = (data.get("parameters") or {}).get("retry_after")
        retryable = code == 429 or code >= 500
        raise DeliveryError(
            f"Telegram {code}: {data.get('description', '')}", retryable=retryable, retry_after=retry_after
        )

    def close(self) -> None:
        self.client.close()


class TelegramNotifier:
    def __init__(self, bot: TelegramBot, ack_secret: bytes) -> None:
        self.bot = bot
        self.ack_secret = ack_secret

    def send(self, message: Message) -> str:
        text = message.telegram_html
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        payload: dict[str, Any] = {
            "chat_id": message.address,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if message.ack_alert_ids:
            buttons = [
                [
                    {
                        "text": ACK_LABEL if len(message.ack_alert_ids) == 1 else f"{ACK_LABEL} №{alert_id}",
                        "callback_data": ack_callback_data(alert_id, self.ack_secret),
                    }
                ]
                for alert_id in message.ack_alert_ids[:10]
            ]
            payload["reply_markup"] = json.dumps({"inline_keyboard": buttons}, ensure_ascii=False)
        result = self.bot.call("sendMessage", payload)
        return str(result.get("message_id", "")) if isinstance(result, dict) else ""


Acknowledge = Callable[[int, str], bool]  # (alert id, who) -> acknowledged now?


class TelegramAcks:
    """Reads «Принято» presses with ``getUpdates`` and acknowledges the alerts.

    The offset is kept in memory: Telegram forgets updates confirmed by a higher offset, and
    on a restart the unconfirmed ones come again, which is harmless as acknowledging is idempotent.
    Presses from chats that are not recipients are answered but ignored.
    """

    def __init__(self, bot: TelegramBot, ack_secret: bytes, allowed_chats: set[str]) -> None:
        self.bot = bot
        self.ack_secret = ack_secret
        self.allowed_chats = allowed_chats
        self.offset: int | None = None

    def poll(self, acknowledge: Acknowledge, timeout: int = 0) -> int:
        payload: dict[str, Any] = {"timeout": timeout, "allowed_updates": ["callback_query"]}
        if self.offset is not None:
            payload["offset"] = self.offset
        done = 0
        for update in self.bot.call("getUpdates", payload) or []:
            self.offset = int(update["update_id"]) + 1
            query = update.get("callback_query")
            if not query:
                continue
            alert_id = parse_ack_callback(str(query.get("data", "")), self.ack_secret)
            chat = str(((query.get("message") or {}).get("chat") or {}).get("id", ""))
            user = query.get("from") or {}
            answer = "Не удалось подтвердить"
            if alert_id is not None and chat in self.allowed_chats:
                who = f"telegram:{user.get('username') or user.get('id', '')}"
                answer = "Принято" if acknowledge(alert_id, who) else "Уже подтверждено"
                done += 1
            self.bot.call("answerCallbackQuery", {"callback_query_id": query["id"], "text": answer})
        return done
