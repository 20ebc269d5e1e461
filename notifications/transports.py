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
from apprise.plugins.base import NotifyBase
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ledger.labels import MESSAGE_KINDS
from notifications import secrets
from notifications.apps import AppPlugin, DingTalkWork, FeishuApp, WeComApp
from notifications.channels import Channel, LocalOutbox, Outcome, Outgoing, channel_kind
from notifications.cloudsms import PARAMS, VARIABLE, AliyunSms, CloudSms, SmsTemplate, TencentSms
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

# Sends per minute: bots per key (their documented limits); apps per app, well under
# the platforms' per-interface limits (WeCom 10,000/min per corp, DingTalk 1,500/min
# per appkey, Feishu 1,000/min per app), leaving room for the office's other apps.
BOT_LIMITS = {
    "wecom_bot": 20,
    "dingtalk_bot": 20,
    "feishu_bot": 100,
    "wecom_app": 1000,
    "dingtalk_work": 1000,
    "feishu_app": 600,
}
APPS: dict[str, type[AppPlugin]] = {
    "wecom_app": WeComApp,
    "dingtalk_work": DingTalkWork,
    "feishu_app": FeishuApp,
}
CLOUDS: dict[str, type[CloudSms]] = {"aliyun_sms": AliyunSms, "tencent_sms": TencentSms}
SECRET_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class TemplateRoute(BaseModel):
    """An approved SMS template: its id, and each variable filled from the message's
    parameters (``{item}``, ``{due}``, ``{link}`` …): by name (Alibaba) or in order
    (Tencent)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    params: dict[str, str] | list[str] = Field(default_factory=dict)


class Route(BaseModel):
    """One channel kind's transport and its settings."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    transport: Literal[
        "outbox",
        "smtp",
        "sms_gateway",
        "wecom_bot",
        "dingtalk_bot",
        "feishu_bot",
        "apprise",
        "wecom_app",
        "dingtalk_work",
        "feishu_app",
        "aliyun_sms",
        "tencent_sms",
    ]
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
    per_minute: int | None = Field(
        None, description="sends per minute per key (bots) or per kind (sms, email)"
    )
    # per-person apps: wecom_app (corp id), dingtalk_work (appkey), feishu_app (app id)
    app_id: str | None = Field(None, description="corp id / appkey / app id (not secret)")
    agent_id: str | None = Field(None, description="the app's agent id (WeCom, DingTalk)")
    app_secret: str | None = Field(None, description="the NAME of the secret holding it")
    id_type: Literal["open_id", "user_id", "union_id"] = "open_id"
    # cloud SMS: aliyun_sms, tencent_sms
    key_id: str | None = Field(None, description="the NAME of the secret holding the key id")
    key_secret: str | None = Field(None, description="the NAME of the secret holding the key")
    sign_name: str | None = Field(None, description="the registered SMS signature")
    region: str | None = None
    sdk_app_id: str | None = Field(None, description="Tencent's SmsSdkAppId")
    templates: dict[str, TemplateRoute] = Field(default_factory=dict)
    var_max: int | None = Field(None, description="longest variable value, in characters")


class ChannelsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: dict[str, Route] = Field(default_factory=dict)
    operators: list[str] = Field(
        default_factory=list,
        description="where alerts go: email:ADDR, sms:MOBILE, wecom_bot:SECRET …",
    )


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
        raise ConfigProblem(
            f"{path}{where}: YAML 格式错误：{getattr(exc, 'problem', exc)}"
        ) from exc
    try:
        cfg = ChannelsConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigProblem("\n".join(lines)) from exc
    problems = [
        f"{path}: channels.{kind}.{p}"
        for kind, route in cfg.channels.items()
        for p in route_problems(route)
    ]
    if problems:
        raise ConfigProblem("\n".join(problems))
    for kind, route in cfg.channels.items():
        for text in (route.url or "", *route.headers.values(), *route.fields.values()):
            if re.search(r"(key|token|secret|password)=[A-Za-z0-9]{8,}", text, re.I):
                raise ConfigProblem(
                    f"{path}: channels.{kind}: 疑似明文密钥，请改为 "
                    f"{{secret:名称}} 并把值放入环境变量或 Prefect Secret"
                )
    return cfg


