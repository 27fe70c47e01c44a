"""The morning page: today's new incidents, risks, overdue and due cases, the trend vs last week."""

from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from dashboards import queries
from dashboards.roles import Permission, can, department_scope
from dashboards.web import Signed, Web
from infopole.storage.incident_rows import load_incidents
from infopole.storage.tables import IncidentRow


def router(web: Web) -> APIRouter:
    api = APIRouter()

    @api.get("/", response_class=HTMLResponse)
    def overview(
        request: Request, signed: Annotated[Signed, Depends(web.viewer(Permission.OVERVIEW))]
    ) -> HTMLResponse:
        now, tz = web.now(), web.municipality.tz
        midnight = datetime.combine(now.astimezone(tz).date(), time(), tz)
        scope = department_scope(signed.user)
        with web.runtime.db.session() as session:
            f = queries.figures(session, now, midnight, scope, tz)
            urgent = None
            if can(signed.user, Permission.CASES):
                query = select(IncidentRow).where(
                    IncidentRow.status.in_(queries.OPEN), IncidentRow.due_at.is_not(None)
                )
                if scope is not None:
                    query = query.where(IncidentRow.department_id == scope)
                rows = list(session.scalars(query.order_by(IncidentRow.due_at).limit(10)))
                urgent = load_incidents(session, rows, with_updates=False)
        series = [{"label": "инциденты", "data": f.incidents_by_day}]
        if f.posts_by_day:
            series.append({"label": "публикации", "data": f.posts_by_day, "axis": "y1"})
        alerts = web.runtime.alerts.latest(limit=5) if can(signed.user, Permission.ALERTS) else []
        return web.render(
            request,
            "overview.html",
            signed,
            f=f,
            series=series,
            alerts=alerts,
            urgent=urgent,
            scope=scope,
            now=now,
            today=web.local(now, "%d.%m.%Y"),
        )

    return api
