"""Numbers as a Russian official document prints them: «12,5», «+25 %», «—» for no data.

One formatter for every writer, so the DOCX, the PDF made from it and the Markdown note show
the same strings, and tests can look for exactly these strings in the extracted text.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

NO_DATA = "—"


def num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return NO_DATA
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u00a0")
    return f"{value:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def pct(share: float | None, digits: int = 1) -> str:
    """A share 0..1 as «87,5 %»."""
    return NO_DATA if share is None else f"{num(round(share * 100, digits), digits)}\u00a0%"


def trend(now: float | int | None, before: float | int | None) -> str:
    """The change against the previous period: «+25 %», «−3 %», «без изменений», «—»."""
    if now is None or before is None:
        return NO_DATA
    if now == before:
        return "без изменений"
    if before == 0:
        return "рост с нуля"
    change = (now - before) / before * 100
    sign = "+" if change > 0 else "−"
    return f"{sign}{num(abs(round(change)))}\u00a0%"


def plural(n: int, one: str, few: str, many: str) -> str:
    """«1 сообщение», «3 сообщения», «5 сообщений»: Russian agrees the noun with the number."""
    tail, tens = n % 10, n % 100
    if tail == 1 and tens != 11:
        word = one
    elif 2 <= tail <= 4 and not 12 <= tens <= 14:
        word = few
    else:
        word = many
    return f"{num(n)} {word}"


def local(moment: datetime, tz: str, with_time: bool = True) -> str:
    shown = moment.astimezone(ZoneInfo(tz))
    return shown.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


_PICTOGRAPHS = ((0x2600, 0x27BF), (0x2B00, 0x2BFF), (0xFE00, 0xFE0F), (0x200D, 0x200D), (0x20E3, 0x20E3))


def printable(text: str) -> str:
    """Drop emoji and other pictographs: the document fonts have no glyphs for them, and a head
    should not get a note with empty boxes in quotes from residents. «№», «—», «ё» stay."""
    return "".join(
        ch
        for ch in text
        if ord(ch) <= 0xFFFF and not any(low <= ord(ch) <= high for low, high in _PICTOGRAPHS)
    )


def snippet(text: str, limit: int = 220) -> str:
    text = " ".join(printable(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
