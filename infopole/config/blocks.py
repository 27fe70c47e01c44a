"""The 26 canonical topic blocks and their 195 subtopics.

The taxonomy ships with the package (a copy of ``shared/data/taxonomy/topic2big_topic.json``)
because configuration is validated against it on machines that have no ``shared/``.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources


@cache
def subtopic_to_block() -> dict[str, str]:
    text = resources.files("infopole.config").joinpath("topic2big_topic.json").read_text("utf-8")
    mapping: dict[str, str] = json.loads(text)
    return mapping


@cache
def blocks() -> tuple[str, ...]:
    return tuple(sorted(set(subtopic_to_block().values())))


def closest_block(name: str) -> str | None:
    lowered = {block.lower(): block for block in blocks()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    for block in blocks():  # "ТКО" → "Мусор/Свалки/ТКО", "Медицина" → "Здравоохранение/Медицина"
        if name.lower() in block.lower().split("/"):
            return block
    match = difflib.get_close_matches(name, blocks(), n=1, cutoff=0.6)
    return match[0] if match else None
