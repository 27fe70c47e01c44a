"""A local t.me web preview: ``GET /s/<channel>[?before=<id>]`` answered with the real page structure.

The real ``https://t.me/s/<channel>`` page lists the newest ~20 posts of a public channel,
oldest first, inside ``section.tgme_channel_history``; a «Load more» link
(``a.tme_messages_more[data-before]``) and ``<link rel="prev" href="/s/<channel>?before=<id>">``
lead to the older page. A channel without a preview (private, deleted, a user) redirects
to ``/<channel>``, which is a plain profile page. This fake renders exactly those shapes
(``tgme_widget_message_wrap`` → ``tgme_widget_message[data-post]`` → ``_bubble`` →
``_text`` and ``_footer`` with ``_views`` and ``_meta`` holding «edited» and
``time[datetime]``), so the collector and the spider parse it as they parse t.me.

Channels are mutable while served (add, edit, delete posts, change views), and
``throttle()`` makes the next N requests answer ``429 Too Many Requests`` with a
``Retry-After`` header, as t.me does to an impolite client.
"""

from __future__ import annotations

import html
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawlers.fakes.local import LocalServer

PAGE_SIZE = 20  # what t.me/s shows per page
_URL = re.compile(r"https?://[^\s<>\"]+")
_EMOJI = re.compile("([\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55])")


@dataclass
class PreviewMessage:
    """One channel post as the preview knows it."""

    id: int
    text: str
    date: int  # unix seconds
    views: int = 0
    edited: bool = False
    reply_to: int | None = None
    forwarded_from: tuple[str, int, str] | None = None  # (channel, post id, title)
    photo: str | None = None
    service: bool = False


@dataclass
class PreviewChannel:
    name: str
    title: str
    description: str = ""
    subscribers: int = 0
    messages: dict[int, PreviewMessage] = field(default_factory=dict)
    next_id: int = 1


class PreviewDataset:
    """Public channels keyed by username (lower case); safe to change while served."""

    def __init__(self) -> None:
        self.channels: dict[str, PreviewChannel] = {}
        self.lock = threading.RLock()

    def add_channel(
        self, name: str, title: str, *, description: str = "", subscribers: int = 0, first_id: int = 1
    ) -> PreviewChannel:
        with self.lock:
            channel = PreviewChannel(name.lower(), title, description, subscribers, next_id=first_id)
            self.channels[channel.name] = channel
            return channel

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        date: int | None = None,
        views: int = 0,
        reply_to: int | None = None,
        forwarded_from: tuple[str, int, str] | None = None,
        photo: str | None = None,
        service: bool = False,
    ) -> int:
        with self.lock:
            chan = self.channels[channel]
            message_id = chan.next_id
            chan.next_id += 1
            chan.messages[message_id] = PreviewMessage(
                id=message_id,
                text=text,
                date=int(date if date is not None else time.time()),
                views=views,
                reply_to=reply_to,
                forwarded_from=forwarded_from,
                photo=photo,
                service=service,
            )
            return message_id

    def edit_message(self, channel: str, message_id: int, text: str) -> None:
        with self.lock:
            message = self.channels[channel].messages[message_id]
            message.text = text
            message.edited = True

    def delete_message(self, channel: str, message_id: int) -> None:
        with self.lock:
            del self.channels[channel].messages[message_id]

    def set_views(self, channel: str, message_id: int, views: int) -> None:
        with self.lock:
            self.channels[channel].messages[message_id].views = views


# ---------------------------------------------------------------------------------- rendering


def format_count(value: int) -> str:
    """Views the way t.me prints them: 912, 1.2K, 15K, 3M."""
    for limit, suffix in ((1_000_000, "M"), (1_000, "K")):
        if value >= limit:
            number = value / limit
            text = f"{number:.1f}" if number < 10 else f"{int(number)}"
            return text.removesuffix(".0") + suffix
    return str(value)


def render_text(text: str) -> str:
    """Plain text → the preview's markup: links, emoji images with the character inside, ``<br/>``."""
    out: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        out.append(_emoji(html.escape(text[position : match.start()])))
        url = match.group(0)
        out.append(
            f'<a href="{html.escape(url)}" target="_blank" rel="noopener" '
            f"onclick=\"return confirm('Open this link?\\n\\n'+this.href);\">{html.escape(url)}</a>"
        )
        position = match.end()
    out.append(_emoji(html.escape(text[position:])))
    return "".join(out).replace("\n", "<br/>")


