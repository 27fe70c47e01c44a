"""The appeals queue and one case: filters, SLA timers, routing, answers, merge/split, history.

Every change goes through ``IncidentStore`` with the version the person saw (``expected_version``),
so two people working one case never overwrite each other silently: the second one is told to
look again. The store writes the before/after audit row; opening a case is audited here.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboards import queries
from dashboards.people import author_label, post_link
from dashboards.roles import Permission, can, department_scope, may_see_case, may_work_case
from dashboards.web import Forbidden, Signed, Web, client_ip, mark_audited
from infopole.config.blocks import subtopic_to_block
from infopole.domain.incident import Incident, IncidentStatus, InvalidTransition, RejectReason
from infopole.domain.lifecycle import can_move
from infopole.incidents import sla
from infopole.incidents.answer_checks import flagged_answers
from infopole.incidents.export import queue_rows, to_csv, to_xlsx
from infopole.storage.incidents import CaseConflict, CaseNotFound
from infopole.storage.reply_checks import ReplyCheckStore

ACTIONS: dict[str, tuple[str, IncidentStatus | None]] = {
    "interim": ("Промежуточный ответ", IncidentStatus.INTERIM),
    "answer": ("Окончательный ответ", IncidentStatus.ANSWERED),
    "formal": ("Отметить отписку", None),
    "resolve": ("Решено", IncidentStatus.RESOLVED),
    "reject": ("Отклонить", IncidentStatus.REJECTED),
    "reopen": ("Открыть повторно", IncidentStatus.REOPENED),
    "triage": ("Вернуть на распределение", IncidentStatus.TRIAGE),
}


def available_actions(incident: Incident) -> list[tuple[str, str]]:
    """Only the buttons the lifecycle allows from the current status."""
    out = []
    for key, (label, status) in ACTIONS.items():
        if status is None:
            if incident.is_open:
                out.append((key, label))
        elif can_move(incident.status, status):
            out.append((key, label))
    return out


def remaining(due: datetime | None, now: datetime) -> str:
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    days, hours = divmod(hours, 24)
    text = (f"{days} дн " if days else "") + f"{hours} ч {minutes:02d} мин"
    return f"осталось {text}" if seconds >= 0 else f"просрочено на {text}"


def case_subtopic(incident: Incident, subtopics: list[str]) -> str | None:
    """The subtopic shown for a case: its posts' first one of the case's block (the first at all when
    the case has no block); posts name a subtopic only when ``nlp.subtopic`` was confident."""
    mapping = subtopic_to_block()
    return next(
        (name for name in subtopics if incident.block is None or mapping.get(name) == incident.block), None
    )


def router(web: Web) -> APIRouter:
    api = APIRouter()
    policy = web.municipality.sla
    calendar = sla.calendar_for(policy, web.municipality.timezone)

    def timers(incidents: list[Incident], now: datetime) -> dict[int, dict[str, Any]]:
        out = {}
        for incident in incidents:
            pending = sla.deadline(incident, policy, calendar)
            state = pending.state(now) if pending else sla.SlaState.DONE
            due = pending.due_at if pending else None
            out[incident.id or 0] = {"state": state, "due": due, "left": remaining(due, now)}
        return out

    def load(case_id: int, signed: Signed) -> Incident:
        try:
            incident = web.runtime.incidents.get(case_id)
        except CaseNotFound as error:
            raise HTTPException(404, "Обращение не найдено") from error
        if not may_see_case(signed.user, incident):
            raise Forbidden
        return incident

    def back(case_id: int, **message: str) -> RedirectResponse:
        query = f"?{urlencode(message)}" if message else ""
        return RedirectResponse(f"/cases/{case_id}{query}", status_code=303)

    def change(
        request: Request, signed: Signed, case_id: int, version: int, mutate: Callable[[Incident], object]
    ) -> RedirectResponse:
        try:
            web.runtime.incidents.change(
                case_id,
                mutate,
                municipality=web.municipality,
                now=web.now(),
                actor=signed.user.login,
                expected_version=version,
                client=client_ip(request),
            )
        except CaseConflict:
            refused(request, signed, case_id, "stale version")
            return back(case_id, error="Обращение уже изменил кто-то другой — проверьте и повторите.")
        except (InvalidTransition, ValueError) as error:
            refused(request, signed, case_id, str(error))
            return back(case_id, error=str(error))
        mark_audited(request)  # the store wrote the audit row with before/after and the client
        return back(case_id, ok="Сохранено.")

    def refused(request: Request, signed: Signed, case_id: int, why: str) -> None:
        """The store wrote nothing, so the refused attempt is audited here."""
        web.audit(
            request, signed.user.login, "incident.refused", "incident", str(case_id), after={"error": why}
        )

    # --- the queue -------------------------------------------------------------------------

    def filters(
        status: str = "open", department: str = "", block: str = "", sla: str = "", q: str = "", page: int = 1
    ) -> queries.QueueFilter:
        try:
            sla_filter = queries.SlaFilter(sla)
        except ValueError:
            sla_filter = queries.SlaFilter.ANY
        return queries.QueueFilter(status, department, block, sla_filter, q.strip()[:200], max(1, page))

    @api.get("/cases", response_class=HTMLResponse)
    def queue(
        request: Request,
        signed: Annotated[Signed, Depends(web.viewer(Permission.CASES))],
        wanted: Annotated[queries.QueueFilter, Depends(filters)],
    ) -> HTMLResponse:
        now = web.now()
        scope = department_scope(signed.user)
        with web.runtime.db.session() as session:
            page = queries.queue(session, wanted, now, scope)
            blocks = queries.blocks_in_queue(session)
        params = {k: v for k, v in request.query_params.items() if k != "page"}
        return web.render(
            request,
            "cases.html",
            signed,
            page=page,
            wanted=wanted,
            timers=timers(page.incidents, now),
            unverified=flagged_answers(
                ReplyCheckStore(web.runtime.db), web.municipality, now, [c.id or 0 for c in page.incidents]
            ),
            blocks=blocks,
            scope=scope,
            statuses=list(IncidentStatus),
            sla_filters=[
                ("", "любой срок"),
                ("overdue", "просрочен"),
                ("due_today", "истекает за сутки"),
                ("on_time", "в срок"),
                ("done", "ответ дан / закрыт"),
            ],
            query=urlencode(params),
        )

    @api.get("/cases/export.{fmt}")
    def export(
        request: Request,
        fmt: str,
        signed: Annotated[Signed, Depends(web.viewer(Permission.CASES))],
        wanted: Annotated[queries.QueueFilter, Depends(filters)],
    ) -> Response:
        if fmt not in ("csv", "xlsx"):
            raise HTTPException(404)
        now, rows = web.now(), []
        with web.runtime.db.session() as session:
            for number in range(1, 201):  # at most 10,000 rows
                page = queries.queue(
                    session, replace(wanted, page=number), now, department_scope(signed.user)
                )
                rows.extend(queue_rows(page.incidents, web.municipality, now))
                if page.page >= page.pages:
                    break
        web.audit(
            request,
            signed.user.login,
            f"export.cases.{fmt}",
            "queue",
            str(request.url.query)[:200],
            after={"rows": len(rows)},
        )
        if fmt == "csv":
            body, media = to_csv(rows), "text/csv; charset=utf-8"
        else:
            body, media = to_xlsx(rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        disposition = f'attachment; filename="obrashcheniya.{fmt}"'
        return Response(body, media_type=media, headers={"Content-Disposition": disposition})

    # --- one case --------------------------------------------------------------------------

    @api.get("/cases/{case_id}", response_class=HTMLResponse)
    def case(
        request: Request,
        case_id: int,
        signed: Annotated[Signed, Depends(web.viewer(Permission.CASES))],
        ok: str = "",
        error: str = "",
    ) -> HTMLResponse:
        incident = load(case_id, signed)
        web.audit(request, signed.user.login, "view", "incident", str(case_id))
        now = web.now()
        salt = web.runtime.settings.author_salt.get_secret_value()
        keys = incident.post_keys[:100]
        analysed = {post.key: (post, a) for post, a in web.runtime.posts.analysed(keys=keys)}
        subtopics = {key: a.subtopic for key, (_, a) in analysed.items() if a.subtopic}
        posts = []
        for key in keys:  # a post without an analysis (a case registered by hand) is read alone
            post = analysed[key][0] if key in analysed else web.runtime.posts.get(key)
            if post is not None:
                posts.append(
                    {
                        "key": key,
                        "post": post,
                        "author": author_label(signed.user, post.author_id, post.author_is_community, salt),
                        "url": post_link(signed.user, post.url),
                        "subtopic": subtopics.get(key),
                    }
                )
        history = web.runtime.incidents.audit(case_id) if can(signed.user, Permission.ROUTE_CASES) else []
        return web.render(
            request,
            "case.html",
            signed,
            case=incident,
            timer=timers([incident], now)[case_id],
            posts=posts,
            subtopic=case_subtopic(incident, [subtopics[key] for key in keys if key in subtopics]),
            audit=history[-30:],
            actions=available_actions(incident) if may_work_case(signed.user, incident) else [],
            reasons=list(RejectReason),
            ok=ok[:200],
            error=error[:300],
        )

    @api.post("/cases/{case_id}/assign")
    def assign(
        request: Request,
        case_id: int,
        signed: Annotated[Signed, Depends(web.actor(Permission.ROUTE_CASES))],
        department: Annotated[str, Form()],
        version: Annotated[int, Form()],
        note: Annotated[str, Form(max_length=2000)] = "",
    ) -> RedirectResponse:
        load(case_id, signed)
        if department not in web.departments:
            return back(case_id, error="Нет такого отдела.")
        return change(
            request,
            signed,
            case_id,
            version,
            lambda case: case.assign(department, web.now(), signed.user.login, note=note),
        )

    @api.post("/cases/{case_id}/act")
    def act(
        request: Request,
        case_id: int,
        signed: Annotated[Signed, Depends(web.actor(Permission.WORK_CASES))],
        action: Annotated[str, Form()],
        version: Annotated[int, Form()],
        text: Annotated[str, Form(max_length=5000)] = "",
        link: Annotated[str, Form(max_length=1000)] = "",
        reason: Annotated[str, Form()] = RejectReason.NOT_A_PROBLEM.value,
    ) -> RedirectResponse:
        incident = load(case_id, signed)
        if not may_work_case(signed.user, incident):
            raise Forbidden
        if action not in ACTIONS:
            return back(case_id, error="Неизвестное действие.")
        if action in ("interim", "answer", "formal") and not text.strip():
            return back(case_id, error="Впишите текст ответа.")
        if link and not link.startswith(("https://", "http://")):
            return back(case_id, error="Ссылка должна начинаться с https://")
        try:
            reject_reason = RejectReason(reason)
        except ValueError:
            return back(case_id, error="Неизвестная причина отклонения.")
        at, who, text = web.now(), signed.user.login, text.strip()
        mutations: dict[str, Callable[[Incident], object]] = {
            "interim": lambda c: c.give_interim(text, at, who, link),
            "answer": lambda c: c.answer(text, at, who, link),
            "formal": lambda c: c.note_formal_reply(text, at, who, link),
            "resolve": lambda c: c.resolve(at, who, text),
            "reject": lambda c: c.reject(reject_reason, at, who, text),
            "reopen": lambda c: c.reopen(at, who, text),
            "triage": lambda c: c.send_to_triage(at, text or "возвращено ответственным", who),
        }
        return change(request, signed, case_id, version, mutations[action])

    @api.post("/cases/{case_id}/merge")
    def merge(
        request: Request,
        case_id: int,
        signed: Annotated[Signed, Depends(web.actor(Permission.ROUTE_CASES))],
        into: Annotated[int, Form()],
    ) -> RedirectResponse:
        load(case_id, signed)
        load(into, signed)
        try:
            web.runtime.incidents.merge(
                into, case_id, municipality=web.municipality, now=web.now(), actor=signed.user.login
            )
        except (InvalidTransition, ValueError, CaseConflict) as error:
            refused(request, signed, case_id, f"merge: {error}")
            return back(case_id, error=f"Объединить нельзя: {error}")
        mark_audited(request)
        return back(into, ok=f"Обращение №{case_id} присоединено.")

    @api.post("/cases/{case_id}/split")
    async def split(
        request: Request,
        case_id: int,
        signed: Annotated[Signed, Depends(web.actor(Permission.ROUTE_CASES))],
    ) -> RedirectResponse:
        load(case_id, signed)
        form = await request.form()
        keys = [str(key) for key in form.getlist("post")]
        title = str(form.get("title", ""))[:300].strip() or None
        try:
            created = web.runtime.incidents.split(
                case_id,
                keys,
                municipality=web.municipality,
                now=web.now(),
                actor=signed.user.login,
                title=title,
            )
        except (ValueError, CaseConflict) as error:
            refused(request, signed, case_id, f"split: {error}")
            return back(case_id, error=f"Разделить нельзя: {error}")
        mark_audited(request)
        return back(created.id or case_id, ok=f"Выделено из обращения №{case_id}.")

    return api
