"""Short Russian phrases shared by the rules' titles and bodies."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

EXCERPT_CHARS = 280


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a post on one line: enough to judge it without opening the link."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit] + "…"


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def plural(count: int, one: str, few: str, many: str) -> str:
    """«1 пост», «3 поста», «5 постов»."""
    tail = count % 100
    if 11 <= tail <= 14:
        word = many
    elif count % 10 == 1:
        word = one
    elif 2 <= count % 10 <= 4:
        word = few
    else:
        word = many
    return f"{count} {word}"


def where(block: str | None, settlement: str | None) -> str:
    """«ЖКХ, Ивангород» — what and where, leaving out what the analysis did not find."""
    return ", ".join(part for part in (block, settlement) if part) or "без темы"
