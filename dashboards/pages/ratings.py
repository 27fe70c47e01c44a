"""Ratings of departments and officials (рейтингование) for a period, from the cases' update history
and the citizens' reactions to the answers."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from dashboards.roles import Permission
from dashboards.web import Signed, Web
from infopole.incidents.export import RATING_COLUMNS, rating_rows, to_csv, to_xlsx
from infopole.incidents.ratings import TRIAGE, rate_departments, rate_officials
from infopole.storage.reply_checks import ReplyCheckStore

PERIODS = {7: "7 дней", 30: "30 дней", 90: "квартал", 365: "год"}


def router(web: Web) -> APIRouter:
    api = APIRouter()

    @api.get("/ratings", response_class=HTMLResponse)
    def ratings(
        request: Request,
        signed: Annotated[Signed, Depends(web.viewer(Permission.RATINGS))],
        days: Annotated[int, Query(ge=1, le=366)] = 30,
    ) -> HTMLResponse:
        now = web.now()
        cases = web.runtime.incidents.opened_between(now - timedelta(days=days), now)
        reactions = ReplyCheckStore(web.runtime.db).reactions([case.id or 0 for case in cases])
        rated = rate_departments(cases, web.municipality, now, reactions)
        officials = rate_officials(cases, web.municipality, now, reactions)
        names = web.departments | {TRIAGE: "на распределении"}
        chart = {
            "labels": [names.get(r.department_id, r.department_id)[:30] for r in rated],
            "series": [
                {"label": "в срок, %", "data": [round((r.answered_in_time_share or 0) * 100) for r in rated]},
                {"label": "просрочено", "data": [r.overdue for r in rated]},
            ],
        }
        return web.render(
            request,
            "ratings.html",
            signed,
            ratings=rated,
            officials=officials,
            names=names,
            days=days,
            periods=PERIODS,
            chart=chart,
            cases=len(cases),
            min_cases=web.municipality.cases.min_cases_for_rating,
        )

    @api.get("/ratings/export.{fmt}")
    def export(
        fmt: str,
        signed: Annotated[Signed, Depends(web.viewer(Permission.RATINGS))],
        days: Annotated[int, Query(ge=1, le=366)] = 30,
    ) -> Response:
        if fmt not in ("csv", "xlsx"):
            raise HTTPException(404)
        now = web.now()
        cases = web.runtime.incidents.opened_between(now - timedelta(days=days), now)
        reactions = ReplyCheckStore(web.runtime.db).reactions([case.id or 0 for case in cases])
        rows = rating_rows(
            rate_departments(cases, web.municipality, now, reactions),
            rate_officials(cases, web.municipality, now, reactions),
            web.departments | {TRIAGE: "на распределении"},
        )
        if fmt == "csv":
            body, media = to_csv(rows, RATING_COLUMNS), "text/csv; charset=utf-8"
        else:
            xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            body, media = to_xlsx(rows, "Рейтинг", RATING_COLUMNS), xlsx
        disposition = f'attachment; filename="reyting.{fmt}"'
        return Response(body, media_type=media, headers={"Content-Disposition": disposition})

    return api
