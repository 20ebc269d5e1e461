"""Signing coordinators and viewers in and out, and the guard behind every board page
(``web/deps.py`` makes it the pages' dependencies).

The login form is protected by a double-submit CSRF cookie; a signed-in session
carries its own CSRF token, checked on every changing form. Both hold across
workers: the session and its token are in the ledger, the login token in the
browser. Failed logins are counted in the ledger per address and per name from an
address (``ledger.users``); the address is the peer's, or the one a configured
proxy forwarded (``DUBAN_TRUSTED_PROXIES``), never a header anyone can send.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cache
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledger.db import transaction
from ledger.users import (
    LoginError,
    SignedIn,
    TooManyAttempts,
    authenticate,
    close_session,
    open_session,
    session_user,
)
from web.pages import Web, WebDep, same

COOKIE = "duban_session"
LOGIN_CSRF = "duban_login"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def trusted_proxies(setting: str) -> tuple[Network, ...]:
    """``DUBAN_TRUSTED_PROXIES``: the addresses or networks (comma-separated) of the
    reverse proxies in front of the pages, whose ``X-Forwarded-For`` is believed."""
    try:
        return tuple(
            ipaddress.ip_network(p.strip(), strict=False) for p in setting.split(",") if p.strip()
        )
    except ValueError as exc:
        raise ValueError(
            f"环境变量 DUBAN_TRUSTED_PROXIES 有误：{exc}。"
            "请写代理的地址或网段，逗号分隔，如 10.0.0.5,10.1.0.0/16"
        ) from None


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(request: Request) -> str:
    """Who is asking: the peer, unless the peer is a trusted proxy; then the nearest
    address in ``X-Forwarded-For`` that is not one of ours (the rest is the client's
    word and may be forged)."""
    peer = request.client.host if request.client else "?"
    proxies = trusted_proxies(os.environ.get("DUBAN_TRUSTED_PROXIES", ""))
    if not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, proxies):
            return hop
    return peer


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def signed_in(web: Web, request: Request) -> SignedIn | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    with transaction(web.ledger) as s:
        found = session_user(s, token, web.clock())
        if found is not None:
            s.expunge(found.user)
        return found


def guard(
    web: Web, request: Request, csrf: str | None = None, *, change: bool = False
) -> SignedIn | Response:
    """The signed-in user, or the answer to give instead: the login page for nobody, 403
    for a form without its session's CSRF token, 403 for a viewer changing anything."""
    who = signed_in(web, request)
    if who is None:
        target = quote(request.url.path) if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if csrf is not None and not same(csrf, who.csrf):
        return web.refuse(
            403, "表单已失效（缺少或不匹配的校验码）。请返回刷新页面后重新提交。", who
        )
    if change and who.user.role != "coordinator":
        return web.refuse(403, "只读账号只能查看，不能审核、检查或重发。", who)
    return who


def login_page(web: Web, error: str = "", next_url: str = "/", status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    page = web.page(
        "login.html.j2",
        status,
        title="登录",
        error=error,
        csrf=token,
        next=next_url if next_url.startswith("/") and not next_url.startswith("//") else "/",
    )
    page.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", max_age=3600)
    return page


router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_get(web: WebDep, next: str = "/") -> HTMLResponse:
    return login_page(web, next_url=next)


@router.post("/login", response_model=None)
def login_post(
    request: Request,
    web: WebDep,
    name: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/"),
) -> Response:
    if not same(csrf, request.cookies.get(LOGIN_CSRF, "")):
        return web.refuse(403, "登录表单已失效，请刷新登录页后重试。")
    now = web.clock()
    error, status, token = "", 401, ""
    with transaction(web.ledger) as s:  # a failure is counted: commit it, don't raise
        try:
            user = authenticate(s, name.strip(), password, now, client_address(request))
            token, _ = open_session(s, user, now)
        except LoginError as exc:
            error, status = str(exc), 429 if isinstance(exc, TooManyAttempts) else 401
    if error:
        return login_page(web, error, next, status)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), max_age=12 * 3600
    )
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, web: WebDep, csrf: str = Form("")) -> Response:
    who = guard(web, request, csrf)
    if not isinstance(who, SignedIn):
        return who
    with transaction(web.ledger) as s:
        close_session(s, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
