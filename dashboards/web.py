"""The plumbing every page shares: who is signed in, what they may do, CSRF, audit, rendering.

Pages are routers built from one ``Web``; they declare what they need with the dependencies
``viewer(permission)`` (a signed-in user allowed to see) and ``actor(permission)`` (the same,
plus a valid CSRF token in the form: every state-changing request goes through it).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from dashboards.roles import ROLE_LABELS, Permission, can
from dashboards.sessions import LoginThrottle, SessionStore, WebSession
from infopole.domain.user import AuditEvent, User
from infopole.runtime import Runtime
from infopole.storage.audit import AuditLog
from infopole.storage.users import UserStore

SESSION_COOKIE = "infopole_session"
AUDITED = "infopole.audited"  # scope flag: the handler wrote its own, richer audit row
ACTOR = "infopole.actor"

Clock = Callable[[], datetime]


class NotSignedIn(Exception):
    pass


class Forbidden(Exception):
    pass


class CsrfFailed(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Signed:
    user: User
    session: WebSession


NAV: tuple[tuple[str, str, Permission], ...] = (
    ("/", "Обзор", Permission.OVERVIEW),
    ("/alerts", "Оповещения", Permission.ALERTS),
    ("/cases", "Обращения", Permission.CASES),
    ("/search", "Поиск", Permission.SEARCH),
    ("/heatmap", "Тепловая карта", Permission.HEATMAP),
    ("/ratings", "Рейтинг", Permission.RATINGS),
    ("/sources", "Источники", Permission.SOURCES),
    ("/reports", "Отчёты", Permission.REPORTS),
    ("/admin", "Журнал и пользователи", Permission.ADMIN),
)


class Web:
    def __init__(self, runtime: Runtime, templates_dir: Path, clock: Clock | None = None) -> None:
        self.runtime = runtime
        self.municipality = runtime.municipality
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.templates = Jinja2Templates(directory=templates_dir)
        self.templates.env.filters["local"] = self.local
        self.users = UserStore(runtime.db)
        self.audit_log = AuditLog(runtime.db)
        self.sessions = SessionStore(runtime.db, runtime.settings.session_secret.get_secret_value())
        self.throttle = LoginThrottle(runtime.db)
        self.departments = {d.id: d.name for d in self.municipality.departments}
        self.nav_hidden: set[str] = set()  # pages left out of this installation (e.g. no reports module)

    def now(self) -> datetime:
        return self.clock()

    def local(self, moment: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
        return moment.astimezone(self.municipality.tz).strftime(fmt) if moment else "—"

    # --- who is asking -------------------------------------------------------------------

    def signed_in(self, request: Request) -> Signed:
        token = self.sessions.token_from_cookie(request.cookies.get(SESSION_COOKIE))
        session = self.sessions.get(token, self.now()) if token else None
        user = self.users.get(session.login) if session else None
        if session is None or user is None:
            raise NotSignedIn
        request.scope[ACTOR] = user.login
        return Signed(user, session)

    def viewer(self, permission: Permission) -> Callable[[Request], Signed]:
        def dependency(request: Request) -> Signed:
            signed = self.signed_in(request)
            if not can(signed.user, permission):
                raise Forbidden
            return signed

        return dependency

    def actor(self, permission: Permission) -> Callable[[Request], Awaitable[Signed]]:
        async def dependency(request: Request) -> Signed:
            signed = self.signed_in(request)
            form = await request.form()  # cached by Starlette: the route's Form() fields still work
            sent = str(form.get("csrf", ""))
            if not sent or not hmac.compare_digest(sent, signed.session.csrf_token):
                raise CsrfFailed
            if not can(signed.user, permission):
                raise Forbidden
            return signed

        return dependency

    # --- the audit trail -----------------------------------------------------------------

    def audit(
        self,
        request: Request,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self.audit_log.record(
            AuditEvent(self.now(), actor, action, object_type, object_id, before, after, client_ip(request))
        )
        mark_audited(request)

    # --- rendering -----------------------------------------------------------------------

    def render(
        self, request: Request, template: str, signed: Signed | None, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        user = signed.user if signed else None
        nav = [
            (href, label)
            for href, label, permission in NAV
            if user is not None and can(user, permission) and href not in self.nav_hidden
        ]
        base = {
            "municipality": self.municipality,
            "user": user,
            "role_label": ROLE_LABELS[user.role] if user else "",
            "csrf": signed.session.csrf_token if signed else "",
            "nav": nav,
            "path": request.url.path,
            "can": (lambda permission: user is not None and can(user, Permission(permission))),
            "departments": self.departments,
        }
        return self.templates.TemplateResponse(request, template, base | context, status_code=status_code)


def client_ip(request: Request) -> str:
    """The peer address as uvicorn reports it (it applies X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else ""


def mark_audited(request: Request) -> None:
    request.scope[AUDITED] = True
