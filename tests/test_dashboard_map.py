"""The map's pure part: where each open case goes, its colours, and the tile setting's checks."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from pydantic import ValidationError

from dashboards.incident_map import (
    NO_DEADLINE_COLOUR,
    ON_TIME_COLOUR,
    OVERDUE_COLOUR,
    CasePlace,
    Tiles,
    block_colour,
    build_map,
    spiral,
)
from infopole.config.blocks import blocks
from infopole.config.municipality import load_municipality
from infopole.config.settings import Settings

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
KINGISEPP = load_municipality(Path(str(resources.files("infopole.municipalities") / "kingisepp.yaml")))


def place(case_id: int, settlement: str | None, due: datetime | None, lat: float | None = None) -> CasePlace:
    lon = None if lat is None else 28.6
    return CasePlace(case_id, f"№{case_id}", "ЖКХ", settlement, "assigned", due, lat, lon)


def test_cases_are_placed_from_their_own_point_or_their_settlement_or_counted_as_unplaced() -> None:
    town = KINGISEPP.settlement("Кингисепп")
    assert town is not None and town.point is not None
    cases = [
        place(1, "Кингисепп", NOW - timedelta(hours=1)),  # overdue, on the town's point
        place(2, "Кингисеппе", NOW + timedelta(hours=1)),  # an alias of the same town: next on the spiral
        place(3, None, None, lat=59.3701),  # its own coordinates
        place(4, None, None),  # nowhere to put it
        place(5, "Атлантида", None),  # not in the gazetteer
    ]
    built = build_map(cases, KINGISEPP, NOW, link_cases=True)
    points = {p.id: p for p in built.points}
    assert set(points) == {1, 2, 3} and built.unplaced == 2
    assert (points[1].lat, points[1].lon) == (round(town.point.lat, 6), round(town.point.lon, 6))
    distance = math.dist((points[1].lat, points[1].lon), (points[2].lat, points[2].lon))
    assert 0 < distance < 0.01  # spread apart, still in town
    assert (points[3].lat, points[3].lon, points[3].exact) == (59.3701, 28.6, True)
    assert not points[1].exact
    assert [points[i].sla_colour for i in (1, 2, 3)] == [OVERDUE_COLOUR, ON_TIME_COLOUR, NO_DEADLINE_COLOUR]
    assert points[1].overdue and not points[2].overdue
    assert points[1].href == "/cases/1" and points[1].status == "назначен"
    assert not build_map(cases, KINGISEPP, NOW, link_cases=False).points[0].href


def test_spiral_keeps_neighbours_apart() -> None:
    spots = [spiral(59.37, 28.61, n) for n in range(50)]
    assert spots[0] == (59.37, 28.61)
    closest = min(math.dist(a, b) for i, a in enumerate(spots) for b in spots[i + 1 :])
    assert closest > 0.0003  # about 30 m at this latitude: no two markers on one pixel at street zoom


def test_each_block_has_its_own_colour() -> None:
    colours = [block_colour(block) for block in blocks()]
    assert len(set(colours)) == len(colours)
    assert block_colour(None) == block_colour("нет такого блока") == NO_DEADLINE_COLOUR


def test_tile_setting_is_checked_and_names_its_origin(tmp_path: Path) -> None:
    good = Settings(data_dir=tmp_path, map_tile_url=" https://tiles.example.ru/osm/{z}/{x}/{y}.png ")
    assert good.map_tile_url == "https://tiles.example.ru/osm/{z}/{x}/{y}.png"
    assert Settings(data_dir=tmp_path).map_tile_url == ""
    for wrong in (
        "tiles.example.ru/{z}/{x}/{y}.png",
        "https://tiles.example.ru/{z}/{x}.png",
        "file:///{z}{x}{y}",
    ):
        with pytest.raises(ValidationError):
            Settings(data_dir=tmp_path, map_tile_url=wrong)
    assert (
        Tiles("https://tiles.example.ru:8443/{z}/{x}/{y}.png", "", 18).origin
        == "https://tiles.example.ru:8443"
    )
    assert Tiles("https://{s}.tile.example.ru/{z}/{x}/{y}.png", "", 18).origin == "https://*.tile.example.ru"
