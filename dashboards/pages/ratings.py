"""Ratings of departments (рейтингование) for a period, from the cases' update history."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dashboards.roles import Permission
from dashboards.web import Signed, Web
from infopole.incidents.ratings import TRIAGE, rate_departments

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
        rated = rate_departments(cases, web.municipality, now)
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
            names=names,
            days=days,
            periods=PERIODS,
            chart=chart,
            cases=len(cases),
            min_cases=web.municipality.cases.min_cases_for_rating,
        )

    return api
