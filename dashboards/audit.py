"""Every state-changing request leaves an audit row, whatever happened to it.

Handlers write rich rows themselves (before/after of a case, the alert acknowledged) and
flag the request; this ASGI middleware writes a plain row for every other POST/PUT/PATCH/DELETE
— a rejected CSRF token, a refused permission, a crash — so nothing that tried to change state
goes unrecorded. Reads are audited by the pages that show personal data (case details, exports).
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboards.web import ACTOR, AUDITED
from infopole.domain.user import AuditEvent
from infopole.storage.audit import AuditLog

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuditMiddleware:
    def __init__(self, app: ASGIApp, log: AuditLog) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        recorded = False

        async def record(status: int) -> None:
            nonlocal recorded
            if recorded or scope.get(AUDITED):
                return
            recorded = True
            client = scope.get("client") or ("", 0)
            event = AuditEvent(
                at=datetime.now(UTC),
                actor=str(scope.get(ACTOR, "-")),
                action=f"http.{scope['method'].lower()}",
                object_type="request",
                object_id=scope["path"],
                after={"status": status},
                client=str(client[0]),
            )
            await run_in_threadpool(self.log.record, event)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                await record(int(message["status"]))  # before the client can see the answer
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            await record(500)  # the app failed before answering
