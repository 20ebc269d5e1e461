"""A loopback HTTP server standing in for an SMS gateway and the IM bot platforms.

It answers like the real platforms (``errcode``/``code`` JSON), de-duplicates on
the ``Idempotency-Key`` header as SMS gateways do, checks DingTalk and Feishu
signatures, and injects faults on request: HTTP 500, a dropped connection, an
answer slower than the client's read timeout, HTTP 200 with an error code.

It also plays the per-person platforms (:class:`Platforms`): WeCom / DingTalk /
Feishu token endpoints that issue tokens and expire them, send endpoints that check
the token and the user id; Alibaba Cloud and Tencent Cloud SMS endpoints that
recompute the request's signature (so a wrong algorithm fails), check the template
id and its variables; each answering with the platform's real error codes.
Tests and ``bench/dispatch.py`` use it; ``python -m tests.receiver PORT LATENCY``
runs it in its own process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _Server(ThreadingHTTPServer):
    """A listen backlog for 64 concurrent senders (Python's default of 5 resets
    connections under load, which tests would read as the channel failing)."""

    request_queue_size = 256
    daemon_threads = True


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float
    raw: bytes = b""


# fault(request, times this key was seen before) -> "ok" | "500" | "drop" | "slow" | "errcode"
Fault = Callable[[Seen, int], str]


@dataclass
class Receiver:
    latency: float = 0.0
    fault: Fault | None = None
    slow: float = 1.0
    sign_secret: str | None = None
    platforms: Platforms | None = None
    requests: list[Seen] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)  # per idempotency key / content
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, port: int = 0) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                receiver.handle(self)

            def do_GET(self) -> None:
                receiver.handle(self)

        self.server = _Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def key(self, seen: Seen) -> str:
        return seen.headers.get("idempotency-key") or json.dumps(
            seen.body, sort_keys=True, ensure_ascii=False
        )

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        parts = urlsplit(h.path)
        ctype = h.headers.get("Content-Type", "")
        body: Any = (
            json.loads(raw)
            if "json" in ctype
            else {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        )
        seen = Seen(
            parts.path,
            {k: v[0] for k, v in parse_qs(parts.query).items()},
            {k.lower(): v for k, v in h.headers.items()},
            body,
            time.time(),
            raw,
        )
        if self.platforms is not None:
            answered = self.platforms.answer(seen)
            if answered is not None:
                with self.lock:
                    self.requests.append(seen)
                return self.answer(h, *answered)
        key = self.key(seen)
        with self.lock:
            before = sum(1 for s in self.requests if self.key(s) == key) if self.fault else 0
            self.requests.append(seen)
        action = self.fault(seen, before) if self.fault else "ok"
        if self.latency:
            time.sleep(self.latency)
        if action == "drop":
            h.close_connection = True
            h.connection.close()  # the request arrived; no answer goes back
            return
        if action == "500":
            return self.answer(h, 500, {"error": "internal"})
        if action == "errcode":
            return self.answer(
                h,
                200,
                {
                    "errcode": 93000,
                    "errmsg": "invalid webhook url",
                    "code": 19001,
                    "msg": "param invalid",
                },
            )
        problem = self.check_signature(seen)
        if problem:
            return self.answer(
                h, 200, {"errcode": 310000, "errmsg": problem, "code": 19021, "msg": problem}
            )
        with self.lock:
            self.accepted[key] += 1 if self.accepted[key] == 0 else 0  # a gateway de-duplicates
        if action == "slow":
            time.sleep(self.slow)  # taken, but the answer comes after the client gave up
        self.answer(h, 200, {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"})

    def check_signature(self, seen: Seen) -> str | None:
        if not self.sign_secret:
            return None
        if seen.path == "/robot/send":  # DingTalk: sign in the query, URL-decoded once
            ts, sign = seen.query.get("timestamp", ""), seen.query.get("sign", "")
            want = base64.b64encode(
                hmac.new(
                    self.sign_secret.encode(), f"{ts}\n{self.sign_secret}".encode(), hashlib.sha256
                ).digest()
            ).decode()
            return None if sign == want else "sign not match"
        if seen.path.startswith("/open-apis/bot/v2/hook/"):
            ts, sign = str(seen.body.get("timestamp", "")), seen.body.get("sign", "")
            want = base64.b64encode(
                hmac.new(f"{ts}\n{self.sign_secret}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            return None if sign == want else "sign match fail"
        return None

    def answer(self, h: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass  # the client gave up (read timeout) before the answer


Answer = tuple[int, dict[str, Any]]
MOBILE = re.compile(r"^(\+86)?1[3-9][0-9]{9}$")


@dataclass
class Platforms:
    """The per-person platforms and cloud SMS, as they behave: tokens issued for the
    right credentials and expired after ``ttl`` seconds (or at once, by ``expire``),
    users known by id, signatures recomputed, templates checked, real error codes.
    ``script`` holds answers to give the next send requests instead (error-code tables).
    ``delivered`` counts messages accepted per (platform, user)."""

    ttl: float = 7200
    wecom: tuple[str, str] = ("ww-corp-1", "wecom-app-secret-1")
    dingtalk: tuple[str, str] = ("ding-app-key-1", "ding-app-secret-1")
    feishu: tuple[str, str] = ("cli_app_1", "feishu-app-secret-1")
    users: set[str] = field(default_factory=set)
    aliyun: tuple[str, str] = ("LTAI-test-id", "aliyun-key-secret-1")
    tencent: tuple[str, str] = ("AKID-test-id", "tencent-key-secret-1")
    aliyun_templates: dict[str, set[str]] = field(default_factory=dict)
    tencent_templates: dict[str, int] = field(default_factory=dict)
    script: list[Answer] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    issued: Counter[str] = field(default_factory=Counter)
    delivered: Counter[tuple[str, str]] = field(default_factory=Counter)
    sms: list[dict[str, Any]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)  # accepted app messages
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expire(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def _issue(self, platform: str) -> str:
        with self.lock:
            self.issued[platform] += 1
            token = f"{platform}-token-{self.issued[platform]}-{uuid.uuid4().hex[:8]}"
            self.tokens[token] = time.time() + self.ttl
        return token

    def _token_state(self, token: str) -> str:
        with self.lock:
            until = self.tokens.get(token)
        return "missing" if until is None else "expired" if until <= time.time() else "ok"

    def _scripted(self) -> Answer | None:
        with self.lock:
            return self.script.pop(0) if self.script else None

    def answer(self, seen: Seen) -> Answer | None:
        route = {
            "/cgi-bin/gettoken": self.wecom_token,
            "/cgi-bin/message/send": self.wecom_send,
            "/gettoken": self.dingtalk_token,
            "/topapi/message/corpconversation/asyncsend_v2": self.dingtalk_send,
            "/open-apis/auth/v3/tenant_access_token/internal": self.feishu_token,
            "/open-apis/im/v1/messages": self.feishu_send,
        }.get(seen.path)
        if route is None and seen.path == "/":
            route = self.tencent_send if "x-tc-action" in seen.headers else self.aliyun_send
        return route(seen) if route else None

    def wecom_token(self, seen: Seen) -> Answer:
        if (seen.query.get("corpid"), seen.query.get("corpsecret")) != self.wecom:
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        return 200, {
            "errcode": 0,
            "errmsg": "ok",
            "access_token": self._issue("wecom"),
            "expires_in": int(self.ttl),
        }

    def wecom_send(self, seen: Seen) -> Answer:
        state = self._token_state(seen.query.get("access_token", ""))
        if state != "ok":
            return 200, (
                {"errcode": 42001, "errmsg": "access_token expired"}
                if state == "expired"
                else {"errcode": 40014, "errmsg": "invalid access_token"}
            )
        if (scripted := self._scripted()) is not None:
            return scripted
        to = seen.body.get("touser", "")
        if to not in self.users:
            return 200, {
                "errcode": 81013,
                "errmsg": "user & party & tag all invalid",
                "invaliduser": to,
            }
        self.delivered[("wecom", to)] += 1
        self.bodies.append(seen.body)
        return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": uuid.uuid4().hex}

    def dingtalk_token(self, seen: Seen) -> Answer:
        if (seen.query.get("appkey"), seen.query.get("appsecret")) != self.dingtalk:
            return 200, {"errcode": 40089, "errmsg": "不合法的appKey或appSecret"}
        return 200, {
            "errcode": 0,
            "errmsg": "ok",
            "access_token": self._issue("dingtalk"),
            "expires_in": int(self.ttl),
        }

    def dingtalk_send(self, seen: Seen) -> Answer:
        state = self._token_state(seen.query.get("access_token", ""))
        if state != "ok":
            return 200, (
                {"errcode": 42001, "errmsg": "access_token超时"}
                if state == "expired"
                else {"errcode": 40014, "errmsg": "不合法的access_token"}
            )
        if (scripted := self._scripted()) is not None:
            return scripted
        to = seen.body.get("userid_list", "")
        if to not in self.users:
            return 200, {"errcode": 33012, "errmsg": "无效的USERID"}
        self.delivered[("dingtalk", to)] += 1
        self.bodies.append(seen.body)
        return 200, {"errcode": 0, "task_id": len(self.delivered), "request_id": "r1"}

    def feishu_token(self, seen: Seen) -> Answer:
        if (seen.body.get("app_id"), seen.body.get("app_secret")) != self.feishu:
            return 200, {"code": 10014, "msg": "app secret invalid"}
        return 200, {
            "code": 0,
            "msg": "ok",
            "tenant_access_token": self._issue("feishu"),
            "expire": int(self.ttl),
        }

    def feishu_send(self, seen: Seen) -> Answer:
        token = seen.headers.get("authorization", "").removeprefix("Bearer ")
        if self._token_state(token) != "ok":
            return 400, {"code": 99991663, "msg": "Invalid access token for authorization."}
        if (scripted := self._scripted()) is not None:
            return scripted
        to = seen.body.get("receive_id", "")
        if to not in self.users:
            return 400, {"code": 230013, "msg": "Bot has NO availability to this user."}
        self.delivered[("feishu", to)] += 1
        self.bodies.append(seen.body)
        return 200, {"code": 0, "msg": "success", "data": {"message_id": "om_1"}}

    def aliyun_send(self, seen: Seen) -> Answer:
        from notifications.cloudsms import aliyun_signature

        params = dict(seen.body)
        given = params.pop("Signature", "")
        if params.get("AccessKeyId") != self.aliyun[0]:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
            }
        if given != aliyun_signature(params, self.aliyun[1], "POST"):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
            }
        if (scripted := self._scripted()) is not None:
            return scripted
        wanted = self.aliyun_templates.get(params.get("TemplateCode", ""))
        if wanted is None:
            return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"}
        variables = json.loads(params.get("TemplateParam") or "{}")
        if set(variables) != wanted:
            return 200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"}
        if not MOBILE.match(params.get("PhoneNumbers", "")):
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        self.sms.append(
            {
                "platform": "aliyun",
                "to": params["PhoneNumbers"],
                "template": params["TemplateCode"],
                "vars": variables,
                "sign": params.get("SignName"),
                "key": params.get("OutId"),
            }
        )
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"biz-{len(self.sms)}",
            "RequestId": uuid.uuid4().hex,
        }

    def tencent_send(self, seen: Seen) -> Answer:
        from notifications.cloudsms import tc3_authorization

        ts = int(seen.headers.get("x-tc-timestamp", "0"))
        want = tc3_authorization(
            self.tencent[0], self.tencent[1], seen.headers.get("host", ""), seen.raw, ts
        )
        if seen.headers.get("authorization") != want:
            return 200, {
                "Response": {
                    "Error": {
                        "Code": "AuthFailure.SignatureFailure",
                        "Message": "The provided credentials could not be validated.",
                    },
                    "RequestId": "r",
                }
            }
        if (scripted := self._scripted()) is not None:
            return scripted
        body = seen.body
        count = self.tencent_templates.get(body.get("TemplateId", ""))
        number = (body.get("PhoneNumberSet") or [""])[0]
        if count is None:
            code = "FailedOperation.TemplateIncorrectOrUnapproved"
        elif len(body.get("TemplateParamSet") or []) != count:
            code = "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
        elif not MOBILE.match(number):
            code = "InvalidParameterValue.IncorrectPhoneNumber"
        else:
            self.sms.append(
                {
                    "platform": "tencent",
                    "to": number,
                    "template": body["TemplateId"],
                    "vars": body["TemplateParamSet"],
                    "sign": body.get("SignName"),
                    "key": body.get("SessionContext"),
                }
            )
            code = "Ok"
        return 200, {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": f"serial-{len(self.sms)}",
                        "PhoneNumber": number,
                        "Fee": 1,
                        "SessionContext": body.get("SessionContext", ""),
                        "Code": code,
                        "Message": "send success" if code == "Ok" else code,
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": uuid.uuid4().hex,
            }
        }


if __name__ == "__main__":
    r = Receiver(latency=float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
    print(r.start(int(sys.argv[1])), flush=True)
    threading.Event().wait()
