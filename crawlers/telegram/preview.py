"""t.me/s/<channel> web preview pages → the canonical ``Post``.

Pure functions of a Scrapy response (or ``Selector``), shared by the Scrapy spider
(``crawlers.telegram.spider``) and the in-process collector
(``crawlers.telegram.preview_collector``), so both read a page exactly the same way and
the tests need nothing but saved pages.

What the preview shows, and how it maps:

* ``div.tgme_widget_message[data-post="<channel>/<id>"]``: one channel post; service
  messages (``service_message``: "channel created", pinned notices) are skipped;
* the post's own ``.tgme_widget_message_text`` (a direct child of the bubble: a reply
  block quotes the other post's text in a nested one), with ``<br>`` as newlines and
  emoji and link texts kept as text;
* ``time[datetime]`` in the footer: the publication time, UTC;
* ``.tgme_widget_message_views``: «912», «1.2K», «3M» → an integer;
* the word «edited» in ``.tgme_widget_message_meta``: the preview says *that* a post was
  edited, not *when*, so ``edited_at`` is the time the page was fetched, an upper bound;
* ``a.tgme_widget_message_reply`` and ``.tgme_widget_message_forwarded_from_name``:
  links to the answered post (``reply_to_key``) and the forwarded original (``copy_of_key``);
* ``link[rel=prev]`` / ``a.tme_messages_more[data-before]``: the next, older page.

Posts are keyed by the channel username in lower case (``telegram:<channel>:<id>``), the
same key the Telethon collector uses, so the two paths store one post once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from parsel import Selector
from scrapy.http import TextResponse

from infopole.domain.post import Attachment, Metrics, Platform, Post, RawPayload, post_key, pseudonymise

TELEGRAM = Platform.TELEGRAM
TELEGRAM_WEB = "https://t.me"
EDITED_MARKERS = ("edited", "изменено")  # the English page t.me serves by default; a Russian locale
_SUFFIXES = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_COUNT = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([KMB]?)\s*$", re.IGNORECASE)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def channel_name(target: str) -> str:
    """A source target (``@name``, ``name``, ``https://t.me/name``, ``t.me/s/name``) → ``name``."""
    name = target.strip()
    for prefix in ("https://", "http://"):
        name = name.removeprefix(prefix)
    name = name.removeprefix("t.me/").removeprefix("s/").lstrip("@").strip("/")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,}", name):
        raise ValueError(f"not a public Telegram channel username: {target!r}")
    return name.lower()


def post_url(channel: str, message_id: int | str) -> str:
    return f"{TELEGRAM_WEB}/{channel}/{message_id}"


def parse_count(text: str | None) -> int:
    """Views as the preview prints them: «912» → 912, «1.2K» → 1200, «3M» → 3000000, «» → 0."""
    if not text:
        return 0
    match = _COUNT.match(text.replace("\xa0", ""))
    if match is None:
        raise ValueError(f"unreadable counter {text!r}")
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"unreadable counter {text!r}") from None
    return int(number * _SUFFIXES[match.group(2).upper()])


@dataclass(frozen=True)
class PreviewPage:
    """One page of a channel's preview: its posts (oldest first, as on the page) and the paging."""

    channel: str
    posts: tuple[Post, ...] = ()
    raw: tuple[RawPayload, ...] = ()
    ids: tuple[int, ...] = ()  # every message id on the page, service messages included
    before: int | None = None  # the next, older page is ``?before=<before>``; None: this is the oldest
    is_channel: bool = True  # False: t.me showed no preview (private, deleted, or not a channel)

    @property
    def lowest_id(self) -> int | None:
        return min(self.ids) if self.ids else None

    @property
    def highest_id(self) -> int | None:
        return max(self.ids) if self.ids else None


def message_text(node: Selector) -> str:
    """The text of a ``.tgme_widget_message_text``: ``<br>`` → newline, emoji and link texts kept."""
    html = _BR.sub("\n", node.get())
    text = Selector(text=html).xpath("string(/html/body/*[1])").get() or ""
    return text.replace("\xa0", " ").strip()


def _message_ref(href: str | None) -> tuple[str, int] | None:
    """``https://t.me/<channel>/<id>`` (or ``/s/…``, ``?single``) → (channel, id)."""
    if not href:
        return None
    parts = [part for part in urlsplit(href).path.split("/") if part]
    if parts and parts[0] == "s":
        parts = parts[1:]
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    return parts[0].lower(), int(parts[1])


def _before(selector: Selector) -> int | None:
    more = selector.css("a.tme_messages_more::attr(data-before)").get()
    if more and more.isdigit():
        return int(more)
    for href in selector.css('link[rel="prev"]::attr(href)').getall():
        values = parse_qs(urlsplit(href).query).get("before")
        if values and values[0].isdigit():
            return int(values[0])
    return None


