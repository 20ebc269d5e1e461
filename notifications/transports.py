"""Which transport carries each channel kind, read from ``channels.yaml``.

A unit's contact lists channels by kind (``sms``, ``email``) or by kind and
secret name (``wecom_bot:ZS_GOV_WECOM_KEY``). ``$DUBAN_HOME/channels.yaml``
(or ``$DUBAN_CHANNELS``) routes each kind to a real transport; a kind it does
not name goes to the local outbox, so a fresh install sends nothing anywhere.
The file names secrets, never holds them: ``password_secret: SMTP_PASSWORD``,
``"{secret:SMS_TOKEN}"`` inside a header. See README "Channels".
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

import apprise
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from notifications import secrets
from notifications.channels import Channel, LocalOutbox, Outcome, Outgoing, channel_kind
from notifications.plugins import (
    DingTalkBot,
    DubanPlugin,
    FeishuBot,
    SmsGateway,
    WeComBot,
    key_message_ids,
    register,
)

# apprise's and urllib3's DEBUG lines print webhook keys (in URLs) and payloads;
# INFO and above do not. Keep both there whatever the root logger says.
for _name in ("apprise", "urllib3"):
    logging.getLogger(_name).setLevel(logging.INFO)

BOT_LIMITS = {"wecom_bot": 20, "dingtalk_bot": 20, "feishu_bot": 100}  # per key and minute


class Route(BaseModel):
    """One channel kind's transport and its settings."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    transport: Literal["outbox", "smtp", "sms_gateway", "wecom_bot", "dingtalk_bot",
                       "feishu_bot", "apprise"]
    # smtp
    host: str | None = None
    port: int | None = None
    secure: Literal["ssl", "starttls", "insecure"] = "starttls"
    user: str | None = None
    password_secret: str | None = None
    sender: str | None = Field(None, alias="from")
    # http transports
    url: str | None = Field(None, description="gateway URL, or an apprise URL template")
    base_url: str | None = Field(None, description="a bot platform's API root (for a proxy)")
    format: Literal["json", "form"] = "json"
    fields: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    idempotency_header: str = "Idempotency-Key"
    success_field: str | None = None
    success_value: Any = 0
    read_timeout: float = 10.0
    per_minute: int | None = Field(None, description="sends per minute per key (bots) or "
                                                     "per kind (sms, email)")


class ChannelsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: dict[str, Route] = Field(default_factory=dict)
    operators: list[str] = Field(default_factory=list,
                                 description="where alerts go: email:ADDR, sms:MOBILE, "
                                             "wecom_bot:SECRET …")


class ConfigProblem(ValueError):
    """channels.yaml cannot be used; the message names the file, line or field."""


def config_path(home: Path) -> Path:
    return Path(os.environ.get("DUBAN_CHANNELS") or home / "channels.yaml")


def load_config(path: Path) -> ChannelsConfig:
    if not path.exists():
        return ChannelsConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigProblem(f"{path}{where}: YAML 格式错误：{getattr(exc, 'problem', exc)}"
                            ) from exc
    try:
        cfg = ChannelsConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigProblem("\n".join(lines)) from exc
    for kind, route in cfg.channels.items():
        for text in (route.url or "", *route.headers.values(), *route.fields.values()):
            if re.search(r"(key|token|secret|password)=[A-Za-z0-9]{8,}", text, re.I):
                raise ConfigProblem(f"{path}: channels.{kind}: 疑似明文密钥，请改为 "
                                    f"{{secret:名称}} 并把值放入环境变量或 Prefect Secret")
    return cfg


SECRET_REF = re.compile(r"\{secret:([A-Za-z_][A-Za-z0-9_]*)\}")


def fill_secrets(text: str) -> str:
    return SECRET_REF.sub(lambda m: secrets.resolve(m.group(1)), text)


class _Capture(logging.Handler):
    """apprise's warnings for the send running on this thread (its only error detail)."""

    local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(self.local, "lines", None)
        if lines is not None and record.levelno >= logging.WARNING:
            lines.append(record.getMessage())


_capture = _Capture()
logging.getLogger("apprise").addHandler(_capture)


@contextmanager
def captured() -> Iterator[list[str]]:
    _Capture.local.lines = lines = []
    try:
        yield lines
    finally:
        _Capture.local.lines = None


def _apprise_send(plugin: Any, body: str, title: str) -> Outcome:
    plugin.request_rate_per_sec = 0  # duban paces sends itself
    with captured() as lines:
        ok = plugin.send(body=body, title=title)
    detail = secrets.redact("；".join(lines)[:500])
    return Outcome("sent", detail) if ok else Outcome("failed", detail or "apprise 报告发送失败")


