"""The map of open incidents: one point per case, placed from the case or the gazetteer.

A case carries its own coordinates when its channel gave them (ПОС, Open311); most cases from
social networks know only the settlement, whose point is in the municipality file. Several cases
of one settlement would stack on one pixel, so those are laid out on a small golden-angle spiral
around the settlement's point — the popup says the place is approximate. A case with neither is
counted, not guessed.

Tiles come only from the server the installation configures (``map_tile_url``); without it there
is no map and the browser asks nobody for anything. The module is pure: rows in, points out.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from infopole.config.blocks import blocks
from infopole.config.municipality import Municipality
from infopole.config.settings import Settings
from infopole.domain.lifecycle import IncidentStatus

SPREAD_METRES = 60.0  # spiral step around a settlement's point: neighbours apart at street zoom
METRES_PER_DEGREE = 111_320.0
OVERDUE_COLOUR, ON_TIME_COLOUR, NO_DEADLINE_COLOUR = "#c62828", "#1e7b34", "#6b7280"
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


@dataclass(frozen=True, slots=True)
class Tiles:
    url: str  # a Leaflet template: …/{z}/{x}/{y}.png
    attribution: str
    max_zoom: int

    @property
    def origin(self) -> str:
        """What the Content-Security-Policy must allow images from (``{s}`` subdomains: ``*.host``)."""
        parts = urlsplit(self.url.replace("{s}", "s"))
        host = parts.netloc.replace("s.", "*.", 1) if "{s}." in self.url else parts.netloc
        return f"{parts.scheme}://{host}"


def tiles_from(settings: Settings) -> Tiles | None:
    if not settings.map_tile_url:
        return None
    return Tiles(settings.map_tile_url, settings.map_tile_attribution, settings.map_max_zoom)


@dataclass(frozen=True, slots=True)
class CasePlace:
    """What the map needs of an open case, as the database returns it."""

    id: int
    title: str
    block: str | None
    settlement: str | None
    status: str
    due_at: datetime | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class MapPoint:
    id: int
    lat: float
    lon: float
    exact: bool  # the case's own coordinates, not the settlement's
    title: str
    block: str
    settlement: str
    status: str
    overdue: bool
    block_colour: str
    sla_colour: str
    href: str  # empty when the viewer may not open cases

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class IncidentMap:
    points: list[MapPoint]
    unplaced: int  # open cases with neither coordinates nor a known settlement
    legend: list[tuple[str, str]]  # block, colour — only the blocks on the map

    def points_json(self) -> list[dict[str, Any]]:
        return [point.to_json() for point in self.points]


SLA_LEGEND = [("просрочен", OVERDUE_COLOUR), ("в срок", ON_TIME_COLOUR), ("срок не идёт", NO_DEADLINE_COLOUR)]


def block_colour(block: str | None) -> str:
    """A stable colour per canonical block: hues spread by the golden ratio, so neighbours differ."""
    known = blocks()
    if block not in known:
        return NO_DEADLINE_COLOUR
    hue = (known.index(block) * 0.618033988749895) % 1.0
    red, green, blue = colorsys.hls_to_rgb(hue, 0.42, 0.75)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def spiral(lat: float, lon: float, n: int) -> tuple[float, float]:
    """The n-th place (0 is the centre) on a golden-angle spiral around a point."""
    if n == 0:
        return lat, lon
    radius = SPREAD_METRES * math.sqrt(n)
    angle = n * GOLDEN_ANGLE
    d_lat = radius * math.cos(angle) / METRES_PER_DEGREE
    d_lon = radius * math.sin(angle) / (METRES_PER_DEGREE * max(0.01, math.cos(math.radians(lat))))
    return lat + d_lat, lon + d_lon


def build_map(
    cases: list[CasePlace], municipality: Municipality, now: datetime, link_cases: bool
) -> IncidentMap:
    points: list[MapPoint] = []
    unplaced = 0
    per_settlement: dict[str, int] = {}
    for case in cases:
        exact = case.lat is not None and case.lon is not None
        settlement = municipality.settlement(case.settlement) if case.settlement else None
        if exact:
            lat, lon = float(case.lat or 0.0), float(case.lon or 0.0)
        elif settlement is not None and settlement.point is not None:
            n = per_settlement.get(settlement.name, 0)
            per_settlement[settlement.name] = n + 1
            lat, lon = spiral(settlement.point.lat, settlement.point.lon, n)
        else:
            unplaced += 1
            continue
        overdue = case.due_at is not None and case.due_at < now
        points.append(
            MapPoint(
                id=case.id,
                lat=round(lat, 6),
                lon=round(lon, 6),
                exact=exact,
                title=case.title,
                block=case.block or "без блока",
                settlement=case.settlement or "—",
                status=IncidentStatus(case.status).label,
                overdue=overdue,
                block_colour=block_colour(case.block),
                sla_colour=OVERDUE_COLOUR
                if overdue
                else (ON_TIME_COLOUR if case.due_at is not None else NO_DEADLINE_COLOUR),
                href=f"/cases/{case.id}" if link_cases else "",
            )
        )
    legend = sorted({(p.block, p.block_colour) for p in points})
    return IncidentMap(points, unplaced, legend)
