"""Sign-in and sign-out.

The login form carries its own CSRF token (a random value in a cookie and in the form, compared
on POST) because there is no session yet to hold one. A successful login always issues a new
session id and ends the one the browser brought, so an id planted before login is worthless.
"""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboards.roles import Permission
from dashboards.sessions import SESSION_LIFETIME
from dashboards.web import SESSION_COOKIE, Signed, Web, client_ip

LOGIN_CSRF_COOKIE = "infopole_login_csrf"


def _safe_next(target: str) -> str:
    """Only local paths: ``next`` must not become an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def router(web: Web) -> APIRouter:
    api = APIRouter()

    @api.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return _form(request, next)

    def _form(request: Request, next: str, error: str = "", status_code: int = 200) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = web.render(
            request, "login.html", None, status_code=status_code, login_csrf=token, next=next, error=error
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )
        return response

    @api.post("/login", response_model=None)
    def login(
        request: Request,
        login: Annotated[str, Form(max_length=80)],
        password: Annotated[str, Form(max_length=200)],
        csrf: Annotated[str, Form(max_length=100)] = "",
        next: Annotated[str, Form(max_length=500)] = "/",
    ) -> Response:
        now, client = web.now(), client_ip(request)
        login = login.strip()
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not csrf or not expected or not hmac.compare_digest(csrf, expected):
            web.audit(request, login or "-", "login.csrf_rejected", "user", login or "-")
            return _form(request, next, "Форма устарела, войдите ещё раз.", 403)
        if not web.throttle.allowed(login, client, now):
            web.audit(request, login, "login.throttled", "user", login)
            return _form(request, next, "Слишком много неудачных попыток. Попробуйте через 10 минут.", 429)
        user = web.users.authenticate(login, password)
        web.throttle.record(login, client, user is not None, now)
        if user is None:
            web.audit(request, login, "login.failed", "user", login)
            return _form(request, next, "Неверный логин или пароль.", 401)
        old = web.sessions.token_from_cookie(request.cookies.get(SESSION_COOKIE))
        if old:
            web.sessions.end(old)
        session = web.sessions.create(user.login, client, now)
        web.audit(request, user.login, "login", "user", user.login)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            web.sessions.cookie_value(session.token),
            max_age=int(SESSION_LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @api.post("/logout")
    def logout(
        request: Request, signed: Annotated[Signed, Depends(web.actor(Permission.OVERVIEW))]
    ) -> Response:
        web.sessions.end(signed.session.token)
        web.audit(request, signed.user.login, "logout", "user", signed.user.login)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    return api
