"""Routing with the five shipped municipality files: every block has exactly one owner, or triage."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from infopole.config.municipality import Municipality, load_municipality
from infopole.incidents.routing import route

FILES = sorted(Path(str(resources.files("infopole.municipalities"))).glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_block_of_a_district_wide_department_routes_to_it(path: Path) -> None:
    municipality = load_municipality(path)
    routed = 0
    for department in municipality.departments:
        if department.settlements:
            continue
        for block in department.blocks:
            owners = _district_wide_owners(municipality, block)
            decision = route(block, None, municipality)
            expected = owners[0] if len(owners) == 1 else None
            assert decision.department_id == expected, (block, decision.reason)
            routed += decision.department_id is not None
    assert routed > 0


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_unknown_topic_goes_to_triage(path: Path) -> None:
    municipality = load_municipality(path)
    assert route(None, None, municipality).department_id is None
    assert route("Несуществующий блок", None, municipality).department_id is None


def _district_wide_owners(municipality: Municipality, block: str) -> list[str]:
    return [d.id for d in municipality.departments if block in d.blocks and not d.settlements]


def test_five_files_are_shipped() -> None:
    assert [p.stem for p in FILES] == ["kingisepp", "kotelnikovo", "novodugino", "petropavlovskaya", "sorsk"]


@pytest.mark.parametrize(
    ("slug", "block", "settlement", "department"),
    [
        ("kingisepp", "ЖКХ", None, "zhkh"),
        ("kingisepp", "Образование", None, "education"),
        ("kotelnikovo", "Дороги", None, "orgotdel"),  # outside the town: the decree names no roads owner
        ("novodugino", "Дороги", None, "zhkh"),
        ("petropavlovskaya", "Образование", None, "obshchiy-otdel"),
        ("sorsk", "ЖКХ", "Сорск", "city-economy"),
        ("sorsk", "Здравоохранение/Медицина", None, "general"),  # regional competence: forwarded
    ],
)
def test_golden_routes(slug: str, block: str, settlement: str | None, department: str) -> None:
    municipality = load_municipality(next(p for p in FILES if p.stem == slug))
    assert route(block, settlement, municipality).department_id == department