def route_problems(r: Route) -> list[str]:
    """What a per-person app or cloud SMS route lacks, field by field, in Chinese; every
    notice kind must have an approved template, so a gap is found at start-up."""
    out: list[str] = []
    needs = {
        "wecom_app": ("app_id", "agent_id", "app_secret"),
        "dingtalk_work": ("app_id", "agent_id", "app_secret"),
        "feishu_app": ("app_id", "app_secret"),
        "aliyun_sms": ("key_id", "key_secret", "sign_name"),
        "tencent_sms": ("key_id", "key_secret", "sign_name", "sdk_app_id"),
    }
    out += [
        f"{f}: {r.transport} 需要填写 {f}" for f in needs.get(r.transport, ()) if not getattr(r, f)
    ]
    if (
        r.transport in ("wecom_app", "dingtalk_work")
        and r.agent_id
        and not str(r.agent_id).isdigit()
    ):
        out.append(f"agent_id: 应为应用的 AgentId 数字（如 1000002），现为 {r.agent_id!r}")
    for f in ("app_secret", "key_id", "key_secret"):
        value = getattr(r, f)
        if value and not SECRET_NAME.match(value):
            out.append(
                f"{f}: 应写密钥名（大写字母、数字、下划线，如 ZS_SMS_KEY_SECRET），"
                f"密钥本身放在同名环境变量或 Prefect Secret 中"
            )
    if r.transport not in CLOUDS:
        return out
    missing = [k for k in MESSAGE_KINDS if k not in r.templates]
    if missing:
        out.append(
            "templates: 缺少以下通知类型的短信模板（阿里云、腾讯云只发审核通过的模板）："
            + "、".join(f"{MESSAGE_KINDS[k]}（{k}）" for k in missing)
        )
    out += [
        f"templates.{k}: 没有这种通知类型，可用：{'、'.join(MESSAGE_KINDS)}"
        for k in r.templates
        if k not in MESSAGE_KINDS
    ]
    ordered = r.transport == "tencent_sms"
    for k, t in r.templates.items():
        if ordered != isinstance(t.params, list):
            out.append(
                f"templates.{k}.params: "
                + (
                    "腾讯云按顺序填变量，应写成列表"
                    if ordered
                    else "阿里云按变量名填写，应写成 变量名: 值"
                )
            )
        values = t.params if isinstance(t.params, list) else list(t.params.values())
        out += [
            f"templates.{k}.params: 未知参数 {{{m}}}，可用：{'、'.join(PARAMS)}"
            for v in values
            for m in VARIABLE.findall(v)
            if m not in PARAMS
        ]
    return out


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
    lines: list[str] = []
    _Capture.local.lines = lines
    try:
        yield lines
    finally:
        _Capture.local.lines = None


def _apprise_send(plugin: NotifyBase, body: str, title: str) -> Outcome:
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
            auth = (
                f"{quote(r.user, safe='')}:{pw}@" if self.password else f"{quote(r.user, safe='')}@"
            )
        q = urlencode(
            {"smtp": r.host, "from": r.sender, "to": to, "mode": r.secure, "rto": r.read_timeout}
        )
        return f"mailto://{auth}{r.host}:{r.port or 25}?{q}"

    def send(self, out: Outgoing) -> Outcome:
        from apprise.plugins.email.base import NotifyEmail

        plugin = apprise.Apprise.instantiate(self.url(out.recipient))
        if not isinstance(plugin, NotifyEmail):  # None: the URL did not parse
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
        return self.plugin.deliver(out.message.sms, out.message.subject, out.key, to=out.recipient)


class AppChannel:
    """A person reached through an app: the unit's link is the message's button."""

    def __init__(self, plugin: AppPlugin) -> None:
        self.plugin = plugin

    def send(self, out: Outgoing) -> Outcome:
        return self.plugin.deliver(
            out.message.text,
            out.message.subject,
            out.key,
            to=out.recipient,
            link=str(out.params.get("link") or ""),
        )


class CloudSmsChannel:
    """An approved template with the message's variables, never the free text."""

    def __init__(self, plugin: CloudSms) -> None:
        self.plugin = plugin

    def send(self, out: Outgoing) -> Outcome:
        return self.plugin.deliver(
            out.message.sms, out.message.subject, out.key, to=out.recipient, params=out.params
        )


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


BOTS: dict[str, type[DubanPlugin]] = {
    "wecom_bot": WeComBot,
    "dingtalk_bot": DingTalkBot,
    "feishu_bot": FeishuBot,
}


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
            names = {
                m.group(1)
                for v in (*r.fields.values(), *r.headers.values())
                for m in SECRET_REF.finditer(v)
            }
            return SmsChannel(
                SmsGateway(
                    url=fill_secrets(r.url),
                    form=r.format == "form",
                    fields=r.fields,
                    headers=r.headers,
                    secret_values={n: secrets.resolve(n) for n in names},
                    idempotency_header=r.idempotency_header,
                    success_field=r.success_field,
                    success_value=r.success_value,
                    read_timeout=r.read_timeout,
                )
            )
        if r.transport in APPS:
            return AppChannel(
                APPS[r.transport](
                    app_id=r.app_id or "",
                    agent_id=r.agent_id or "",
                    id_type=r.id_type,
                    app_secret=secrets.resolve(r.app_secret or ""),
                    base_url=r.base_url,
                    read_timeout=r.read_timeout,
                )
            )
        if r.transport in CLOUDS:
            return CloudSmsChannel(
                CLOUDS[r.transport](
                    key_id=secrets.resolve(r.key_id or ""),
                    base_url=r.base_url,
                    key_secret=secrets.resolve(r.key_secret or ""),
                    sign_name=r.sign_name or "",
                    templates={k: SmsTemplate(t.id, t.params) for k, t in r.templates.items()},
                    region=r.region or "",
                    sdk_app_id=r.sdk_app_id or "",
                    var_max=r.var_max,
                    read_timeout=r.read_timeout,
                )
            )
        if r.transport in BOTS:
            if not name:
                raise ConfigProblem(f"渠道 {channel} 须写成 {channel}:密钥名")
            return BotChannel(
                BOTS[r.transport](
                    secrets.resolve(name),
                    sign_secret=secrets.optional(f"{name}_SIGN"),
                    base_url=r.base_url,
                    read_timeout=r.read_timeout,
                )
            )
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
        if r.transport in APPS or r.transport in CLOUDS:
            plugin = APPS.get(r.transport) or CLOUDS[r.transport]
            return f"{plugin.service_name.split(' (')[0]} {r.base_url or plugin.base_url}"
        return "apprise"