def _emoji(escaped: str) -> str:
    def image(match: re.Match[str]) -> str:
        char = match.group(1)
        code = char.encode("utf-8").hex().upper()
        style = f"background-image:url('//telegram.org/img/emoji/40/{code}.png')"
        return f'<i class="emoji" style="{style}"><b>{char}</b></i>'

    return _EMOJI.sub(image, escaped)


def render_message(channel: PreviewChannel, message: PreviewMessage) -> str:
    name, when = channel.name, datetime.fromtimestamp(message.date, tz=UTC)
    link = f"https://t.me/{name}/{message.id}"
    if message.service:
        return (
            '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            '<div class="tgme_widget_message service_message js-widget_message" '
            f'data-post="{name}/{message.id}">'
            '<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_service_date_wrap">'
            f'<div class="tgme_widget_message_text js-message_text">{html.escape(message.text)}</div>'
            f'</div><time datetime="{when.isoformat()}" class="time">{when:%H:%M}</time></div></div></div>'
        )
    parts = [
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">',
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{name}/'
        f'{message.id}" data-view="eyJjIjotMTAwMTIzNCwicCI6MTIzNH0">',
        f'<div class="tgme_widget_message_user"><a href="https://t.me/{name}"><i class="tgme_widget_message_'
        f'user_photo bgcolor2" data-content="{html.escape(channel.title[:1])}"></i></a></div>',
        '<div class="tgme_widget_message_bubble"><i class="tgme_widget_message_bubble_tail"></i>',
        f'<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
        f'href="https://t.me/{name}"><span dir="auto">{html.escape(channel.title)}</span></a></div>',
    ]
    if message.forwarded_from is not None:
        source, source_id, title = message.forwarded_from
        parts.append(
            '<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from '
            f'<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/{source}/{source_id}">'
            f'<span dir="auto">{html.escape(title)}</span></a></div>'
        )
    if message.reply_to is not None:
        quoted = channel.messages.get(message.reply_to)
        parts.append(
            f'<a class="tgme_widget_message_reply" href="https://t.me/{name}/{message.reply_to}">'
            '<div class="tgme_widget_message_author accent_color">'
            f'<span class="tgme_widget_message_author_name" dir="auto">{html.escape(channel.title)}</span>'
            '</div><div class="tgme_widget_message_metatext js-message_reply_text" dir="auto">'
            f"{html.escape(quoted.text[:60] if quoted else '')}</div></a>"
        )
    if message.photo:
        parts.append(
            f'<a class="tgme_widget_message_photo_wrap blured" href="{link}" '
            f"style=\"width:800px;background-image:url('{html.escape(message.photo)}')\">"
            '<div class="tgme_widget_message_photo" style="padding-top:75%"></div></a>'
        )
    if message.text:
        parts.append(
            '<div class="tgme_widget_message_text js-message_text" dir="auto">'
            f"{render_text(message.text)}</div>"
        )
    edited = "edited " if message.edited else ""
    parts += [
        '<div class="tgme_widget_message_footer compact js-message_footer">',
        '<div class="tgme_widget_message_info short js-message_info">',
        f'<span class="tgme_widget_message_views">{format_count(message.views)}</span>'
        f'<span class="copyonclick" data-copy="{link}"></span>',
        f'<span class="tgme_widget_message_meta">{edited}<a class="tgme_widget_message_date" href="{link}">'
        f'<time datetime="{when.isoformat()}" class="time">{when:%H:%M}</time></a></span>',
        "</div></div></div></div></div>",
    ]
    return "".join(parts)


