"""Hand-written training rows: a bad line stops training with its file and line, never silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infopole.config.blocks import blocks
from nlp.training import handwritten


def _write(path: Path, rows: list[dict[str, object] | str]) -> None:
    path.write_text(
        "\n".join(row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows)
        + "\n",
        encoding="utf-8",
    )


GOOD = {"text": "света нет опять", "is_incident": True, "block": "Электроснабжение", "sentiment": "negative"}


def test_rows_of_every_file_load_in_file_order_and_repeated_texts_once(tmp_path: Path) -> None:
    notice = {**GOOD, "text": "Плановое отключение света 5 мая", "is_incident": False, "sentiment": "neutral"}
    _write(tmp_path / "b.jsonl", [notice, "", GOOD])
    _write(tmp_path / "a.jsonl", [GOOD])
    rows = handwritten.load(tmp_path, retired=())
    assert [(row.text, row.is_incident, row.source) for row in rows] == [
        ("света нет опять", True, "a.jsonl:1"),
        ("Плановое отключение света 5 мая", False, "b.jsonl:1"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "b.jsonl:2: not JSON"),
        ({**GOOD, "is_incident": "yes"}, "b.jsonl:2: `is_incident` must be true or false"),
        ({**GOOD, "block": "ЖЭК"}, "b.jsonl:2: unknown block 'ЖЭК'"),
        ({**GOOD, "sentiment": "angry"}, "b.jsonl:2: `sentiment` must be one of"),
        ({**GOOD, "text": "  "}, "b.jsonl:2: `text` must be a non-empty string"),
    ],
)
def test_a_bad_line_names_its_file_and_line(
    tmp_path: Path, line: dict[str, object] | str, message: str
) -> None:
    _write(tmp_path / "b.jsonl", [GOOD, line])
    with pytest.raises(handwritten.HandwrittenError, match=message):
        handwritten.load(tmp_path, retired=())


def test_the_committed_files_load_with_both_labels_and_known_blocks() -> None:
    rows = handwritten.load()
    assert len(rows) >= 500
    assert {row.is_incident for row in rows} == {True, False}
    assert {row.block for row in rows if row.block} <= set(blocks())
    retired = {row.source.split(":")[0] for row in rows} & {path.name for path in handwritten.RETIRED}
    assert retired == {path.name for path in handwritten.RETIRED}  # every retired blind set is read


def test_a_retired_set_loads_after_the_files(tmp_path: Path) -> None:
    _write(tmp_path / "a.jsonl", [GOOD])
    retired = tmp_path / "sets" / "old_blind.jsonl"
    retired.parent.mkdir()
    joining = {**GOOD, "text": "+1 у нас тоже", "id": "x-3", "parent": "x-2"}  # its label is its post's
    own = {**GOOD, "text": "а у нас на Садовой кран сухой", "id": "x-4", "parent": "x-2"}
    _write(
        retired,
        [{**GOOD, "id": "x-1", "parent": None}, {**GOOD, "text": "воды нет", "id": "x-2"}, joining, own],
    )
    rows = handwritten.load(tmp_path, retired=(retired,))
    assert [(row.text, row.source, row.parent) for row in rows] == [
        ("света нет опять", "a.jsonl:1", None),
        ("воды нет", "old_blind.jsonl:2", None),
        ("а у нас на Садовой кран сухой", "old_blind.jsonl:4", "x-2"),
    ]
