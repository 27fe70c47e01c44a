"""Hand-written, hand-labelled training posts and comments (``nlp/training/handwritten/*.jsonl``).

Realistic texts of invented municipalities, written by people who never saw the development or
blind sets (``tests/data/``): the hard cases templates cannot produce — terse and ironic complaints,
and municipal texts full of problem words that need no action (announcements, official replies,
local news, resolved or past problems). Each line carries every label, so one file feeds the
incident, topic and sentiment packs. A bad line stops training with its file and line number:
a silently dropped row would change a pack without anyone noticing.

Retired blind sets (``RETIRED``) join them: each was written blind for one district, evaluated
once and then studied; since session 7 they are training rows, because independent writers' new
districts are what the hand-written files lack (nlp/README.md, «Round 9»). The sets still held out
are the development set and the newest blind sets (``nlp.evaluate``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.sentiment import LABELS as SENTIMENTS

DIRECTORY = Path(__file__).parent / "handwritten"
_SETS = Path(__file__).parent.parent.parent / "tests" / "data"
RETIRED = tuple(_SETS / f"nlp_blind{n}.jsonl" for n in ("", "2", "3", "4", "5", "6", "7"))


class HandwrittenError(ValueError):
    """A line of a hand-written file that cannot be used; the message names file and line."""


@dataclass(frozen=True)
class Handwritten:
    text: str
    is_incident: bool
    block: str | None
    sentiment: str
    group: str
    source: str  # file:line, for error messages and audits
    parent: str | None = None  # a retired blind set's comment: the id of the post it was read under


def read(path: Path, known_blocks: set[str]) -> Iterator[Handwritten]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                raise HandwrittenError(f"{where}: not JSON ({error.msg})") from error
            text, incident, block = item.get("text"), item.get("is_incident"), item.get("block")
            sentiment = item.get("sentiment")
            if not isinstance(text, str) or not text.strip():
                raise HandwrittenError(f"{where}: `text` must be a non-empty string")
            if not isinstance(incident, bool):
                raise HandwrittenError(f"{where}: `is_incident` must be true or false")
            if block is not None and block not in known_blocks:
                raise HandwrittenError(f"{where}: unknown block {block!r}")
            if sentiment not in SENTIMENTS:
                raise HandwrittenError(f"{where}: `sentiment` must be one of {', '.join(SENTIMENTS)}")
            parent = item.get("parent")
            yield Handwritten(
                text,
                incident,
                block,
                sentiment,
                str(item.get("group") or ""),
                where,
                str(parent) if parent else None,
            )


def load(directory: Path = DIRECTORY, retired: Sequence[Path] = RETIRED) -> list[Handwritten]:
    """Every row of every ``*.jsonl`` in ``directory``, in file-name order, then the ``retired``
    evaluation sets' rows; duplicates kept once. A retired set's comment that joins its post («+1 у
    нас тоже») is left out: its label came from the post above it, and the packs read one text —
    trained on it, they learnt «тоже» as a complaint («+1 у нас тоже» alone 0.59); ``nlp.thread``
    reads such comments with their post instead."""
    from infopole.config.blocks import blocks
    from nlp.thread import joins

    known = set(blocks())
    seen: set[str] = set()
    rows: list[Handwritten] = []
    for path in [*sorted(directory.glob("*.jsonl")), *retired]:
        for row in read(path, known):
            if row.parent and joins(row.text):
                continue
            if row.text not in seen:
                seen.add(row.text)
                rows.append(row)
    return rows