class EmailChannel:
    """SMTP through apprise's mailto plugin: subject, HTML and plain text, UTF-8."""

    def __init__(self, route: Route) -> None:
        if not route.host or not route.sender:
            raise ConfigProblem("channels.email: smtp 需要 host 和 from")
        self.route = route
        self.password = secrets.resolve(route.password_secret) if route.password_secret else None
        key_message_ids()  # a retried mail keeps its Message-ID

    def url(self, to: str, privacy: bool = False) -> str:
        r = self.route
        auth = ""
        if r.user:
            pw = "****" if privacy else quote(self.password or "", safe="")
            auth = f"{quote(r.user, safe='')}:{pw}@" if self.password else \
                f"{quote(r.user, safe='')}@"
        q = urlencode({"smtp": r.host, "from": r.sender, "to": to, "mode": r.secure,
                       "rto": r.read_timeout})
        return f"mailto://{auth}{r.host}:{r.port or 25}?{q}"

    def send(self, out: Outgoing) -> Outcome:
        plugin = apprise.Apprise.instantiate(self.url(out.recipient))
        if plugin is None:
            return Outcome("failed", f"无法构造邮件地址：{self.url(out.recipient, privacy=True)}")
        plugin.headers["X-Duban-Key"] = out.key
        return _apprise_send(plugin, out.message.html, out.message.subject)


class BotChannel:
    def __init__(self, plugin: DubanPlugin) -> None:
        self.plugin = plugin

    def send(self, out: Outgoing) -> Outcome:
        return self.plugin.deliver(out.message.text, out.message.subject, out.key)


class SmsChannel:
    def __init__(self, plugin: SmsGateway) -> None:
        self.plugin = plugin

    def send(self, out: Outgoing) -> Outcome:
        return self.plugin.deliver(out.message.sms, out.message.subject, out.key,
                                   to=out.recipient)


class AppriseChannel:
    """Anything apprise supports: the URL is a template over ``{to}`` and secrets."""

    def __init__(self, url: str) -> None:
        register()  # so a secret may hold dubanwecom://KEY and friends, not only stock URLs
        self.template = url

    def send(self, out: Outgoing) -> Outcome:
        plugin = apprise.Apprise.instantiate(self.template.replace("{to}", out.recipient))
        if plugin is None:
            return Outcome("failed", "apprise 不认识这个地址（密钥所存的 URL 有误？）")
        return _apprise_send(plugin, out.message.markdown, out.message.subject)


class Broken:
    """A channel that cannot be built (a missing secret): every send fails, saying why."""

    def __init__(self, detail: str) -> None:
        self.detail = detail

    def send(self, out: Outgoing) -> Outcome:
        return Outcome("failed", self.detail)


BOTS: dict[str, type[DubanPlugin]] = {"wecom_bot": WeComBot, "dingtalk_bot": DingTalkBot,
                                      "feishu_bot": FeishuBot}


class Transports:
    """Builds (once per channel string) the channel that carries it."""

    def __init__(self, config: ChannelsConfig, outbox: Path) -> None:
        self.config = config
        self.outbox = LocalOutbox(outbox)
        self._built: dict[str, Channel] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_home(cls, home: Path) -> Transports:
        return cls(load_config(config_path(home)), home / "outbox")

    def route(self, channel: str) -> Route | None:
        r = self.config.channels.get(channel_kind(channel))
        return None if r is None or r.transport == "outbox" else r

    def per_minute(self, channel: str) -> int | None:
        """The send limit for this channel string, or None; bots count per key."""
        r = self.route(channel)
        if r is None:
            return None
        return r.per_minute or BOT_LIMITS.get(r.transport)

    def __call__(self, channel: str) -> Channel:
        with self._lock:
            if channel not in self._built:
                try:
                    self._built[channel] = self._build(channel)
                except (secrets.SecretMissing, ConfigProblem, TypeError) as exc:
                    self._built[channel] = Broken(secrets.redact(str(exc)))
            return self._built[channel]

    def _build(self, channel: str) -> Channel:
        r = self.route(channel)
        if r is None:
            return self.outbox
        name = channel.split(":", 1)[1] if ":" in channel else ""
        if r.transport == "smtp":
            return EmailChannel(r)
        if r.transport == "sms_gateway":
            if not r.url:
                raise ConfigProblem(f"channels.{channel_kind(channel)}: sms_gateway 需要 url")
            names = {m.group(1) for v in (*r.fields.values(), *r.headers.values())
                     for m in SECRET_REF.finditer(v)}
            return SmsChannel(SmsGateway(
                url=fill_secrets(r.url), form=r.format == "form", fields=r.fields,
                headers=r.headers, secret_values={n: secrets.resolve(n) for n in names},
                idempotency_header=r.idempotency_header, success_field=r.success_field,
                success_value=r.success_value, read_timeout=r.read_timeout))
        if r.transport in BOTS:
            if not name:
                raise ConfigProblem(f"渠道 {channel} 须写成 {channel}:密钥名")
            return BotChannel(BOTS[r.transport](
                secrets.resolve(name), sign_secret=secrets.optional(f"{name}_SIGN"),
                base_url=r.base_url, read_timeout=r.read_timeout))
        # apprise: a URL template in the file, or the whole URL in the named secret
        url = fill_secrets(r.url) if r.url else secrets.resolve(name)
        return AppriseChannel(url)

    def describe(self, channel: str) -> str:
        """Where this channel goes, with every secret masked (for pages and CLI output)."""
        r = self.route(channel)
        if r is None:
            return f"本地发件箱 {self.outbox.folder}"
        if r.transport == "smtp":
            return f"SMTP {r.host}:{r.port or 25}（{r.secure}）"
        if r.transport == "sms_gateway":
            return f"短信网关 {(r.url or '').split('?')[0]}"
        if r.transport in BOTS:
            return f"{r.transport} 密钥 {channel.split(':', 1)[-1]}"
        return "apprise"
