"""Per-person app messages: WeCom / 政务微信 application messages, DingTalk / 浙政钉 work
notices, Feishu / Lark user messages, as apprise plugins (``dubanwecomapp://`` …) beside
the group bots of :mod:`notifications.plugins`.

Each reaches one named person by the user id in the directory (企业微信 / 钉钉 column,
or ``feishu:ou_…``), with the unit's link as the message's button. The base URL is
configurable, since government editions run on their own hosts. Each platform's codes
are sorted (tables below, tested one by one): a permanent refusal (no such user, app
not authorised) is not retried and alerts the operator once, naming the contact; a
transient one (rate limit, busy) is retried by the dispatcher's rules; an expired
token is fetched again once, at once.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

import requests

from notifications.channels import Outcome
from notifications.plugins import DubanPlugin, Posted, cut_bytes, post, session
from notifications.secrets import redact

# How each platform's codes are treated: "token" (refresh the token once and send
# again), "transient" (retried by the dispatcher's rules), "permanent" (not retried;
# the operator hears once, naming the contact). A code not listed counts as transient.
Codes = dict[int, tuple[str, str]]
WECOM_CODES: Codes = {
    -1: ("transient", "系统繁忙"),
    40014: ("token", "access_token 无效"),
    42001: ("token", "access_token 已过期"),
    45009: ("transient", "接口调用超过频率限制"),
    45033: ("transient", "接口并发调用超过限制"),
    40001: ("permanent", "应用 secret 不正确"),
    40013: ("permanent", "企业 corpid 不正确"),
    40056: ("permanent", "应用 agentid 不正确"),
    48002: ("permanent", "应用无权调用此接口"),
    60020: ("permanent", "服务器 IP 不在应用的可信 IP 内"),
    60111: ("permanent", "用户 id 不存在"),
    81013: ("permanent", "用户 id 均不存在或不在应用可见范围内"),
}
DINGTALK_CODES: Codes = {
    -1: ("transient", "系统繁忙"),
    88: ("transient", "调用过于频繁，暂时禁止"),
    40014: ("token", "access_token 无效"),
    42001: ("token", "access_token 已过期"),
    90018: ("transient", "接口调用超过每秒频率限制"),
    90006: ("transient", "接口调用超过每分钟频率限制"),
    90005: ("transient", "企业调用接口超过每分钟频率限制"),
    41047: ("transient", "工作通知超过每分钟上限"),
    40089: ("permanent", "appkey 或 appsecret 不正确"),
    60020: ("permanent", "服务器 IP 不在白名单内"),
    33012: ("permanent", "用户 id 无效"),
    60121: ("permanent", "用户不存在"),
    40035: ("permanent", "参数不合法（agent_id 等）"),
}
FEISHU_CODES: Codes = {
    99991663: ("token", "tenant_access_token 无效"),
    99991661: ("token", "缺少 access_token"),
    99991668: ("token", "access_token 已过期"),
    99991400: ("transient", "请求频率超限"),
    230020: ("transient", "发送频率超限"),
    10014: ("permanent", "app_secret 不正确"),
    10003: ("permanent", "参数不合法（app_id 等）"),
    99991672: ("permanent", "应用无此权限"),
    230013: ("permanent", "机器人对该用户不可用（不在应用可用范围内）"),
    230006: ("permanent", "应用未启用机器人能力"),
    99992360: ("permanent", "用户 id 无效或不存在"),
    230001: ("permanent", "请求参数不合法"),
}


def verdict(codes: Codes, code: object, msg: str, platform: str) -> tuple[str, Outcome]:
    """A platform's non-zero code as (class, Outcome), the Chinese meaning beside its own."""
    try:  # a JSON number or numeric text; null, a list or an object is not a code
        number = int(code) if isinstance(code, (str, int, float)) else None
    except ValueError:
        number = None
    if number is None:
        kind, meaning = "transient", "应答无法识别"
    else:
        kind, meaning = codes.get(number, ("transient", "未列明的错误，按暂时失败重试"))
    detail = redact(f"{platform}返回错误 {code}：{msg}（{meaning}）")
    return kind, Outcome("failed", detail, permanent=kind == "permanent")


