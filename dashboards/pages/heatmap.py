"""The heat map («BI ЦУР»): topic block × settlement and block × department, coloured by volume,
negative share or overdue cases, each cell a link to the posts behind it (a search query); below,
the map of open incidents when the installation has a tile server (``dashboards.incident_map``)."""

from collections import Counter
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dashboards import queries
from dashboards.incident_map import SLA_LEGEND, build_map, tiles_from
from dashboards.pages.search import field_filter
from dashboards.roles import Permission, can
from dashboards.web import Signed, Web
from index.base import HeatCell
from index.query import QuerySyntaxError

METRICS = {"volume": "объём", "negative": "доля негатива", "overdue": "просроченные обращения"}
MAP_POINTS = 5000  # the most urgent open cases; more would not be readable on one screen anyway


@dataclass(frozen=True, slots=True)
class Cell:
    value: float
    text: str
    level: int  # 0..5, the colour class
    href: str


@dataclass(frozen=True, slots=True)
class Matrix:
    columns: list[tuple[str, str]]  # key, label
    rows: list[tuple[str, list[Cell | None]]]


def build(
    cells: tuple[HeatCell, ...],
    overdue: Counter[tuple[str, str]],
    metric: str,
    q: str,
    column_field: str,
    labels: dict[str, str],
) -> Matrix:
    by_key = {(c.row, c.column): c for c in cells}
    row_keys = sorted({c.row for c in cells} | {r for r, _ in overdue if metric == "overdue"})
    column_keys = sorted(
        {c.column for c in cells} | ({col for _, col in overdue} if metric == "overdue" else set())
    )

    def value(key: tuple[str, str]) -> float:
        cell = by_key.get(key)
        if metric == "negative":
            return cell.negative_share if cell else 0.0
        if metric == "overdue":
            return float(overdue.get(key, 0))
        return float(cell.count) if cell else 0.0

    top = max((value((r, c)) for r in row_keys for c in column_keys), default=0.0) or 1.0
    rows = []
    for r in row_keys:
        out: list[Cell | None] = []
        for c in column_keys:
            v = value((r, c))
            cell = by_key.get((r, c))
            if not v and cell is None:
                out.append(None)
                continue
            text = f"{v:.0%}" if metric == "negative" else f"{v:.0f}"
            drill = f"{q} {field_filter('block', r)} {field_filter(column_field, c)}".strip()
            if metric == "overdue":
                href = "/cases?" + urlencode({"block": r, "sla": "overdue"})
            else:
                href = "/search?" + urlencode({"q": drill})
            out.append(Cell(v, text, min(5, round(v / top * 5)), href))
        rows.append((r, out))
    return Matrix([(c, labels.get(c, c)) for c in column_keys], rows)


def router(web: Web) -> APIRouter:
    api = APIRouter()
    tiles = tiles_from(web.runtime.settings)

    @api.get("/heatmap", response_class=HTMLResponse)
    def heatmap(
        request: Request,
        signed: Annotated[Signed, Depends(web.viewer(Permission.HEATMAP))],
        q: Annotated[str, Query(max_length=2000)] = "date:-30d",
        metric: str = "volume",
    ) -> HTMLResponse:
        metric = metric if metric in METRICS else "volume"
        error = ""
        try:
            aggs = web.runtime.index.aggregate(q, size=10)
            cells_s, cells_d = aggs.heat_settlement, aggs.heat_department
        except QuerySyntaxError as exc:
            error, cells_s, cells_d = str(exc), (), ()
        with web.runtime.db.session() as session:
            overdue_s, overdue_d = queries.overdue_matrix(session, web.now())
            places, open_total = queries.open_case_places(session, MAP_POINTS) if tiles else ([], 0)
        incident_map = (
            build_map(places, web.municipality, web.now(), can(signed.user, Permission.CASES))
            if tiles
            else None
        )
        by_settlement = build(cells_s, overdue_s, metric, q, "settlement", {})
        by_department = build(cells_d, overdue_d, metric, q, "department", web.departments)
        return web.render(
            request,
            "heatmap.html",
            signed,
            q=q,
            metric=metric,
            metrics=METRICS,
            error=error,
            matrices=[
                ("Блок × поселение", "settlement", by_settlement),
                ("Блок × отдел", "department", by_department),
            ],
            tiles=tiles,
            incident_map=incident_map,
            open_total=open_total,
            center=web.municipality.center,
            sla_legend=SLA_LEGEND,
        )

    return api