def render_page(channel: PreviewChannel, messages: list[PreviewMessage], before: int | None) -> str:
    """A whole t.me/s page: head with ``link rel=prev``, the channel card, the history section."""
    name = html.escape(channel.name)
    title = html.escape(channel.title)
    prev = f'<link rel="prev" href="/s/{name}?before={before}">' if before else ""
    more = (
        '<div class="tgme_widget_message_centered js-messages_more_wrap">'
        f'<a href="/s/{name}?before={before}" class="tme_messages_more js-messages_more" '
        f'data-before="{before}"></a></div>'
        if before
        else ""
    )
    body = "\n".join(render_message(channel, message) for message in messages)
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{title} – Telegram</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <meta property="og:title" content="{title}">
    <meta property="og:description" content="{html.escape(channel.description)}">
    <link rel="canonical" href="https://t.me/s/{name}"/>
    {prev}
  </head>
  <body class="widget_frame_base tgme_webpreview_body emoji_image nodesktop">
    <header class="tgme_header search_collapsed"><div class="tgme_header_search"></div></header>
    <main class="tgme_main">
      <div class="tgme_container">
        <section class="tgme_right_column">
          <div class="tgme_channel_info">
            <div class="tgme_channel_info_header"><div class="tgme_channel_info_header_title">
              <span dir="auto">{title}</span></div>
              <div class="tgme_channel_info_header_username"><a href="https://t.me/{name}">@{name}</a></div>
            </div>
            <div class="tgme_channel_info_description">{render_text(channel.description)}</div>
            <div class="tgme_channel_info_counters"><div class="tgme_channel_info_counter">
              <span class="counter_value">{format_count(channel.subscribers)}</span>
              <span class="counter_type">subscribers</span></div></div>
          </div>
        </section>
        <section class="tgme_channel_history js-message_history">
          {more}
{body}
        </section>
      </div>
    </main>
  </body>
</html>
"""


def render_profile(name: str) -> str:
    """What ``t.me/<name>`` shows when there is no public preview: no history section."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: Contact @'
        f'{html.escape(name)}</title></head><body class="no_transition"><div class="tgme_page_wrap">'
        '<div class="tgme_page"><div class="tgme_page_title"><span dir="auto">Telegram</span></div>'
        '<div class="tgme_page_description">If you have <strong>Telegram</strong>, you can contact '
        f"@{html.escape(name)} right away.</div></div></div></body></html>"
    )


# ---------------------------------------------------------------------------------- the server


@dataclass
class Hit:
    path: str
    status: int
    at: float


class FakeTelegramPreview(LocalServer):
    """The HTTP server; use ``serve_in_thread`` to start one on a free port of 127.0.0.1."""

    thread_name = "fake-tme"

    def __init__(
        self, dataset: PreviewDataset, *, page_size: int = PAGE_SIZE, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.dataset = dataset
        self.page_size = page_size
        self.hits: list[Hit] = []
        self._throttle: list[int] = []  # Retry-After seconds for each of the next throttled requests
        self._lock = threading.Lock()
        super().__init__(self._handler_class(), host, port)

    def throttle(self, times: int = 1, *, retry_after: int = 1) -> None:
        """Answer the next ``times`` requests with 429 and ``Retry-After: <retry_after>``."""
        with self._lock:
            self._throttle += [retry_after] * times

    def count(self, status: int | None = None) -> int:
        with self._lock:
            return sum(1 for hit in self.hits if status is None or hit.status == status)

    def respond(self, path: str) -> tuple[int, dict[str, str], str]:
        """Status, headers and body for one GET (public so a test can render a page without HTTP)."""
        with self._lock:
            if self._throttle:
                retry_after = self._throttle.pop(0)
                return 429, {"Retry-After": str(retry_after)}, "Too Many Requests"
        parts = urlsplit(path)
        segments = [segment for segment in parts.path.split("/") if segment]
        query = parse_qs(parts.query)
        with self.dataset.lock:
            if len(segments) == 2 and segments[0] == "s":
                channel = self.dataset.channels.get(segments[1].lower())
                if channel is None:
                    return 302, {"Location": f"/{segments[1]}"}, ""
                before = _int(query.get("before"))
                return 200, {}, self._page(channel, before)
            if len(segments) == 1:
                return 200, {}, render_profile(segments[0])
        return 404, {}, "Not Found"

    def _page(self, channel: PreviewChannel, before: int | None) -> str:
        ids = sorted(message_id for message_id in channel.messages if before is None or message_id < before)
        shown = ids[-self.page_size :]
        older = shown[0] if shown and shown[0] > min(channel.messages) else None
        return render_page(channel, [channel.messages[message_id] for message_id in shown], older)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, headers, body = server.respond(self.path)
                with server._lock:
                    server.hits.append(Hit(self.path, status, time.monotonic()))
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _int(values: list[str] | None) -> int | None:
    return int(values[0]) if values and values[0].isdigit() else None


def serve_in_thread(
    dataset: PreviewDataset, *, page_size: int = PAGE_SIZE, host: str = "127.0.0.1", port: int = 0
) -> FakeTelegramPreview:
    """Start the fake in a daemon thread.

    >>> with serve_in_thread(dataset) as server:
    ...     settings = Settings(telegram_preview_url=server.url)
    """
    return FakeTelegramPreview(dataset, page_size=page_size, host=host, port=port).start()
