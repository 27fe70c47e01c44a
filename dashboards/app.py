"""The МЦУ's screen: a server-rendered FastAPI app, Russian UI, no internet needed in the browser.

This first version shows the overview (incidents with their deadlines, risky posts) and
search; roles, the queue's actions, heat map and reports come with the dashboards issue.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from infopole.domain.incident import Incident
from infopole.runtime import Runtime

HERE = Path(str(resources.files("dashboards")))


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="Инфополе", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["local"] = lambda moment: _local(runtime, moment)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        now = datetime.now(UTC)
        incidents = runtime.incidents.list(limit=200)
        departments = {d.id: d.name for d in runtime.municipality.departments}
        rows = [_incident_row(runtime, incident, departments, now) for incident in incidents]
        risky = [
            (post, analysis)
            for post, analysis in runtime.posts.analysed(limit=500)
            if analysis.risk_score >= 0.5 and not post.is_deleted
        ][:10]
        context = {
            "municipality": runtime.municipality,
            "alerts": runtime.alerts.latest(limit=20),
            "rows": rows,
            "risky": risky,
            "posts_total": runtime.posts.count(),
            "open_total": sum(1 for i in incidents if i.is_open),
            "overdue_total": sum(1 for r in rows if r["overdue"]),
        }
        return templates.TemplateResponse(request, "overview.html", context)

    @app.get("/search", response_class=HTMLResponse)
    def search(request: Request, q: str = Query(default="", max_length=2000)) -> HTMLResponse:
        from index.base import SearchRequest
        from index.query import QuerySyntaxError

        error, page = "", None
        if q.strip():
            try:
                page = runtime.index.search(SearchRequest(query=q, size=50))
            except QuerySyntaxError as exc:
                error = str(exc)
        hits = []
        for hit in page.hits if page else ():
            snippet = hit.snippets[0].marked() if hit.snippets else hit.document.text[:300]
            hits.append({"doc": hit.document, "snippet": Markup(snippet)})
        context = {
            "municipality": runtime.municipality,
            "q": q,
            "error": error,
            "total": page.total if page else 0,
            "hits": hits,
        }
        return templates.TemplateResponse(request, "search.html", context)

    @app.get("/healthz")
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "posts": runtime.posts.count()})

    return app


def _local(runtime: Runtime, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(runtime.municipality.tz).strftime("%d.%m.%Y %H:%M")


def _incident_row(
    runtime: Runtime, incident: Incident, departments: dict[str, str], now: datetime
) -> dict[str, Any]:
    post = runtime.posts.get(incident.post_keys[0]) if incident.post_keys else None
    overdue = bool(incident.is_open and incident.due_at and incident.due_at < now)  # the pending deadline
    return {
        "incident": incident,
        "department": departments.get(incident.department_id or "", "на распределении у руководителя МЦУ"),
        "post": post,
        "overdue": overdue,
        "messages": len(incident.post_keys),
    }