class AppPlugin(DubanPlugin):
    """An app messaging a person: its token fetched once for all processes (see
    :mod:`notifications.tokens`), refreshed once on an expired-token code."""

    # Declared again (as DubanPlugin does) so the plugins below are checked against
    # str, not apprise's None.
    service_name: str
    secure_protocol: str
    platform = ""
    codes: ClassVar[Codes] = {}

    def __init__(
        self,
        token: str = "",
        *,
        app_id: str = "",
        app_secret: str = "",
        agent_id: str = "",
        id_type: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(token or app_id, **kwargs)
        self.client_id, self.app_secret, self.agent_id = app_id, app_secret, agent_id
        self.id_type = id_type or "open_id"

    @property
    def app(self) -> str:
        return f"{self.secure_protocol}|{self.base_url}|{self.client_id}|{self.agent_id}"

    def fetch(self) -> tuple[str, int]:
        raise NotImplementedError

    def request(self, token: str, to: str, title: str, body: str, link: str, key: str) -> Posted:
        raise NotImplementedError

    def accepted(self, answer: dict[str, Any], to: str) -> Outcome:
        return Outcome("sent", f"{self.platform}已受理")

    def _get_token(self, path: str, params: dict[str, Any]) -> tuple[str, int]:
        """A token fetched by GET (WeCom's and DingTalk's ``gettoken``)."""
        try:
            r: requests.Response | None = session().get(
                f"{self.base_url}{path}", timeout=self.timeout, params=params
            )
            bad = None
        except requests.RequestException as exc:
            r, bad = None, Outcome("failed", redact(str(exc)))
        return self._token_answer(r, bad, "access_token", "expires_in")

    def _token_answer(
        self, r: requests.Response | None, bad: Outcome | None, field: str, expires: str
    ) -> tuple[str, int]:
        from notifications.tokens import TokenError

        answer = _json(r) if r is not None else None
        if answer is None:
            raise TokenError(
                f"获取{self.platform} access_token 失败：{bad.detail if bad else '应答不是 JSON'}",
                permanent=False,
            )
        code = answer.get("errcode", answer.get("code", 0))
        if code not in (0, "0") or not answer.get(field):
            kind, outcome = verdict(
                self.codes,
                code,
                str(answer.get("errmsg") or answer.get("msg") or ""),
                self.platform,
            )
            raise TokenError(
                f"获取 access_token 失败：{outcome.detail}", permanent=kind == "permanent"
            )
        return str(answer[field]), int(answer.get(expires) or 7200)

    def deliver(
        self,
        body: str,
        title: str,
        key: str,
        to: str = "",
        link: str = "",
    ) -> Outcome:
        from notifications.tokens import TokenError, cache

        for attempt in (1, 2):
            try:
                token = cache().get(self.app, self.fetch)
            except TokenError as exc:
                return Outcome("failed", exc.detail, permanent=exc.permanent)
            posted = self.request(token, to, title, body, link, key)
            if posted[1] is None:  # no answer came
                return posted[0]
            bad, r = posted
            answer = _json(r)
            if answer is None:
                return bad or Outcome("failed", redact(f"应答不是 JSON：{r.text[:200]}"))
            code = answer.get("errcode", answer.get("code"))
            if code in (0, "0"):
                return self.accepted(answer, to)
            kind, outcome = verdict(
                self.codes,
                code,
                str(answer.get("errmsg") or answer.get("msg") or ""),
                self.platform,
            )
            if kind == "token" and attempt == 1:
                cache().drop(self.app, token)
                continue
            return outcome
        return outcome


def _json(r: requests.Response) -> dict[str, Any] | None:
    try:
        body = r.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _without_link(body: str, link: str) -> str:
    return "\n".join(line for line in body.split("\n") if not link or link not in line).strip()


class WeComApp(AppPlugin):
    """企业微信 / 政务微信 应用消息 to one member: a textcard whose button (在线报送) opens
    the unit's page, text when there is no link; de-duplicated by WeCom for 30 minutes."""

    service_name = "WeCom app message (duban)"
    secure_protocol = "dubanwecomapp"
    base_url = "https://qyapi.weixin.qq.com"
    platform = "企业微信"
    codes = WECOM_CODES

    def fetch(self) -> tuple[str, int]:
        return self._get_token(
            "/cgi-bin/gettoken", {"corpid": self.client_id, "corpsecret": self.app_secret}
        )

    def request(self, token: str, to: str, title: str, body: str, link: str, key: str) -> Posted:
        message: dict[str, Any] = {
            "touser": to,
            "agentid": int(self.agent_id or 0),
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        }
        if link:
            message |= {
                "msgtype": "textcard",
                "textcard": {
                    "title": cut_bytes(title, 128, "…"),
                    "url": link,
                    "btntxt": "在线报送",
                    "description": cut_bytes(_without_link(body, link), 512, "…"),
                },
            }
        else:
            message |= {"msgtype": "text", "text": {"content": cut_bytes(f"{title}\n{body}", 2048)}}
        return post(
            f"{self.base_url}/cgi-bin/message/send",
            params={"access_token": token},
            json_body=message,
            timeout=self.timeout,
        )

    def accepted(self, answer: dict[str, Any], to: str) -> Outcome:
        invalid = str(answer.get("invaliduser") or "")
        if to.lower() in invalid.lower().split("|"):  # errcode 0, yet not delivered
            return Outcome(
                "failed",
                f"企业微信不认识用户 {to}（invaliduser）：请核对名录中的"
                "企业微信账号，或把此人加入应用的可见范围",
                permanent=True,
            )
        return Outcome("sent", f"企业微信已受理 msgid={answer.get('msgid', '')}")


class DingTalkWork(AppPlugin):
    """钉钉 / 浙政钉 工作通知 (asyncsend_v2) to one user id: an action card whose button
    opens the unit's page, markdown otherwise."""

    service_name = "DingTalk work notice (duban)"
    secure_protocol = "dubandingtalkwork"
    base_url = "https://oapi.dingtalk.com"
    platform = "钉钉"
    codes = DINGTALK_CODES

    def fetch(self) -> tuple[str, int]:
        return self._get_token(
            "/gettoken", {"appkey": self.client_id, "appsecret": self.app_secret}
        )

    def request(self, token: str, to: str, title: str, body: str, link: str, key: str) -> Posted:
        text = cut_bytes(f"### {title}\n\n{_without_link(body, link)}", 5000)
        msg: dict[str, Any] = (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": title,
                    "markdown": text,
                    "single_title": "在线报送",
                    "single_url": link,
                },
            }
            if link
            else {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        )
        return post(
            f"{self.base_url}/topapi/message/corpconversation/asyncsend_v2",
            params={"access_token": token},
            timeout=self.timeout,
            json_body={"agent_id": int(self.agent_id or 0), "userid_list": to, "msg": msg},
        )

    def accepted(self, answer: dict[str, Any], to: str) -> Outcome:
        return Outcome("sent", f"钉钉已受理 task_id={answer.get('task_id', '')}")


