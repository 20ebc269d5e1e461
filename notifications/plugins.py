"""duban's own apprise plugins for the platforms whose stock plugins misjudge delivery.

Measured against apprise (1.9–2.2): the stock wecombot, dingtalk, feishu and
lark plugins report success when the platform answers HTTP 200 with an error
code, WeCom's limit is counted in characters where WeCom counts bytes, the
DingTalk signature is URL-encoded twice, and the per-instance throttle sleeps
5.5 s between sends. These plugins are registered with apprise under their own
schemas (``dubanwecom://KEY`` …), send through a per-thread keep-alive
session, never throttle (duban's dispatcher enforces per-key limits across
processes), and return an :class:`Outcome` that says *why*:

* ``sent``: HTTP 2xx and the platform's ``errcode``/``code`` is 0;
* ``failed``: the request provably did not take effect (connection refused,
  HTTP error, a non-zero errcode), so sending again is safe;
* ``unknown``: the request went out but no answer came back (read timeout,
  connection dropped): the dispatcher retries with the same idempotency key.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import threading
import time
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from apprise import NotifyType
from apprise.manager_plugins import NotificationManager
from apprise.plugins.base import NotifyBase

from notifications.channels import Outcome, message_id
from notifications.secrets import redact

# {to} {text} {key} {subject} and {secret:NAME} in an SMS gateway's fields and headers.
PLACEHOLDER = re.compile(r"\{(to|text|key|subject|secret:([A-Za-z_][A-Za-z0-9_]*))\}")

_local = threading.local()
TAIL = "\n……（篇幅所限，余下内容见邮件或台账）"


def session() -> requests.Session:
    """One keep-alive session per thread: requests' Session is not thread-safe."""
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=4)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
    return s


def cut_bytes(text: str, limit: int, tail: str = TAIL) -> str:
    """``text`` within ``limit`` UTF-8 bytes: whole lines first, never half a character
    (or half a link), with ``tail`` saying that something was left out."""
    if len(text.encode()) <= limit:
        return text
    room = limit - len(tail.encode())
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = len(line.encode()) + 1
        if used + size > room:
            if not kept and "http" not in line:  # a single huge line: cut inside it
                kept.append(line.encode()[:room].decode(errors="ignore"))
            break
        kept.append(line)
        used += size
    return "\n".join(kept).rstrip() + tail


# What a POST gave: (failure, None) when no answer came, (failure, response) for an HTTP
# error, (None, response) for a 2xx answer. Never (None, None): checking either item
# for None narrows the other.
Posted = tuple[Outcome, None] | tuple[Outcome, requests.Response] | tuple[None, requests.Response]


