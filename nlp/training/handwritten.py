"""Hand-written, hand-labelled training posts and comments (``nlp/training/handwritten/*.jsonl``).

Realistic texts of invented municipalities, written by people who never saw the development or
blind sets (``tests/data/``): the hard cases templates cannot produce — terse and ironic complaints,
and municipal texts full of problem words that need no action (announcements, official replies,
local news, resolved or past problems). Each line carries every label, so one file feeds the
incident, topic and sentiment packs. A bad line stops training with its file and line number:
a silently dropped row would change a pack without anyone noticing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nlp.sentiment import LABELS as SENTIMENTS

DIRECTORY = Path(__file__).parent / "handwritten"


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
            yield Handwritten(text, incident, block, sentiment, str(item.get("group") or ""), where)


def load(directory: Path = DIRECTORY) -> list[Handwritten]:
    """Every row of every ``*.jsonl`` in ``directory``, in file-name order; duplicates kept once."""
    from infopole.config.blocks import blocks

    known = set(blocks())
    seen: set[str] = set()
    rows: list[Handwritten] = []
    for path in sorted(directory.glob("*.jsonl")):
        for row in read(path, known):
            if row.text not in seen:
                seen.add(row.text)
                rows.append(row)
    return rows
