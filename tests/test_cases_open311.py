"""Open311 GeoReport v2 over real HTTP: uvicorn on 127.0.0.1, httpx as the client, every response
validated against the GeoReport v2 shapes (JSON Schema)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import uvicorn
from fastapi import FastAPI

from infopole.incidents.open311 import open311_router
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from tests.case_fixtures import MUNICIPALITY, NOW, analysis, post

NULLABLE_STRING = {"type": ["string", "null"]}
SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "properties": {
            "service_code": {"type": "string", "minLength": 1},
            "service_name": {"type": "string"},
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
        },
    },
}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
REQUESTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "status", "service_code", "requested_datetime", "lat", "long"],
        "properties": {
            "service_request_id": {"type": "string", "pattern": r"^\d+$"},
            "status": {"enum": ["open", "closed"]},
            "status_notes": NULLABLE_STRING,
            "requested_datetime": DATETIME,
            "updated_datetime": DATETIME,
            "expected_datetime": DATETIME,
            "lat": {"type": ["number", "null"]},
            "long": {"type": ["number", "null"]},
        },
    },
}
CREATED = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["service_request_id"],
        "properties": {"service_request_id": {"type": "string"}},
    },
}
ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


def valid(body: Any, schema: dict[str, Any]) -> Any:
    jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())
    return body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def api(tmp_path: Path) -> Iterator[httpx.Client]:
    db = Database(f"sqlite:///{tmp_path / 'open311.db'}")
    first = post("1")
    PostStore(db).save_batch([first], [], NOW)
    store = IncidentStore(db)
    store.take_incidents([(first, analysis(first))], MUNICIPALITY, NOW)
    app = FastAPI()
    app.include_router(open311_router(store, MUNICIPALITY, lambda: NOW, {"secret-key"}), prefix="/open311/v2")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/open311/v2", timeout=10) as client:
        yield client
    server.should_exit = True
    thread.join(10)
    db.close()


def test_services_are_the_blocks(api: httpx.Client) -> None:
    body = valid(api.get("/services.json").json(), SERVICES)
    codes = [service["service_code"] for service in body]
    assert codes == sorted(codes) and {"ЖКХ", "Дороги", "Культура"} <= set(codes)
    roads = next(service for service in body if service["service_code"] == "Дороги")
    assert "Комитет ЖКХ" in roads["description"] and "Администрация Ивангорода" in roads["description"]


def test_post_then_read_a_request(api: httpx.Client) -> None:
    form = {
        "api_key": "secret-key",
        "service_code": "Дороги",
        "description": "Провал асфальта на Кингисеппском шоссе",
        "address_string": "Ивангород, Кингисеппское шоссе 12",
        "lat": "59.37",
        "long": "28.22",
    }
    response = api.post("/requests.json", data=form)
    assert response.status_code == 201
    (created,) = valid(response.json(), CREATED)
    (request,) = valid(api.get(f"/requests/{created['service_request_id']}.json").json(), REQUESTS)
    assert request["status"] == "open" and request["agency_responsible"] == "Администрация Ивангорода"
    assert (request["lat"], request["long"]) == (59.37, 28.22)
    assert request["requested_datetime"] == "2026-11-23T12:00:00+03:00"
    assert request["expected_datetime"] == "2026-11-24T11:00:00+03:00"
    listed = valid(
        api.get("/requests.json", params={"service_code": "Дороги", "status": "open"}).json(), REQUESTS
    )
    assert {item["service_request_id"] for item in listed} == {"1", created["service_request_id"]}
    assert valid(api.get("/requests.json", params={"status": "closed"}).json(), REQUESTS) == []
    by_id = valid(api.get("/requests.json", params={"service_request_id": "1,999"}).json(), REQUESTS)
    assert [item["service_request_id"] for item in by_id] == ["1"]


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"api_key": "wrong", "service_code": "Дороги", "description": "x", "address_string": "a"}, 403),
        ({"api_key": "secret-key", "service_code": "Космос", "description": "x", "address_string": "a"}, 400),
        ({"api_key": "secret-key", "service_code": "Дороги", "description": " ", "address_string": "a"}, 400),
        ({"api_key": "secret-key", "service_code": "Дороги", "description": "x"}, 400),
    ],
)
def test_bad_posts_get_georeport_errors(api: httpx.Client, form: dict[str, str], status: int) -> None:
    response = api.post("/requests.json", data=form)
    assert response.status_code == status
    valid(response.json(), ERRORS)
    assert len(valid(api.get("/requests.json").json(), REQUESTS)) == 1  # nothing was created


def test_unknown_request_is_a_404(api: httpx.Client) -> None:
    response = api.get("/requests/999.json")
    assert response.status_code == 404
    valid(response.json(), ERRORS)