def post(
    url: str,
    *,
    timeout: tuple[float, float],
    json_body: Any = None,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Posted:
    """POST and classify transport failures; (None, response) when an answer came."""
    try:
        r = session().post(
            url,
            json=json_body,
            data=raw if raw is not None else form,
            headers=headers,
            params=params,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.ConnectTimeout as exc:
        return Outcome("failed", redact(f"连接超时：{exc}")), None
    except requests.ReadTimeout:
        return Outcome(
            "unknown", f"等待应答超时（{timeout[1]:g} 秒）：对方可能已收到，将以同一幂等键重试"
        ), None
    except requests.ConnectionError as exc:
        text, where = str(exc), urlsplit(url).netloc
        if (
            "NewConnectionError" in text
            or "Connection refused" in text
            or "Name or service" in text
        ):
            why = "连接被拒绝" if "refused" in text else "地址无法解析或不可达"
            return Outcome("failed", f"无法连接 {where}：{why}"), None
        return Outcome("unknown", f"与 {where} 的连接中断，未收到应答；将以同一幂等键重试"), None
    except requests.RequestException as exc:
        return Outcome("failed", redact(f"{type(exc).__name__}: {exc}")), None
    if not 200 <= r.status_code < 300:
        return Outcome("failed", redact(f"HTTP {r.status_code}: {r.text[:300]}")), r
    return None, r


def errcode_outcome(r: requests.Response, code_fields: tuple[str, ...]) -> Outcome:
    """HTTP 200 is not success: the platform's own code must be 0."""
    try:
        body = r.json()
    except ValueError:
        return Outcome("failed", redact(f"应答不是 JSON：{r.text[:200]}"))
    for f in code_fields:
        if isinstance(body, dict) and f in body:
            code = body[f]
            if code in (0, "0"):
                return Outcome("sent", f"{f}=0")
            msg = body.get("errmsg") or body.get("msg") or body.get("StatusMessage") or ""
            return Outcome("failed", redact(f"平台返回错误 {f}={code}：{msg}"))
    return Outcome("failed", redact(f"应答中没有 {'/'.join(code_fields)}：{r.text[:200]}"))


class DubanPlugin(NotifyBase):  # type: ignore[no-untyped-call]  # apprise: unannotated __init_subclass__
    """Shared parts: no throttle, timeouts, ``deliver`` returning an Outcome."""

    # apprise's URLBase sets both to None without annotations, so mypy takes them for
    # None-typed; every duban plugin names itself with strings.
    service_name: str  # type: ignore[assignment]
    secure_protocol: str  # type: ignore[assignment]
    request_rate_per_sec = 0
    title_maxlen = 0
    max_bytes = 4096
    base_url = ""

    # apprise's NotifyBase.__init_subclass__ is unannotated and every class statement
    # below calls it: passed through once here, typed, instead of at each plugin.
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[no-untyped-call]  # apprise: unannotated

    def __init__(
        self,
        token: str,
        sign_secret: str | None = None,
        base_url: str | None = None,
        read_timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]  # apprise: unannotated
        self.token = token
        self.sign_secret = sign_secret
        if base_url:
            self.base_url = base_url.rstrip("/")
        self.timeout = (3.0, read_timeout)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        shown: str = self.pprint(self.token, privacy, safe="")  # type: ignore[no-untyped-call]  # apprise: unannotated
        return f"{self.secure_protocol}://{shown}"

    # apprise declares url_identifier as a plain attribute (None) and its own plugins
    # override it with a property, as here.
    @property
    def url_identifier(self) -> tuple[str, str]:  # type: ignore[override]
        return (str(self.secure_protocol), self.token)

    # apprise calls a plugin's parse_url(url) with the URL alone, and its own plugins
    # override it so; the base's extra keywords (verify_host …) are its helpers' own.
    @classmethod
    def parse_url(cls, url: str) -> dict[str, Any] | None:  # type: ignore[override]
        results = NotifyBase.parse_url(url, verify_host=False)
        if results:
            token: str = cls.unquote(results["host"])  # type: ignore[no-untyped-call]  # apprise: unannotated
            results["token"] = token
        return results

    def deliver(self, body: str, title: str, key: str) -> Outcome:
        raise NotImplementedError

    def send(
        self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any
    ) -> bool:
        return self.deliver(body, title, kwargs.get("key", "")).status == "sent"


class WeComBot(DubanPlugin):
    """企业微信群机器人: markdown ≤ 4096 bytes, errcode checked."""

    service_name = "WeCom bot (duban)"
    secure_protocol = "dubanwecom"
    base_url = "https://qyapi.weixin.qq.com"
    max_bytes = 4096

    def deliver(self, body: str, title: str, key: str) -> Outcome:
        content = cut_bytes(f"**{title}**\n{body}" if title else body, self.max_bytes)
        posted = post(
            f"{self.base_url}/cgi-bin/webhook/send",
            params={"key": self.token},
            json_body={"msgtype": "markdown", "markdown": {"content": content}},
            timeout=self.timeout,
        )
        if posted[0] is not None:
            return posted[0]
        return errcode_outcome(posted[1], ("errcode",))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """HMAC-SHA256 of "timestamp\\nsecret", base64; URL-encoded once, by the caller."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


class DingTalkBot(DubanPlugin):
    """钉钉群机器人: markdown, signed when the robot has 加签 on, errcode checked."""

    service_name = "DingTalk bot (duban)"
    secure_protocol = "dubandingtalk"
    base_url = "https://oapi.dingtalk.com"
    max_bytes = 20000

    def deliver(self, body: str, title: str, key: str) -> Outcome:
        params = {"access_token": self.token}
        if self.sign_secret:
            ts = int(time.time() * 1000)
            params |= {"timestamp": str(ts), "sign": dingtalk_sign(self.sign_secret, ts)}
        text = cut_bytes(f"### {title}\n\n{body}" if title else body, self.max_bytes)
        posted = post(
            f"{self.base_url}/robot/send",
            params=params,
            timeout=self.timeout,
            json_body={
                "msgtype": "markdown",
                "markdown": {"title": title or "督办通知", "text": text},
            },
        )
        if posted[0] is not None:
            return posted[0]
        return errcode_outcome(posted[1], ("errcode",))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu signs with the key "timestamp\\nsecret" over an empty message."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class FeishuBot(DubanPlugin):
    """飞书群机器人: text, signed when 签名校验 is on, ``code``/``StatusCode`` checked."""

    service_name = "Feishu bot (duban)"
    secure_protocol = "dubanfeishu"
    base_url = "https://open.feishu.cn"
    max_bytes = 18000

    def deliver(self, body: str, title: str, key: str) -> Outcome:
        payload: dict[str, Any] = {
            "msg_type": "text",
            "content": {"text": cut_bytes(f"{title}\n{body}" if title else body, self.max_bytes)},
        }
        if self.sign_secret:
            ts = int(time.time())
            payload |= {"timestamp": str(ts), "sign": feishu_sign(self.sign_secret, ts)}
        posted = post(
            f"{self.base_url}/open-apis/bot/v2/hook/{quote(self.token, safe='')}",
            json_body=payload,
            timeout=self.timeout,
        )
        if posted[0] is not None:
            return posted[0]
        return errcode_outcome(posted[1], ("code", "StatusCode"))


class SmsGateway(DubanPlugin):
    """A government SMS gateway's HTTP API: JSON or form POST, configured field by field.

    ``fields`` and ``headers`` are templates over ``{to}``, ``{text}``, ``{key}``
    and ``{subject}``; the idempotency key also goes in ``idempotency_header``
    so a gateway that de-duplicates delivers a retried message once.
    """

    service_name = "SMS gateway (duban)"
    secure_protocol = "dubansms"

    def __init__(
        self,
        token: str = "",
        *,
        url: str = "",
        form: bool = False,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        idempotency_header: str = "Idempotency-Key",
        success_field: str | None = None,
        success_value: Any = 0,
        secret_values: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(token, **kwargs)
        self.endpoint, self.form = url, form
        self.fields = fields or {"mobile": "{to}", "content": "{text}"}
        self.headers = headers or {}
        self.secret_values = secret_values or {}
        self.idempotency_header = idempotency_header
        self.success_field, self.success_value = success_field, success_value

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        return f"{self.secure_protocol}://{self.endpoint.split('://', 1)[-1].split('?')[0]}"

    def deliver(self, body: str, title: str, key: str, to: str = "") -> Outcome:
        values = {"to": to, "text": body, "key": key, "subject": title}

        def fill(template: str) -> str:
            """One pass, every value inserted literally: a secret or a message holding
            braces is never read as a template."""
            return PLACEHOLDER.sub(
                lambda m: self.secret_values[m[2]] if m[2] else values[m[1]], template
            )

        data = {k: fill(v) for k, v in self.fields.items()}
        headers = {k: fill(v) for k, v in self.headers.items()}
        headers[self.idempotency_header] = key
        posted = post(
            self.endpoint,
            timeout=self.timeout,
            headers=headers,
            json_body=None if self.form else data,
            form=data if self.form else None,
        )
        if posted[0] is not None:
            return posted[0]
        r = posted[1]
        if self.success_field:
            try:
                got = r.json().get(self.success_field)
            except (ValueError, AttributeError):
                return Outcome("failed", redact(f"短信网关应答不是 JSON：{r.text[:200]}"))
            if str(got) != str(self.success_value):
                return Outcome(
                    "failed", redact(f"短信网关返回 {self.success_field}={got}：{r.text[:200]}")
                )
        return Outcome("sent", f"HTTP {r.status_code}")


PLUGINS = (WeComBot, DingTalkBot, FeishuBot, SmsGateway)


_MESSAGE_ID = re.compile(r"^Message-ID: .*$", re.MULTILINE | re.IGNORECASE)


def key_message_ids() -> None:
    """Give apprise's mails a Message-ID derived from duban's idempotency key.

    apprise's mail plugin writes a random Message-ID after the custom headers, and
    its ``send`` calls ``NotifyEmail.prepare_emails`` by class name, so neither a
    header nor a subclass can set it. Its message generator is wrapped instead, here
    and only here: a mail carrying ``X-Duban-Key`` gets ``message_id(key)`` in place
    of the random one (only in the header block); other mails pass untouched.
    """
    from apprise.plugins.email.base import NotifyEmail

    original = NotifyEmail.prepare_emails
    if getattr(original, "_duban", False):
        return

    def prepare_emails(*args: Any, **kwargs: Any) -> Any:
        key = (kwargs.get("headers") or {}).get("X-Duban-Key")
        sender = kwargs.get("from_addr") or ("", "")
        domain = str(sender[1]).rpartition("@")[2]
        for mail in original(*args, **kwargs):
            if key:
                head, sep, body = mail.body.partition("\n\n")
                head = _MESSAGE_ID.sub(f"Message-ID: {message_id(key, domain)}", head, count=1)
                mail = dataclasses.replace(mail, body=head + sep + body)
            yield mail

    prepare_emails._duban = True  # type: ignore[attr-defined]  # a mark on a plain function
    NotifyEmail.prepare_emails = staticmethod(prepare_emails)  # type: ignore[method-assign]  # apprise patched on purpose


def register() -> None:
    """Make ``dubanwecom://KEY`` and friends usable as ordinary apprise URLs."""
    from notifications.apps import APPS

    manager = NotificationManager()  # type: ignore[no-untyped-call]  # apprise: unannotated
    for plugin in (*PLUGINS, *APPS):
        if plugin.secure_protocol not in manager:
            manager.add(plugin)  # type: ignore[no-untyped-call]  # apprise: unannotated
