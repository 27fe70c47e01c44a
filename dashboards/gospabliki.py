"""The госпаблики page: every official page with its traffic light, a page's drill-down, and the
questions and complaints under official posts still waiting for an answer.

A self-contained ``APIRouter`` with its own templates (``templates/gospabliki/``). ``create_app``
includes it with its ``Web``, so the page needs a signed-in user allowed to see the sources (the
ответственный за госпаблики, the curators and the head); without one (tests, a bare app) it is open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from infopole.gospabliki.compute import PageView, compute, current
from infopole.gospabliki.metrics import Period
from infopole.gospabliki.report import build_report, summary_row, to_docx, to_xlsx
from infopole.gospabliki.store import GospablikiStore
from infopole.runtime import Runtime

if TYPE_CHECKING:
    from dashboards.web import Web

TEMPLATES = Path(str(resources.files("dashboards"))) / "templates" / "gospabliki"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _open(_: Request) -> None:
    return None


def router(
    runtime: Runtime, web: Web | None = None, clock: Callable[[], datetime] | None = None
) -> APIRouter:
    now = clock or (web.now if web is not None else (lambda: datetime.now(UTC)))
    guard: Callable[..., Any] = _open
    if web is not None:
        from dashboards.roles import Permission

        guard = web.viewer(Permission.SOURCES)
    templates = Jinja2Templates(directory=TEMPLATES)
    tz = runtime.municipality.tz
    templates.env.filters["local"] = lambda moment: (
        moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else "—"
    )
    salt = runtime.settings.author_salt.get_secret_value()
    api = APIRouter(prefix="/gospabliki", dependencies=[Depends(guard)])

    def views() -> list[PageView]:
        return current(GospablikiStore(runtime.db), runtime.municipality, now(), salt=salt)

    @api.get("", response_class=HTMLResponse)
    def pages(request: Request) -> HTMLResponse:
        shown = views()
        rows = [summary_row(view) for view in shown]
        unanswered = [(view, check) for view in shown for check in view.stats.checks if not check.answered]
        context = {
            "municipality": runtime.municipality,
            "rows": rows,
            "unanswered": unanswered,
            "now": now(),
            "window": runtime.municipality.gospabliki.window_days,
        }
        return templates.TemplateResponse(request, "pages.html", context)

    @api.get("/page/{source_id}", response_class=HTMLResponse)
    def page(request: Request, source_id: str) -> HTMLResponse:
        view = next((view for view in views() if view.stats.page.source == source_id), None)
        if view is None:
            raise HTTPException(404, "Нет такого госпаблика")
        context = {"municipality": runtime.municipality, "view": view, "row": summary_row(view), "now": now()}
        return templates.TemplateResponse(request, "page.html", context)

    @api.get("/report.{kind}")
    def report(
        kind: str,
        month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    ) -> Response:
        if kind not in ("xlsx", "docx"):
            raise HTTPException(404, "Отчёт бывает xlsx или docx")
        place = runtime.municipality
        try:
            period = Period.month(month, place.tz)
        except ValueError as error:
            raise HTTPException(400, str(error)) from error
        moment = now()
        built = build_report(
            place.name,
            period,
            compute(GospablikiStore(runtime.db), place, period, moment, salt=salt),
            moment,
            place.tz,
        )
        body, media = (to_xlsx(built), XLSX) if kind == "xlsx" else (to_docx(built), DOCX)
        name = f"gospabliki-{place.slug}-{month}.{kind}"
        return Response(
            body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    return api