def _attachments(message: Selector) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for href in message.css("a.tgme_widget_message_photo_wrap::attr(href)").getall():
        found.append(Attachment(kind="photo", url=href))
    for href in message.css("a.tgme_widget_message_video_player::attr(href)").getall():
        found.append(Attachment(kind="video", url=href))
    for link in message.css("a.tgme_widget_message_link_preview"):
        title = link.css(".link_preview_title::text").get() or link.css(".link_preview_site_name::text").get()
        found.append(Attachment(kind="link", url=link.attrib.get("href", ""), title=(title or "").strip()))
    for doc in message.css("a.tgme_widget_message_document_wrap"):
        title = doc.css(".tgme_widget_message_document_title::text").get() or ""
        found.append(Attachment(kind="doc", url=doc.attrib.get("href", ""), title=title.strip()))
    if message.css(".tgme_widget_message_poll"):
        question = message.css(".tgme_widget_message_poll_question::text").get() or ""
        found.append(Attachment(kind="poll", title=question.strip()))
    return tuple(found)


def parse_message(
    message: Selector, *, source_id: str, salt: str, fetched_at: datetime
) -> tuple[Post, RawPayload] | None:
    """One ``div.tgme_widget_message``; ``None`` for a service message or one without an id or time."""
    ref = _message_ref("/" + (message.attrib.get("data-post") or ""))
    if ref is None or "service_message" in message.attrib.get("class", ""):
        return None
    channel, message_id = ref
    stamp = (
        message.css(".tgme_widget_message_date time::attr(datetime)").get()
        or message.css(".tgme_widget_message_meta time::attr(datetime)").get()
    )
    if not stamp:
        return None
    bubbles = message.css(".tgme_widget_message_bubble")
    bubble = bubbles[0] if bubbles else message
    text_nodes = bubble.xpath('./div[contains(concat(" ", @class, " "), " tgme_widget_message_text ")]')
    text = message_text(text_nodes[0]) if text_nodes else ""
    meta_words = " ".join(message.css(".tgme_widget_message_meta::text").getall()).lower()
    edited = any(marker in meta_words for marker in EDITED_MARKERS)
    reply = _message_ref(message.css("a.tgme_widget_message_reply::attr(href)").get())
    forward = _message_ref(message.css(".tgme_widget_message_forwarded_from_name::attr(href)").get())
    post = Post(
        platform=TELEGRAM,
        owner_id=channel,
        post_id=str(message_id),
        source_id=source_id,
        url=post_url(channel, message_id),
        text=text,
        published_at=datetime.fromisoformat(stamp),
        edited_at=fetched_at if edited else None,
        author_id=pseudonymise(TELEGRAM, channel, salt),
        author_is_community=True,
        reply_to_key=post_key(TELEGRAM, *map(str, reply)) if reply else None,
        copy_of_key=post_key(TELEGRAM, *map(str, forward)) if forward else None,
        metrics=Metrics(views=parse_count(message.css(".tgme_widget_message_views::text").get())),
        attachments=_attachments(message),
    )
    payload = {
        "data_post": f"{channel}/{message_id}",
        "html": message.get(),
        "views": message.css(".tgme_widget_message_views::text").get() or "",
        "edited": edited,
        "signature": (message.css(".tgme_widget_message_from_author::text").get() or "").strip(),
    }
    raw = RawPayload(
        platform=TELEGRAM, source_id=source_id, item_key=post.key, fetched_at=fetched_at, payload=payload
    )
    return post, raw


def parse_page(
    response: TextResponse | Selector, *, channel: str, source_id: str, salt: str, fetched_at: datetime
) -> PreviewPage:
    """Every post of one preview page, the ids on it, and where the older page is."""
    selector = response.selector if isinstance(response, TextResponse) else response
    if not selector.css(".tgme_channel_history, .tgme_channel_info"):
        return PreviewPage(channel=channel, is_channel=False)
    posts: list[Post] = []
    raws: list[RawPayload] = []
    ids: list[int] = []
    for message in selector.css("div.tgme_widget_message[data-post]"):
        ref = _message_ref("/" + (message.attrib.get("data-post") or ""))
        if ref is None or ref[0] != channel:
            continue
        ids.append(ref[1])
        parsed = parse_message(message, source_id=source_id, salt=salt, fetched_at=fetched_at)
        if parsed is not None:
            posts.append(parsed[0])
            raws.append(parsed[1])
    return PreviewPage(
        channel=channel, posts=tuple(posts), raw=tuple(raws), ids=tuple(ids), before=_before(selector)
    )
