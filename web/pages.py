"""What every page shares: the ledger, the clock, the templates, the security headers."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.board import LIGHTS
from ledger.links import link_secret

TEMPLATES = Path(__file__).with_name("templates")
env = Environment(loader=FileSystemLoader(TEMPLATES),
                  autoescape=select_autoescape(["html", "html.j2"], default=True))
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
        return HTMLResponse(env.get_template(name).render(
            simulated=now.format("YYYY-MM-DD HH:mm") if self.simulated else "", **ctx),
            status_code=status)

    def refuse(self, status: int, message: str, signed: object = None) -> HTMLResponse:
        title = {403: "无权操作", 404: "没有找到", 410: "链接不可用", 429: "请稍后再试"}.get(
            status, "无法完成")
        return self.page("gone.html.j2", status, title=title, message=message, signed=signed)


def unit_csrf(token: str) -> str:
    """A unit page's form token: tied to the link, unknown to anyone without the secret."""
    return hmac.new(link_secret(), f"csrf:{token}".encode(), hashlib.sha256).hexdigest()[:32]


def same(a: str, b: str) -> bool:
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


async def security_headers(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """No script, no framing, no referrer (a unit's link must not leak through a link it
    follows), no type sniffing; pages with a unit's token are not cached."""
    response = await call_next(request)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


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

        await self.app({**scope, "method": "GET"}, receive, bodiless)
