"""The gate in front of every form a unit posts from its link (``POST /u/<token>/…``).

A body is read only for a live link with its form's CSRF token, within its size:
the link is checked before a byte of the body is read, the declared length before
the body is read, the CSRF token as soon as the form's first fields arrive (before
any file part), and the bytes are counted as they stream in. A forged link or a
body past ``DUBAN_UPLOAD_MB`` × ``MAX_FILES`` (plus the text fields) is refused
with nothing spooled beyond that bound, whatever route takes the form.
"""

from __future__ import annotations

import re

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.db import transaction
from ledger.evidence import MAX_FILES
from ledger.links import LinkError, open_link
from web.pages import DB_UNAVAILABLE, WHY, Web, same, unit_csrf

UNIT_FORM = re.compile(r"^/u/([^/]+)/[^/]+/?$")
FIELDS_BYTES = 2 * 1024 * 1024  # the text of a 自查 with many rows, URL-encoded
HEAD_BYTES = 64 * 1024  # the CSRF field must come within this: before any file
_MULTIPART_CSRF = re.compile(
    rb'content-disposition:[ \t]*form-data;[ \t]*name="?csrf"?\r\n'
    rb"(?:[^\r\n]+\r\n)*\r\n([^\r\n]{0,100})\r\n",
    re.IGNORECASE,
)
_URLENCODED_CSRF = re.compile(rb"(?:^|&)csrf=([^&]{0,100})&")


class TooLarge(Exception):
    """The body went past the bound while streaming."""


def body_limit(web: Web) -> int:
    return web.upload_bytes * MAX_FILES + FIELDS_BYTES


def form_csrf(head: bytes, content_type: str, complete: bool) -> str | None:
    """The CSRF field among the first bytes of a form, ``""`` when it is certainly not
    there, ``None`` while more of the body could still bring it."""
    if content_type.startswith("multipart/form-data"):
        found = _MULTIPART_CSRF.search(head)
        if found:
            return found.group(1).decode("latin-1")
        # A file part before the field: the form is not one of ours.
        return "" if complete or b"filename=" in head.lower() else None
    found = _URLENCODED_CSRF.search(head + (b"&" if complete else b""))
    if found:
        return found.group(1).decode("latin-1")
    return "" if complete else None


class UploadGate:
    """Pure ASGI middleware: refuses a unit's form before its body is stored."""

    def __init__(self, app: ASGIApp, web: Web) -> None:
        self.app, self.web = app, web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = UNIT_FORM.match(scope.get("path", "")) if scope["type"] == "http" else None
        if found is None or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        token, limit = found.group(1), body_limit(self.web)
        refusal = await to_thread.run_sync(self._link_refusal, token)
        if refusal is not None:
            return await self._refuse(scope, send, *refusal)
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        declared = headers.get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > limit):
            return await self._refuse(scope, send, 413, self._too_large())
        head, more = b"", True
        csrf: str | None = None
        while csrf is None:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            head += message.get("body", b"")
            more = bool(message.get("more_body", False))
            csrf = form_csrf(head, headers.get("content-type", "").lower(), not more)
            if csrf is None and len(head) >= HEAD_BYTES:
                csrf = ""
        if len(head) > limit:
            return await self._refuse(scope, send, 413, self._too_large())
        if not same(csrf, unit_csrf(token)):
            return await self._refuse(
                scope, send, 403, "表单已失效（缺少校验码）。请重新打开通知中的链接后提交。"
            )
        await self._pass(scope, receive, send, head, more, limit)

    async def _pass(
        self, scope: Scope, receive: Receive, send: Send, head: bytes, more: bool, limit: int
    ) -> None:
        """The app, on the bytes already read and then the rest, counted."""
        state = {"received": len(head), "replayed": False, "over": False, "started": False}

        async def counted() -> Message:
            if not state["replayed"]:
                state["replayed"] = True
                return {"type": "http.request", "body": head, "more_body": more}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["over"] = True
                    raise TooLarge
            return message

        async def guarded(message: Message) -> None:
            if state["over"]:
                return  # the app's answer to a broken body; ours follows
            state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except TooLarge:
            state["over"] = True
        if state["over"] and not state["started"]:
            await self._refuse(scope, send, 413, self._too_large())

    def _link_refusal(self, token: str) -> tuple[int, str] | None:
        try:
            with transaction(self.web.ledger) as s:
                open_link(s, token, self.web.clock())
        except LinkError as exc:
            return exc.status, str(exc)
        except DB_UNAVAILABLE:  # outside the app's handlers: answer as they would
            return 503, WHY[503]
        return None

    def _too_large(self) -> str:
        mb = self.web.upload_bytes / 1024 / 1024
        return (
            f"提交的内容太大：每个附件不超过 {mb:g} MB，一次最多 {MAX_FILES} 个。请压缩或分次上传。"
        )

    async def _refuse(self, scope: Scope, send: Send, status: int, message: str) -> None:
        page = self.web.refuse(status, message)
        page.headers["Connection"] = "close"  # the rest of the body is not read
        if status == 503:
            page.headers["Retry-After"] = "30"

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await page(scope, nothing, send)
