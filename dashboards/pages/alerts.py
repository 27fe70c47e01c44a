"""The curator's feed of risk alerts, with why each was raised, and «Принято»."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dashboards.roles import Permission
from dashboards.web import Signed, Web


def router(web: Web) -> APIRouter:
    api = APIRouter()

    @api.get("/alerts", response_class=HTMLResponse)
    def alerts(
        request: Request,
        signed: Annotated[Signed, Depends(web.viewer(Permission.ALERTS))],
        pending: bool = False,
    ) -> HTMLResponse:
        items = web.runtime.alerts.latest(limit=200)
        if pending:
            items = [alert for alert in items if alert.acknowledged_at is None]
        return web.render(request, "alerts.html", signed, alerts=items, pending=pending)

    @api.post("/alerts/{alert_id}/ack")
    def acknowledge(
        request: Request, alert_id: int, signed: Annotated[Signed, Depends(web.actor(Permission.ACK_ALERTS))]
    ) -> RedirectResponse:
        before = web.runtime.alerts.get(alert_id)
        done = web.runtime.alerts.acknowledge(alert_id, signed.user.login, web.now())
        web.audit(
            request,
            signed.user.login,
            "alert.acknowledge",
            "alert",
            str(alert_id),
            before={"acknowledged_by": before.acknowledged_by if before else None},
            after={"acknowledged_by": signed.user.login if done else None, "changed": done},
        )
        return RedirectResponse(f"/alerts#alert-{alert_id}", status_code=303)

    return api
