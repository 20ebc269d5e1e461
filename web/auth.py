"""Signing coordinators and viewers in and out, and the guard every board route passes.

The login form is protected by a double-submit CSRF cookie; a signed-in session
carries its own CSRF token, checked on every changing form. Logins are limited
per address in this process (``ATTEMPTS`` failures a ``WINDOW``) and per name in the
ledger (five wrong passwords lock it for 15 minutes).
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledger.db import transaction
from ledger.users import (
    LoginError,
    SignedIn,
    authenticate,
    close_session,
    open_session,
    session_user,
)
from web.pages import Web, same

COOKIE = "duban_session"
LOGIN_CSRF = "duban_login"
ATTEMPTS, WINDOW = 10, 300.0


class Limiter:
    """Failed logins per address in this process: ``ATTEMPTS`` within ``WINDOW`` seconds,
    then that address waits."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, address: str) -> bool:
        now, tries = time.monotonic(), self.failures[address]
        while tries and tries[0] < now - WINDOW:
            tries.popleft()
        return len(tries) >= ATTEMPTS

    def failed(self, address: str) -> None:
        self.failures[address].append(time.monotonic())


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or \
        request.headers.get("x-forwarded-proto", "") == "https"


def signed_in(web: Web, request: Request) -> SignedIn | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    with transaction(web.ledger) as s:
        found = session_user(s, token, web.clock())
        if found is not None:
            s.expunge(found.user)
        return found


def guard(web: Web, request: Request, csrf: str | None = None, *,
          change: bool = False) -> SignedIn | Response:
    """The signed-in user, or the answer to give instead: the login page for nobody, 403
    for a form without its session's CSRF token, 403 for a viewer changing anything."""
    who = signed_in(web, request)
    if who is None:
        target = quote(request.url.path) if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if csrf is not None and not same(csrf, who.csrf):
        return web.refuse(403, "表单已失效（缺少或不匹配的校验码）。请返回刷新页面后重新提交。",
                          who)
    if change and who.user.role != "coordinator":
        return web.refuse(403, "只读账号只能查看，不能审核、检查或重发。", who)
    return who


def login_page(web: Web, error: str = "", next_url: str = "/", status: int = 200
               ) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    page = web.page("login.html.j2", status, title="登录", error=error, csrf=token,
                    next=next_url if next_url.startswith("/") and not next_url.startswith("//")
                    else "/")
    page.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", max_age=3600)
    return page


def routes(app: FastAPI, web: Web) -> None:
    limiter = Limiter()

    @app.get("/login", response_class=HTMLResponse)
    def login_get(next: str = "/") -> HTMLResponse:
        return login_page(web, next_url=next)

    @app.post("/login", response_model=None)
    def login_post(request: Request, name: str = Form(""), password: str = Form(""),
                   csrf: str = Form(""), next: str = Form("/")
                   ) -> Response:
        if not same(csrf, request.cookies.get(LOGIN_CSRF, "")):
            return web.refuse(403, "登录表单已失效，请刷新登录页后重试。")
        address = request.client.host if request.client else "?"
        if limiter.blocked(address):
            return login_page(web, "登录尝试过于频繁，请 5 分钟后再试。", next, 429)
        now = web.clock()
        error = token = ""
        with transaction(web.ledger) as s:  # a failure is counted: commit it, don't raise
            try:
                user = authenticate(s, name.strip(), password, now)
                token, _ = open_session(s, user, now)
            except LoginError as exc:
                error = str(exc)
        if error:
            limiter.failed(address)
            return login_page(web, error, next, 401)
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax",
                            secure=_secure(request), max_age=12 * 3600)
        response.delete_cookie(LOGIN_CSRF)
        return response

    @app.post("/logout", response_model=None)
    def logout(request: Request, csrf: str = Form("")) -> Response:
        who = guard(web, request, csrf)
        if not isinstance(who, SignedIn):
            return who
        with transaction(web.ledger) as s:
            close_session(s, request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response
