"""What every page shares: the ledger, the clock, the templates, the security headers and
the error pages (every answer, a 404, 500 or 503 included, is a Chinese page with the
same headers)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pendulum
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import exc as db_errors
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.labels import LIGHTS
from ledger.links import link_secret
from ledger.models import Unit
from ledger.reports import ActionError, find_units

TEMPLATES = Path(__file__).with_name("templates")
env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "html.j2"], default=True),
)
env.globals["LIGHTS"] = LIGHTS

Clock = Callable[[], dt.datetime]


def real_clock() -> dt.datetime:
    return pendulum.now("UTC")


def offset_clock(start: dt.datetime) -> Clock:
    """A simulated clock that starts at ``start`` now and runs at the real pace (demos)."""
    origin = time.monotonic()

    def now() -> dt.datetime:
        return pendulum.instance(start).add(seconds=time.monotonic() - origin).in_timezone("UTC")

    now.simulated = True  # type: ignore[attr-defined]
    return now


@dataclass
class Web:
    ledger: sessionmaker[Session]
    clock: Clock
    upload_bytes: int

    @property
    def simulated(self) -> bool:
        return bool(getattr(self.clock, "simulated", False))

    def page(self, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        now = pendulum.instance(self.clock()).in_timezone("Asia/Shanghai")
        ctx.setdefault("signed", None)
        return HTMLResponse(
            env.get_template(name).render(
                simulated=now.format("YYYY-MM-DD HH:mm") if self.simulated else "", **ctx
            ),
            status_code=status,
        )

    def refuse(self, status: int, message: str, signed: object = None) -> HTMLResponse:
        title = {
            403: "无权操作",
            404: "没有找到",
            410: "链接不可用",
            413: "内容太大",
            429: "请稍后再试",
            500: "系统出错",
            503: "暂时无法访问",
        }.get(status, "无法完成")
        return self.page("gone.html.j2", status, title=title, message=message, signed=signed)


def the_web(request: Request) -> Web:
    """The app's ``Web`` (``create_app`` keeps it in ``app.state``), for route functions."""
    web: Web = request.app.state.web
    return web


WebDep = Annotated[Web, Depends(the_web)]


def local(at: dt.datetime) -> str:
    """A stored instant as the office reads it: Shanghai time, to the minute."""
    return pendulum.instance(at).in_timezone("Asia/Shanghai").format("YYYY-MM-DD HH:mm")


def unit_csrf(token: str) -> str:
    """A unit page's form token: tied to the link, unknown to anyone without the secret."""
    return hmac.new(link_secret(), f"csrf:{token}".encode(), hashlib.sha256).hexdigest()[:32]


def same(a: str, b: str) -> bool:
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; "
        b"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """No script, no framing, no referrer (a unit's link must not leak through a link it
    follows), no type sniffing; nothing cached unless a route says so. Wrapped around the
    whole app, outside Starlette's error middleware, so an error page carries them too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [h for h in HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# A database that cannot be reached, or no connection free in time: try again shortly.
DB_UNAVAILABLE = (db_errors.OperationalError, db_errors.TimeoutError, db_errors.DisconnectionError)
WHY = {
    400: "请求不完整或格式不对，请返回页面重新填写后提交。",
    404: "没有这个页面。请检查地址，或从首页进入。",
    405: "不支持这种请求方式。请从页面上的按钮或链接进入。",
    413: "提交的内容太大，请减少或压缩附件后重试。",
    500: "系统出错，已记录。请稍后再试；若一再出现，请联系协调单位。",
    503: "数据库暂时无法访问，请稍后刷新重试。已填写的内容请先自行保存。",
}


def error_pages(app: Any, web: Web) -> None:
    """Chinese pages for what Starlette would answer in English or JSON."""

    def http_error(_: Request, exc: Exception) -> HTMLResponse:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return web.refuse(status, WHY.get(status, "无法完成这个请求。"))

    def bad_form(_: Request, exc: Exception) -> HTMLResponse:
        fields = "、".join(str(e.get("loc", ["?"])[-1]) for e in getattr(exc, "errors", list)())
        return web.refuse(400, f"表单缺少或填错了：{fields}。{WHY[400]}")

    def unavailable(_: Request, exc: Exception) -> HTMLResponse:
        page = web.refuse(503, WHY[503])
        page.headers["Retry-After"] = "30"
        return page

    def broken(_: Request, exc: Exception) -> HTMLResponse:
        return web.refuse(500, WHY[500])

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_form)
    for cause in DB_UNAVAILABLE:
        app.add_exception_handler(cause, unavailable)
    app.add_exception_handler(Exception, broken)


def units_named(
    session: Session, text: str, jurisdiction: str | None
) -> tuple[list[Unit] | None, str]:
    """What a page's unit filter names: ``None`` for no filter, else the units and, when
    there are none, why, to show on the page (an unknown name is not an error)."""
    if not text.strip():
        return None, ""
    try:
        found = find_units(session, text.strip(), jurisdiction)
    except ActionError as exc:
        return [], f"筛选条件“{text}”无效：{exc}"
    return found, "" if found else f"没有找到单位或分组“{text}”"


class HeadAsGet:
    """``HEAD`` answered as ``GET`` is, headers and status alike, without the body:
    monitors and link checkers ask with HEAD, and FastAPI's GET routes answer it 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def bodiless(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET", "duban.head": True}, receive, bodiless)
