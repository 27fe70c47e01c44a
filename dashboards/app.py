"""The МЦУ's screen: a server-rendered FastAPI app, Russian UI, no internet needed in the browser.

``create_app`` wires the pages (``dashboards.pages``), sign-in and roles (``dashboards.web``),
the audit middleware and the Open311 API. Every page needs a signed-in user whose role allows
it; every state-changing form carries the session's CSRF token; every such request is audited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from dashboards import gospabliki
from dashboards.audit import AuditMiddleware
from dashboards.incident_map import Tiles, tiles_from
from dashboards.metrics import PATH as METRICS_PATH
from dashboards.metrics import mount_metrics
from dashboards.pages import admin, alerts, auth, cases, heatmap, overview, ratings, reports, search, sources
from dashboards.web import Clock, CsrfFailed, Forbidden, NotSignedIn, Web
from infopole.incidents.open311 import open311_router
from infopole.runtime import Runtime

HERE = Path(str(resources.files("dashboards")))
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def content_security_policy(tiles: Tiles | None) -> str:
    """Everything from the app itself; images also from the tile server, if one is configured."""
    images = "'self' data:" + (f" {tiles.origin}" if tiles else "")
    return (
        f"default-src 'self'; img-src {images}; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )


def create_app(runtime: Runtime, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(title="Инфополе", docs_url=None, redoc_url=None, openapi_url=None)
    web = Web(runtime, HERE / "templates", clock)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for page in (auth, overview, alerts, cases, search, heatmap, ratings, sources, admin):
        app.include_router(page.router(web))
    app.include_router(gospabliki.router(runtime, web))
    mount_metrics(app, runtime)
    if reports.available():
        app.include_router(reports.router(web))
    else:
        web.nav_hidden.add("/reports")
    app.include_router(
        open311_router(
            runtime.incidents,
            runtime.municipality,
            lambda: datetime.now(UTC),
            set(runtime.settings.open311_api_keys),
        ),
        prefix="/open311/v2",
    )
    app.add_middleware(AuditMiddleware, log=web.audit_log)
    csp = content_security_policy(tiles_from(runtime.settings))
    headers = SECURITY_HEADERS | {"Content-Security-Policy": csp}

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "no-store")  # personal data stays out of caches
        return response

    @app.exception_handler(NotSignedIn)
    def not_signed_in(request: Request, _: Exception) -> Response:
        if request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return web.render(request, "error.html", None, 401, heading="Нужно войти", message="Сессия истекла.")

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, _: Exception) -> Response:
        return web.render(
            request,
            "error.html",
            None,
            403,
            heading="Недостаточно прав",
            message="Эта страница не для вашей роли.",
        )

    @app.exception_handler(CsrfFailed)
    def csrf_failed(request: Request, _: Exception) -> Response:
        return web.render(
            request,
            "error.html",
            None,
            403,
            heading="Запрос отклонён",
            message="Форма устарела или отправлена не с этой страницы (CSRF). Обновите страницу.",
        )

    @app.exception_handler(HTTPException)
    def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/open311/") or request.url.path == METRICS_PATH:
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        return web.render(
            request,
            "error.html",
            None,
            error.status_code,
            heading=f"Ошибка {error.status_code}",
            message=str(error.detail),
        )

    @app.get("/healthz")
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> HTMLResponse:
        return HTMLResponse(status_code=204)

    return app
