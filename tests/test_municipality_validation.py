"""Broken municipality files: every problem comes back with its line and field path.

Each case edits single lines of a small valid file, so the line numbers below are the lines of ``BASE``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infopole.config.municipality import ConfigError, Problem, load_municipality, parse_municipality

BASE = """\
slug: demo
name: Демо район
short_name: Демо
region: Ленинградская область
oktmo: '41621000'
timezone: Europe/Moscow
center: {lat: 59.37, lon: 28.61}
settlements:
  - name: Кингисепп
    aliases: [Кингисеппе]
  - name: Ивангород
departments:
  - id: zhkh
    name: Комитет ЖКХ
    head: Председатель комитета ЖКХ
    blocks: [ЖКХ, Дороги]
  - id: ivangorod
    name: Администрация Ивангорода
    head: Глава администрации
    blocks:
      - Благоустройство
    settlements:
      - Ивангород
sources:
  - id: vk-adm
    kind: vk_wall
    target: '-1'
    title: Администрация
    official: true
  - id: vk-search
    kind: vk_search
    query: Кингисепп
    title: Поиск
official_pages:
  - source: vk-adm
    institution: Администрация
    responsible: Пресс-секретарь
members:
  - role: block_owner
    position: Председатель комитета ЖКХ
    department: zhkh
