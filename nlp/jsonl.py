"""The contract of ``infopole analyze``: JSON lines in, one JSON line out per input, in order.

Input lines need ``id`` and ``text``; ``title``, ``date``, ``platform``, metrics (``likes``,
``reposts``, ``views``, ``comments``, at the top level or under ``metrics``), ``observed_at`` (when
the metrics were read) and ``audience`` (subscribers of the page or channel) are optional.
``date`` and ``observed_at`` are ISO 8601 times with a time zone or Unix seconds; with both, the
risk score weighs the post's growth (reach per hour since publication), so an export's counters
are not mistaken for a fresh post's. A comment is read under the post it answers (``nlp.thread``)
when the line gives that post as ``parent_text`` or as ``parent_id``, the id of an earlier line of
the same input (the last ``PARENTS_KEPT`` lines are remembered; an id not among them: read alone).
A line that cannot be read yields ``{"id": …, "error": "…"}`` and processing goes on;
``analyze_stream`` returns the number of such lines.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from infopole.domain.analysis import Analysis
from infopole.domain.post import Metrics
from nlp.analyzer import Document

METRICS = ("likes", "reposts", "views", "comments")
ID_IN_BROKEN_LINE = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')
PARENTS_KEPT = 100_000  # lines whose text a later line may name as ``parent_id``: bounded memory


class DocumentAnalyzer(Protocol):
    batch_size: int

    def map_documents(self, documents: list[Document]) -> list[Analysis]: ...


class InputError(ValueError):
    pass


@dataclass(frozen=True)
class _Item:
    id: Any
    document: Document | None = None
    error: str = ""
    parent_id: str = ""


def parse_line(line: str) -> tuple[Any, Document, str]:
    """The id as given, the document of one input line and the id of the post it answers (``""``:
    none; resolved by ``analyze_stream``); raises ``InputError``."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise InputError(f"invalid JSON: {error.msg} at column {error.colno}") from error
    if not isinstance(data, dict):
        raise InputError("expected a JSON object")
    if data.get("id") in (None, ""):
        raise InputError("missing id")
    text = data.get("text")
    if not isinstance(text, str):
        raise InputError("missing text" if text is None else "text must be a string")
    title = data.get("title") or ""
    if not isinstance(title, str):
        raise InputError("title must be a string")
    nested = data.get("metrics")
    counters: dict[str, Any] = nested if isinstance(nested, dict) else data
    try:
        metrics = Metrics(**{name: int(counters.get(name) or 0) for name in METRICS})
    except (TypeError, ValueError) as error:
        raise InputError(f"bad metrics: {error}") from error
    audience = data.get("audience") or 0
    if isinstance(audience, bool) or not isinstance(audience, int) or audience < 0:
        raise InputError("audience must be a non-negative integer")
    parent_text = data.get("parent_text") or ""
    if not isinstance(parent_text, str):
        raise InputError("parent_text must be a string")
    parent_id = data.get("parent_id")
    if isinstance(parent_id, bool) or not isinstance(parent_id, str | int | None):
        raise InputError("parent_id must be a string or an integer")
    document = Document(
        key=str(data["id"]),
        text=text,
        title=title,
        reach=metrics.reach,
        published_at=_moment(data, "date"),
        audience=audience,
        observed_at=_moment(data, "observed_at"),
        parent_text=parent_text,
    )
    return data["id"], document, "" if parent_id is None else str(parent_id)


def _moment(data: dict[str, Any], name: str) -> datetime | None:
    """An ISO 8601 time with a zone, or Unix seconds; None when absent."""
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError) as error:
            raise InputError(f"bad {name}: {error}") from error
    if not isinstance(value, str):
        raise InputError(f"{name} must be an ISO 8601 time or Unix seconds")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise InputError(f"bad {name}: {error}") from error
    if moment.tzinfo is None:
        raise InputError(f"{name} needs a time zone (e.g. {value}+03:00)")
    return moment.astimezone(UTC)


def _item(line: str) -> _Item:
    try:
        identifier, document, parent_id = parse_line(line)
    except InputError as error:
        return _Item(_salvage_id(line), error=str(error))
    return _Item(identifier, document, parent_id=parent_id)


class _Seen:
    """The latest lines' texts by id, for the lines that name one of them as ``parent_id``."""

    def __init__(self, size: int = PARENTS_KEPT) -> None:
        self.size = size
        self.texts: OrderedDict[str, str] = OrderedDict()

    def read(self, item: _Item) -> _Item:
        """The item with its post's text, when it names a post seen before; then the item is seen."""
        document = item.document
        if document is None:
            return item
        if item.parent_id and not document.parent_text and item.parent_id in self.texts:
            item = replace(item, document=replace(document, parent_text=self.texts[item.parent_id]))
        self.texts[str(item.id)] = document.full_text
        self.texts.move_to_end(str(item.id))
        if len(self.texts) > self.size:
            self.texts.popitem(last=False)
        return item


def _salvage_id(line: str) -> Any:
    """The id of a line that failed, if it can be read at all, so the caller can match the error."""
    try:
        data = json.loads(line)
        return data.get("id") if isinstance(data, dict) else None
    except json.JSONDecodeError:
        match = ID_IN_BROKEN_LINE.search(line)
        return json.loads(match.group(1)) if match else None


def output_record(identifier: Any, analysis: Analysis) -> dict[str, Any]:
    data = analysis.to_json()
    del data["post_key"]
    return {"id": identifier, **data}


def _write(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _flush(items: list[_Item], out: TextIO, analyzer: DocumentAnalyzer) -> int:
    documents = [item.document for item in items if item.document is not None]
    try:
        analyses = iter(analyzer.map_documents(documents))
    except Exception:  # one bad document must not fail its batch: retry them one by one
        analyses = None
    failed = 0
    for item in items:
        if item.document is None:
            _write(out, {"id": item.id, "error": item.error})
            failed += 1
            continue
        try:
            analysis = next(analyses) if analyses else analyzer.map_documents([item.document])[0]
        except Exception as error:
            _write(out, {"id": item.id, "error": f"analysis failed: {type(error).__name__}: {error}"})
            failed += 1
            continue
        _write(out, output_record(item.id, analysis))
    return failed


def analyze_stream(lines: Iterable[str], out: TextIO, analyzer: DocumentAnalyzer) -> int:
    """Analyse JSON lines into ``out``; the number of lines that failed."""
    failed = 0
    pending: list[_Item] = []
    seen = _Seen()
    for line in lines:
        if not line.strip():
            continue
        pending.append(seen.read(_item(line)))
        if len(pending) >= analyzer.batch_size:
            failed += _flush(pending, out, analyzer)
            pending = []
    if pending:
        failed += _flush(pending, out, analyzer)
    return failed
