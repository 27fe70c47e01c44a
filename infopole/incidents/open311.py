"""The queue as an Open311 GeoReport v2 API, so other appeals systems can read and post cases.

Services are the topic blocks the municipality's departments answer for; requests are cases.
Implemented: GET services.json, GET requests.json (filters: service_request_id, service_code,
status, start_date, end_date), GET requests/{id}.json, POST requests.json (form-encoded, with an
``api_key``). Errors are GeoReport's ``[{"code", "description"}]``. A FastAPI router the
dashboard app mounts, e.g. ``app.include_router(open311_router(...), prefix="/open311/v2")``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import JSONResponse

from infopole.config.municipality import Municipality
from infopole.domain.incident import CaseKind
from infopole.incidents.appeals_import import settlement_of
from infopole.incidents.cases import new_case, title_of
from infopole.incidents.georeport import request_json
from infopole.storage.incidents import CaseNotFound, IncidentStore

Clock = Callable[[], datetime]
MAX_REQUESTS = 1000  # GeoReport: "the default should be 90 days or 1000 requests, whichever is smaller"


def services(municipality: Municipality) -> list[dict[str, Any]]:
    owners: dict[str, list[str]] = {}
    for department in municipality.departments:
        for block in department.blocks:
            owners.setdefault(block, []).append(department.name)
    return [
        {
            "service_code": block,
            "service_name": block,
            "description": "Ответственные: " + "; ".join(names),
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": block,
        }
        for block, names in sorted(owners.items())
    ]


def _error(status: int, code: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": code, "description": description}], status_code=status)


def open311_router(
    store: IncidentStore, municipality: Municipality, clock: Clock, api_keys: Collection[str]
) -> APIRouter:
    router = APIRouter()
    blocks = {service["service_code"] for service in services(municipality)}

    @router.get("/services.json")
    def list_services() -> list[dict[str, Any]]:
        return services(municipality)

    @router.get("/requests.json", response_model=None)
    def list_requests(
        service_request_id: str | None = None,
        service_code: str | None = None,
        status: str | None = Query(default=None, pattern="^(open|closed)(,(open|closed))?$"),
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> list[dict[str, Any]] | JSONResponse:
        if service_request_id:
            wanted = [part for part in service_request_id.split(",") if part.strip()]
            if not all(part.strip().isdigit() for part in wanted):
                return _error(400, 400, "service_request_id: ожидаются номера через запятую")
            found = []
            for part in wanted:
                try:
                    found.append(store.get(int(part)))
                except CaseNotFound:
                    continue
            return [request_json(incident, municipality) for incident in found]
        statuses = set(status.split(",")) if status else {"open", "closed"}
        selected = [
            incident
            for incident in store.list(limit=MAX_REQUESTS)
            if (service_code is None or incident.block == service_code)
            and ("open" if incident.is_open else "closed") in statuses
            and (start_date is None or incident.opened_at >= start_date)
            and (end_date is None or incident.opened_at < end_date)
        ]
        return [request_json(incident, municipality) for incident in selected]

    @router.get("/requests/{request_id}.json", response_model=None)
    def one_request(request_id: str) -> list[dict[str, Any]] | JSONResponse:
        if not request_id.isdigit():
            return _error(404, 404, f"нет обращения {request_id}")
        try:
            return [request_json(store.get(int(request_id)), municipality)]
        except CaseNotFound:
            return _error(404, 404, f"нет обращения {request_id}")

    @router.post("/requests.json", response_model=None)
    def create_request(
        api_key: Annotated[str, Form()] = "",
        service_code: Annotated[str, Form()] = "",
        description: Annotated[str, Form()] = "",
        address_string: Annotated[str, Form()] = "",
        lat: Annotated[float | None, Form()] = None,
        long: Annotated[float | None, Form()] = None,
    ) -> list[dict[str, Any]] | JSONResponse:
        if not api_key or api_key not in api_keys:
            return _error(403, 403, "неверный api_key")
        if service_code not in blocks:
            return _error(400, 400, f"неизвестный service_code «{service_code}»")
        if not description.strip():
            return _error(400, 400, "нужно описание (description)")
        if not address_string.strip() and (lat is None or long is None):
            return _error(400, 400, "нужен адрес (address_string) или координаты (lat, long)")
        now = clock()
        incident = new_case(
            title=title_of(description),
            description=description.strip(),
            block=service_code,
            settlement=settlement_of(address_string, municipality),
            municipality=municipality,
            now=now,
            kind=CaseKind.MESSAGE,
            channel="open311",
            address=address_string.strip(),
            lat=lat,
            lon=long,
            actor="open311",
        )
        saved = store.add(incident, now, actor=f"open311:{api_key[:6]}", municipality=municipality)
        notice = f"Срок ответа: {request_json(saved, municipality)['expected_datetime']}"
        return JSONResponse(
            [{"service_request_id": str(saved.id), "service_notice": notice}], status_code=201
        )

    return router
