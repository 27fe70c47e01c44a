"""Appeals from another channel (a ПОС export, a spreadsheet kept by hand) into the same queue.

The file is read into plain records first, with every bad row reported by number and reason
(a file is never half-understood silently); then each record becomes a case through the same
``new_case`` as social-network incidents, so routing and deadlines are the same for all channels.
Column names are matched loosely: «Дата поступления», «дата», «Date» all mean the date. The
author's name is read but not stored: the queue needs the problem, not the person (152-ФЗ).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import load_workbook

from infopole.config.blocks import blocks, closest_block
from infopole.config.municipality import Municipality
from infopole.domain.incident import CaseKind, Incident
from infopole.incidents.cases import new_case, title_of

HEADERS = {
    "date": ("дата", "дата поступления", "дата регистрации", "дата обращения", "date", "created"),
    "author": ("автор", "заявитель", "фио", "author"),
    "text": ("текст", "текст обращения", "содержание", "суть", "описание", "text", "description"),
    "address": ("адрес", "место", "address"),
    "category": ("категория", "тема", "рубрика", "тематика", "category"),
    "number": ("номер", "№", "id", "номер обращения", "number"),
    "kind": ("вид", "тип", "kind"),
}
DATE_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)


@dataclass(frozen=True, slots=True)
class ImportedAppeal:
    row: int  # 1-based line in the file, header included
    registered_at: datetime
    text: str
    address: str
    category: str
    number: str
    kind: CaseKind


@dataclass(frozen=True, slots=True)
class ImportProblem:
    row: int
    message: str


def read_appeals(
    content: bytes, filename: str, municipality: Municipality
) -> tuple[list[ImportedAppeal], list[ImportProblem]]:
    table = _xlsx_rows(content) if filename.lower().endswith(".xlsx") else _csv_rows(content)
    if not table:
        return [], [ImportProblem(1, "пустой файл")]
    columns = _columns(table[0])
    missing = [name for name in ("date", "text") if name not in columns]
    if missing:
        return [], [ImportProblem(1, f"нет столбцов: {', '.join(missing)}")]
    appeals: list[ImportedAppeal] = []
    problems: list[ImportProblem] = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(str(cell or "").strip() for cell in cells):
            continue

        def cell(name: str, cells: list[Any] = cells) -> Any:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        text = str(cell("text") or "").strip()
        moment = _date(cell("date"), municipality)
        if not text:
            problems.append(ImportProblem(line, "пустой текст"))
            continue
        if moment is None:
            problems.append(ImportProblem(line, f"не понимаю дату «{cell('date')}»"))
            continue
        kind_text = str(cell("kind") or "").strip().casefold()
        appeals.append(
            ImportedAppeal(
                row=line,
                registered_at=moment,
                text=text,
                address=str(cell("address") or "").strip(),
                category=str(cell("category") or "").strip(),
                number=str(cell("number") or "").strip(),
                kind=CaseKind.MESSAGE if kind_text.startswith("сообщ") else CaseKind.APPEAL,
            )
        )
    return appeals, problems


def to_case(
    appeal: ImportedAppeal, municipality: Municipality, now: datetime, channel: str = "pos"
) -> Incident:
    """A routed case; the 59-ФЗ term runs from the registration date in the file."""
    return new_case(
        title=title_of(appeal.text),
        description=appeal.text,
        block=block_of(appeal.category),
        settlement=settlement_of(appeal.address, municipality),
        municipality=municipality,
        now=now,
        kind=appeal.kind,
        channel=channel,
        address=appeal.address,
        external_id=f"{channel}:{appeal.number or _fingerprint(appeal)}",
        opened_at=appeal.registered_at,
        actor=f"import:{channel}",
    )


def block_of(category: str) -> str | None:
    if not category:
        return None
    exact = {name.casefold(): name for name in blocks()}
    return exact.get(category.casefold()) or closest_block(category)


def settlement_of(address: str, municipality: Municipality) -> str | None:
    """The settlement named in an address, as a whole word: «Кингисеппское шоссе» is no Кингисепп."""
    words = set(re.findall(r"\w+", address.casefold().replace("ё", "е")))
    for settlement in municipality.settlements:
        for name in settlement.names:
            if set(re.findall(r"\w+", name.casefold().replace("ё", "е"))) <= words:
                return settlement.name
    return None


def _fingerprint(appeal: ImportedAppeal) -> str:
    raw = f"{appeal.registered_at.isoformat()}|{appeal.text}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _columns(header: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        name = " ".join(str(title or "").casefold().split())
        for field, aliases in HEADERS.items():
            if name in aliases and field not in found:
                found[field] = index
    return found


def _date(value: Any, municipality: Municipality) -> datetime | None:
    moment: datetime | None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        moment = next((parsed for fmt in DATE_FORMATS if (parsed := _parse(text, fmt)) is not None), None)
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=municipality.tz)


def _parse(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


def _csv_rows(content: bytes) -> list[list[Any]]:
    text = content.decode("utf-8-sig", errors="replace")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t") if text.strip() else csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]