"""


def edited(**lines: str) -> str:
    """``BASE`` with whole lines replaced: ``edited(l6="timezone: X")`` rewrites line 6."""
    out = BASE.splitlines()
    for key, text in lines.items():
        number = int(key.removeprefix("l"))
        assert out[number - 1].strip(), f"line {number} is empty in BASE"
        out[number - 1] = text
    return "\n".join(out) + "\n"


def problems_of(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_municipality(text, "demo.yaml")
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_the_base_file_is_valid() -> None:
    municipality = parse_municipality(BASE, "demo.yaml")
    assert municipality.department("ivangorod").settlements == ["Ивангород"]
    assert municipality.source("vk-adm").official


# (case id, line edits, expected (line, field, message fragment))
CASES = [
    ("unknown block, suggestion by word", {"l21": "      - ТКО"},
     (21, "departments[1].blocks[0]", "неизвестный блок «ТКО»; возможно, «Мусор/Свалки/ТКО»")),
    ("unknown block, suggestion by spelling, in a flow list", {"l16": "    blocks: [ЖКХ, Дорога]"},
     (16, "departments[0].blocks[1]", "неизвестный блок «Дорога»; возможно, «Дороги»")),
    ("unknown block, no suggestion", {"l21": "      - Космос"},
     (21, "departments[1].blocks[0]", "неизвестный блок «Космос»")),
    ("bad time zone", {"l6": "timezone: Europe/Moskva"},
     (6, "timezone", "unknown time zone 'Europe/Moskva'")),
    ("UTC offset instead of a zone", {"l6": "timezone: UTC+7"},
     (6, "timezone", "unknown time zone 'UTC+7'")),
    ("missing required field of a department", {"l15": "    # head removed"},
     (13, "departments[0].head", "Field required")),
    ("missing required top-level field", {"l4": "# region removed"},
     (1, "region", "Field required")),
    ("extra field", {"l29": "    oficial: true"},
     (29, "sources[0].oficial", "Extra inputs are not permitted")),
    ("duplicate source id", {"l30": "  - id: vk-adm"},
     (30, "sources[1].id", "повторяется «vk-adm»")),
    ("source id with capitals", {"l30": "  - id: VK-ADM"},
     (30, "sources[1].id", "String should match pattern")),
    ("official page pointing to a missing source", {"l35": "  - source: vk-missing"},
     (35, "official_pages[0].source", "нет такого источника «vk-missing»")),
    ("YAML syntax error", {"l14": "    name: Комитет: ЖКХ"},
     (14, "", "ошибка YAML: mapping values are not allowed here")),
    ("YAML tab indentation", {"l15": "\thead: Председатель"},
     (15, "", "ошибка YAML: found character '\\t' that cannot start any token")),
    ("OKTMO too short", {"l5": "oktmo: '4162100'"},
     (5, "oktmo", "String should match pattern")),
    ("OKTMO with letters", {"l5": "oktmo: '4162100O'"},
     (5, "oktmo", "String should match pattern")),
    ("OKTMO unquoted loses its leading zero", {"l5": "oktmo: 03627419"},
     (5, "oktmo", "ОКТМО пишите в кавычках, например '03627419'")),
    ("department settlement that does not exist", {"l23": "      - Нарва"},
     (23, "departments[1].settlements[0]", "нет такого поселения «Нарва»")),
    ("member of a department that does not exist", {"l41": "    department: zhkx"},
     (41, "members[0].department", "нет такого отдела «zhkx»")),
    ("source kind that does not exist", {"l26": "    kind: vk_group"},
     (26, "sources[0].kind", "Input should be 'vk_wall'")),
    ("search with nothing to search for", {"l32": "    # query removed"},
     (30, "sources[1]", "a vk_search source needs 'query' or 'geo'")),
    ("latitude out of range", {"l7": "center: {lat: 159.37, lon: 28.61}"},
     (7, "center.lat", "Input should be less than or equal to 90")),
]  # fmt: skip


@pytest.mark.parametrize(("edits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_broken_file_names_the_line_and_field(
    edits: dict[str, str], expected: tuple[int, str, str]
) -> None:
    line, field, fragment = expected
    problems = problems_of(edited(**edits))
    assert len(problems) == 1, problems
    assert problems[0][:2] == (line, field)
    assert fragment in problems[0][2]


def test_a_misspelt_key_reports_both_the_unknown_and_the_missing_field() -> None:
    assert problems_of(edited(l14="    nmae: Комитет ЖКХ")) == [
        (13, "departments[0].name", "Field required"),
        (14, "departments[0].nmae", "Extra inputs are not permitted"),
    ]


def test_several_reference_problems_are_reported_at_once_in_file_order() -> None:
    text = edited(l21="      - Медицина", l23="      - Нарва", l35="  - source: vk-missing")
    assert problems_of(text) == [
        (21, "departments[1].blocks[0]", "неизвестный блок «Медицина»; возможно, «Здравоохранение/Медицина»"),
        (23, "departments[1].settlements[0]", "нет такого поселения «Нарва»"),
        (35, "official_pages[0].source", "нет такого источника «vk-missing»"),
    ]


def test_several_schema_problems_are_reported_at_once() -> None:
    text = edited(l5="oktmo: '123'", l6="timezone: Moscow", l29="    oficial: true")
    assert [(line, field) for line, field, _ in problems_of(text)] == [
        (5, "oktmo"),
        (6, "timezone"),
        (29, "sources[0].oficial"),
    ]


def test_the_error_text_reads_file_line_field_message(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(edited(l23="      - Нарва"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_municipality(path)
    assert str(caught.value) == f"{path}:23: departments[1].settlements[0]: нет такого поселения «Нарва»"


def test_a_settlement_is_found_by_its_alias_in_any_case() -> None:
    text = edited(l23="      - кингисеппе")
    assert parse_municipality(text).department("ivangorod").settlements == ["кингисеппе"]


def test_a_file_that_is_not_a_mapping_or_cannot_be_read(tmp_path: Path) -> None:
    assert problems_of("- just\n- a list\n") == [(1, "", "ожидался словарь полей муниципалитета")]
    with pytest.raises(ConfigError) as caught:
        load_municipality(tmp_path / "missing.yaml")
    (problem,) = caught.value.problems
    assert problem == Problem(str(tmp_path / "missing.yaml"), None, "", problem.message)
    assert problem.message.startswith("не удалось прочитать файл")
