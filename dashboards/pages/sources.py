"""The information field's sources and the collectors' health. Adding or removing a source is a
change of the municipality file (reviewed, versioned), so this page shows and explains, not edits."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from dashboards.roles import Permission
from dashboards.web import Signed, Web
from infopole.domain.source import Source

STALE_AFTER = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Health:
    source: Source
    state: str  # ok, stale, failing, never, disabled
    label: str
    last_success_at: datetime | None
    last_item_at: datetime | None
    items_total: int
    error_count: int
    last_error: str


def health(source: Source, state: object | None, now: datetime) -> Health:
    success = getattr(state, "last_success_at", None)
    error_at = getattr(state, "last_error_at", None)
    if not source.enabled:
        kind, label = "disabled", "отключён"
    elif state is None or getattr(state, "last_run_at", None) is None:
        kind, label = "never", "ещё не собирался"
    elif error_at is not None and (success is None or error_at > success):
        kind, label = "failing", "ошибка сбора"
    elif success is None or now - success > STALE_AFTER:
        kind, label = "stale", "давно не обновлялся"
    else:
        kind, label = "ok", "работает"
    return Health(
        source,
        kind,
        label,
        success,
        getattr(state, "last_item_at", None),
        int(getattr(state, "items_total", 0) or 0),
        int(getattr(state, "error_count", 0) or 0),
        str(getattr(state, "last_error", "") or "")[:300],
    )


def router(web: Web) -> APIRouter:
    api = APIRouter()

    @api.get("/sources", response_class=HTMLResponse)
    def sources(
        request: Request, signed: Annotated[Signed, Depends(web.viewer(Permission.SOURCES))]
    ) -> HTMLResponse:
        now = web.now()
        states = {state.source_id: state for state in web.runtime.posts.source_states()}
        rows = [health(source, states.get(source.id), now) for source in web.municipality.sources]
        official = {page.source: page for page in web.municipality.official_pages}
        return web.render(
            request,
            "sources.html",
            signed,
            rows=rows,
            official=official,
            file=web.runtime.settings.municipality_file,
        )

    return api