class FeishuApp(AppPlugin):
    """飞书 / Lark message to one user (open_id or user_id): a card whose button opens
    the unit's page; Feishu keeps one message per ``uuid`` (the idempotency key) an hour."""

    service_name = "Feishu app message (duban)"
    secure_protocol = "dubanfeishuapp"
    base_url = "https://open.feishu.cn"
    platform = "飞书"
    codes = FEISHU_CODES

    def fetch(self) -> tuple[str, int]:
        bad, r = post(
            f"{self.base_url}/open-apis/auth/v3/tenant_access_token/internal",
            json_body={"app_id": self.client_id, "app_secret": self.app_secret},
            timeout=self.timeout,
        )
        return self._token_answer(r, bad, "tenant_access_token", "expire")

    def request(self, token: str, to: str, title: str, body: str, link: str, key: str) -> Posted:
        elements: list[dict[str, Any]] = [
            {
                "tag": "div",
                "text": {
                    "tag": "plain_text",
                    "content": cut_bytes(_without_link(body, link), 18000),
                },
            }
        ]
        if link:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "type": "primary",
                            "url": link,
                            "text": {"tag": "plain_text", "content": "在线报送"},
                        }
                    ],
                }
            )
        card = {"header": {"title": {"tag": "plain_text", "content": title}}, "elements": elements}
        return post(
            f"{self.base_url}/open-apis/im/v1/messages",
            timeout=self.timeout,
            params={"receive_id_type": self.id_type},
            headers={"Authorization": f"Bearer {token}"},
            json_body={
                "receive_id": to,
                "msg_type": "interactive",
                "content": json.dumps(card, ensure_ascii=False),
                "uuid": hashlib.sha256(key.encode()).hexdigest()[:50],
            },
        )


APPS = (WeComApp, DingTalkWork, FeishuApp)
