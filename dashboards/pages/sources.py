"""The information field's sources: collector health (``crawlers.health``, the same verdicts as
the CLI and the silence alert) and the candidates discovery found. Approving a candidate adds it
to the municipality file as a source (``infopole.sources.approval``, the same as ``infopole
sources approve``); a refused edit leaves it pending. The administrator adds and removes sources
here too: that edits the municipality file itself (``infopole.sources.file``: validated,
atomic), which stays the one reviewed description of the information field, read by the flows
at every run."""

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from crawlers.health import report
from dashboards.roles import Permission
from dashboards.web import Signed, Web
from infopole.config.municipality import ConfigError, Municipality, load_municipality
from infopole.domain.candidate import CandidateStatus
from infopole.domain.source import Source, SourceKind
from infopole.sources.approval import (
    APPROVED_ACTION,
    OBJECT_TYPE,
    REFUSED_ACTION,
    CandidateNotFound,
    approve_candidate,
    refusal_after,
)
from infopole.sources.file import SourceEditError, add_source, remove_source, write_atomically
from infopole.storage.candidates import CandidateStore


def router(web: Web) -> APIRouter:
    api = APIRouter()
    candidates = CandidateStore(web.runtime.db)
    path = web.runtime.settings.municipality_file
    editing = threading.Lock()  # one read-modify-write of the file at a time

    def current() -> Municipality:
        """The file as it is now (an edit here or on disk shows at once), or the loaded one if broken."""
        if path is None:
            return web.municipality
        try:
            return load_municipality(path)
        except ConfigError:
            return web.municipality

    def page(
        request: Request, signed: Signed, ok: str = "", error: str = "", status_code: int = 200
    ) -> HTMLResponse:
        municipality = current()
        rule = municipality.alerts.silence
        configured = {source.id: source for source in municipality.sources}
        rows = report(
            web.runtime.posts.source_states(),
            web.now(),
            silence_hours=rule.max_silence_hours,
            stale_hours=rule.collector_stale_hours,
            per_source=rule.per_source,
            source_ids=[s.id for s in municipality.sources if s.enabled],
        )
        official = {page.source: page for page in municipality.official_pages}
        return web.render(
            request,
            "sources.html",
            signed,
            status_code=status_code,
            rows=rows,
            configured=configured,
            official=official,
            candidates=candidates.list(CandidateStatus.NEW)[:100],
            file=path,
            kinds=[kind.value for kind in SourceKind],
            settlements=[s.name for s in municipality.settlements],
            ok=ok,
            error=error,
        )

    @api.get("/sources", response_class=HTMLResponse)
    def sources(
        request: Request,
        signed: Annotated[Signed, Depends(web.viewer(Permission.SOURCES))],
        added: str = "",
        removed: str = "",
        approved: str = "",
    ) -> HTMLResponse:
        ok = f"Источник «{added}» добавлен в файл муниципалитета." if added else ""
        ok = f"Источник «{removed}» удалён из файла муниципалитета." if removed else ok
        ok = f"Кандидат одобрен: источник «{approved}» добавлен в файл муниципалитета." if approved else ok
        return page(request, signed, ok=ok)

    def edit(request: Request, signed: Signed, source_id: str, adding: Source | None) -> Response:
        """Add ``adding`` or, if None, remove ``source_id``; refusals are audited and explained."""
        action = "source.add" if adding else "source.remove"
        if path is None:
            return page(request, signed, error="Файл муниципалитета не задан.", status_code=400)
        try:
            with editing:
                text = path.read_text(encoding="utf-8")
                before = next((s for s in load_municipality(path).sources if s.id == source_id), None)
                if adding is None:
                    new_text, _ = remove_source(text, source_id, str(path))
                else:
                    new_text, _ = add_source(text, adding, str(path))
                write_atomically(path, new_text)
        except (SourceEditError, ConfigError, OSError) as error:
            return refused(request, signed, action, source_id, str(error))
        web.audit(
            request,
            signed.user.login,
            action,
            "source",
            source_id,
            before=before.model_dump(mode="json") if before else None,
            after=adding.model_dump(mode="json") if adding else None,
        )
        verb = "added" if adding else "removed"
        return RedirectResponse(f"/sources?{verb}={source_id}#configured", status_code=303)

    def refused(request: Request, signed: Signed, action: str, source_id: str, reason: str) -> Response:
        web.audit(request, signed.user.login, f"{action}.refused", "source", source_id or "-",
                  after={"error": reason[:300]})  # fmt: skip
        return page(request, signed, error=f"Не сохранено: {reason}", status_code=400)

    @api.post("/sources/add", response_model=None)
    def add(
        request: Request,
        signed: Annotated[Signed, Depends(web.actor(Permission.ADMIN))],
        id: Annotated[str, Form(max_length=80)],
        kind: Annotated[str, Form(max_length=20)],
        title: Annotated[str, Form(max_length=300)],
        target: Annotated[str, Form(max_length=200)] = "",
        query: Annotated[str, Form(max_length=500)] = "",
        settlement: Annotated[str, Form(max_length=200)] = "",
        official: Annotated[bool, Form()] = False,
    ) -> Response:
        fields = {
            "id": id.strip(),
            "kind": kind,
            "title": title.strip(),
            "target": target.strip(),
            "query": query.strip(),
            "settlement": settlement.strip() or None,
            "official": official,
        }
        try:
            source = Source.model_validate(fields)
        except ValidationError as error:
            reasons = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'источник'}: {e['msg']}" for e in error.errors()
            )
            return refused(request, signed, "source.add", id.strip(), reasons)
        return edit(request, signed, source.id, source)

    @api.post("/sources/{source_id}/remove", response_model=None)
    def remove(
        request: Request, source_id: str, signed: Annotated[Signed, Depends(web.actor(Permission.ADMIN))]
    ) -> Response:
        return edit(request, signed, source_id, None)

    @api.post("/sources/candidates/{candidate_id}", response_model=None)
    def decide(
        request: Request,
        candidate_id: int,
        signed: Annotated[Signed, Depends(web.actor(Permission.ADMIN))],
        decision: Annotated[str, Form()],
    ) -> Response:
        if decision == "approve":
            return approve(request, signed, candidate_id)
        before = candidates.get(candidate_id)
        if before is not None:
            candidates.decide(candidate_id, CandidateStatus.REJECTED, web.now())
        web.audit(
            request,
            signed.user.login,
            f"candidate.{CandidateStatus.REJECTED.value}",
            OBJECT_TYPE,
            str(candidate_id),
            before={"status": before.status.value} if before else None,
            after={"status": CandidateStatus.REJECTED.value} if before else None,
        )
        return RedirectResponse("/sources#candidates", status_code=303)

    def approve(request: Request, signed: Signed, candidate_id: int) -> Response:
        """The candidate goes into the file as a source, then is marked approved: one audit event."""
        before = candidates.get(candidate_id)
        status_before = {"status": before.status.value} if before else None
        try:
            if path is None:
                raise SourceEditError("файл муниципалитета не задан")
            with editing:
                approval = approve_candidate(path, candidates, candidate_id, web.now())
        except CandidateNotFound:
            web.audit(request, signed.user.login, REFUSED_ACTION, OBJECT_TYPE, str(candidate_id),
                      after={"error": "no such candidate"})  # fmt: skip
            return page(request, signed, error="Такого кандидата нет.", status_code=404)
        except SourceEditError as error:
            web.audit(request, signed.user.login, REFUSED_ACTION, OBJECT_TYPE, str(candidate_id),
                      before=status_before, after=refusal_after(str(error)))  # fmt: skip
            title = f"«{before.title}» " if before else ""
            message = f"Кандидат {title}не одобрен и остаётся в списке: {error}"
            return page(request, signed, error=message, status_code=400)
        web.audit(request, signed.user.login, APPROVED_ACTION, OBJECT_TYPE, str(candidate_id),
                  before=status_before, after=approval.audit_after())  # fmt: skip
        return RedirectResponse(f"/sources?approved={approval.source.id}#configured", status_code=303)

    return api
