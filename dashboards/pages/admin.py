"""The administrator's page: who may sign in, and the audit trail (152-ФЗ). Accounts are managed
with ``infopole users`` on the server, so a stolen browser session cannot create new accounts."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dashboards.roles import ROLE_LABELS, Permission
from dashboards.web import Signed, Web


def router(web: Web) -> APIRouter:
    api = APIRouter()

    @api.get("/admin", response_class=HTMLResponse)
    def admin(
        request: Request,
        signed: Annotated[Signed, Depends(web.viewer(Permission.ADMIN))],
        actor: Annotated[str, Query(max_length=80)] = "",
    ) -> HTMLResponse:
        return web.render(
            request,
            "admin.html",
            signed,
            accounts=web.users.list(),
            roles=ROLE_LABELS,
            events=web.audit_log.latest(limit=300, actor=actor or None),
            actor=actor,
        )

    return api
