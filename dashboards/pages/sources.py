"""The information field's sources: collector health (``crawlers.health``, the same verdicts as
the CLI and the silence alert) and the candidates discovery found. Approving a candidate records
the decision; the source itself is added to the municipality file, which stays reviewed and
versioned — so this page decides and explains, it does not edit YAML."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from crawlers.health import report
from dashboards.roles import Permission
from dashboards.web import Signed, Web
from infopole.domain.candidate import CandidateStatus
from infopole.storage.candidates import CandidateStore


def router(web: Web) -> APIRouter:
    api = APIRouter()
    candidates = CandidateStore(web.runtime.db)

    @api.get("/sources", response_class=HTMLResponse)
    def sources(
        request: Request, signed: Annotated[Signed, Depends(web.viewer(Permission.SOURCES))]
    ) -> HTMLResponse:
        rule = web.municipality.alerts.silence
        configured = {source.id: source for source in web.municipality.sources}
        rows = report(
            web.runtime.posts.source_states(),
            web.now(),
            silence_hours=rule.max_silence_hours,
            stale_hours=rule.collector_stale_hours,
            per_source=rule.per_source,
            source_ids=[s.id for s in web.municipality.sources if s.enabled],
        )
        official = {page.source: page for page in web.municipality.official_pages}
        return web.render(
            request,
            "sources.html",
            signed,
            rows=rows,
            configured=configured,
            official=official,
            candidates=candidates.list(CandidateStatus.NEW)[:100],
            file=web.runtime.settings.municipality_file,
        )

    @api.post("/sources/candidates/{candidate_id}")
    def decide(
        request: Request,
        candidate_id: int,
        signed: Annotated[Signed, Depends(web.actor(Permission.ADMIN))],
        decision: Annotated[str, Form()],
    ) -> RedirectResponse:
        status = CandidateStatus.APPROVED if decision == "approve" else CandidateStatus.REJECTED
        before = candidates.get(candidate_id)
        if before is not None:
            candidates.decide(candidate_id, status, web.now())
        web.audit(
            request,
            signed.user.login,
            f"candidate.{status.value}",
            "source_candidate",
            str(candidate_id),
            before={"status": before.status.value} if before else None,
            after={"status": status.value} if before else None,
        )
        return RedirectResponse("/sources#candidates", status_code=303)

    return api
