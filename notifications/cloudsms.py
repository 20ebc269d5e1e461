"""Cloud SMS as offices buy it: Alibaba Cloud SMS (dysmsapi) and Tencent Cloud SMS.

Both send only a pre-approved template with its variables under a registered
signature; free text is refused. ``channels.yaml`` maps each notice kind to its
template id and says how each variable is filled from the message's parameters
(:func:`notifications.claim.template_params`: kind, name, unit, item, due, step,
count, day, plan, subject, link). Requests are signed with each API's own algorithm:
Alibaba's RPC signature (HMAC-SHA1 over the sorted, percent-encoded parameters),
Tencent's TC3-HMAC-SHA256. The idempotency key rides along (``OutId``,
``SessionContext``) and the platform's receipt id (``BizId``, ``SerialNo``) is kept
in the attempt's detail, from which the delivery receipt can be looked up.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from notifications.channels import Outcome
from notifications.plugins import DubanPlugin, post
from notifications.secrets import redact

VARIABLE = re.compile(r"\{([a-z_]+)\}")
PARAMS = ("kind", "name", "unit", "item", "due", "step", "count", "day", "plan", "subject", "link")

# Codes that sending again cannot help with; anything else is retried by the rules.
ALIYUN_PERMANENT = {
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号不合法",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板缺少变量",
    "isv.SMS_TEMPLATE_ILLEGAL": "模板不存在或未审核通过",
    "isv.SMS_SIGNATURE_ILLEGAL": "签名不合法",
    "isv.INVALID_PARAMETERS": "参数异常",
    "isv.INVALID_JSON_PARAM": "变量不是合法 JSON",
    "isv.PARAM_LENGTH_LIMIT": "变量超出长度限制",
    "isv.PARAM_NOT_SUPPORT_URL": "变量不支持链接",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isv.BLACK_KEY_CONTROL_LIMIT": "号码在黑名单中",
    "isp.RAM_PERMISSION_DENY": "RAM 权限不足",
    "isv.OUT_OF_SERVICE": "业务停机",
    "SignatureDoesNotMatch": "签名计算不符（AccessKey Secret 有误？）",
    "InvalidAccessKeyId.NotFound": "AccessKey ID 不存在",
}
ALIYUN_TRANSIENT = {
    "isp.SYSTEM_ERROR": "系统错误",
    "isv.BUSINESS_LIMIT_CONTROL": "业务限流",
    "isv.DAY_LIMIT_CONTROL": "已达日发送上限",
    "Throttling.User": "调用频率超限",
    "SignatureNonceUsed": "随机数重复",
    "InvalidTimeStamp.Expired": "时间戳过期（本机时钟？）",
}
TENCENT_PERMANENT = {
    "AuthFailure.SignatureFailure": "签名计算不符（SecretKey 有误？）",
    "AuthFailure.SecretIdNotFound": "SecretId 不存在",
    "InvalidParameterValue.IncorrectPhoneNumber": "手机号不合法",
    "FailedOperation.TemplateIncorrectOrUnapproved": "模板不存在或未审核通过",
    "FailedOperation.SignatureIncorrectOrUnapproved": "签名不存在或未审核通过",
    "InvalidParameterValue.TemplateParameterFormatError": "变量格式不对",
    "InvalidParameterValue.TemplateParameterLengthLimit": "变量超出长度限制",
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": "变量不允许链接",
    "FailedOperation.InsufficientBalanceInSmsPackage": "套餐包余量不足",
    "FailedOperation.PhoneNumberInBlacklist": "号码在黑名单中",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": "SmsSdkAppId 校验失败",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": "变量个数与审核通过的模板不符",
}
TENCENT_TRANSIENT = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": "同一号码 30 秒内发送过多",
    "LimitExceeded.PhoneNumberOneHourLimit": "同一号码 1 小时内发送过多",
    "LimitExceeded.PhoneNumberDailyLimit": "同一号码当日发送过多",
    "LimitExceeded.DeliveryFrequencyLimit": "下发频率超限",
    "RequestLimitExceeded": "请求频率超限",
    "InternalError.Timeout": "平台超时",
    "InternalError.SendAndRecvFail": "平台收发失败",
    "AuthFailure.SignatureExpire": "签名过期（本机时钟？）",
}


@dataclass(frozen=True)
class SmsTemplate:
    """An approved template: its id and how each variable is filled."""

    id: str
    params: dict[str, str] | list[str]


def fill(expr: str, values: dict[str, Any], limit: int | None) -> str:
    text = VARIABLE.sub(lambda m: str(values.get(m[1], "")), expr)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _verdict(
    code: str, msg: str, permanent: dict[str, str], transient: dict[str, str], platform: str
) -> Outcome:
    meaning = permanent.get(code) or transient.get(code) or "未列明的错误，按暂时失败重试"
    return Outcome(
        "failed", redact(f"{platform}返回 {code}：{msg}（{meaning}）"), permanent=code in permanent
    )


class CloudSms(DubanPlugin):
    """Shared parts: the template for the message's kind and its variables."""

    # Declared again (as DubanPlugin does) so the plugins below are checked against
    # str, not apprise's None.
    service_name: str
    secure_protocol: str
    platform = ""

    def __init__(
        self,
        *,
        key_id: str,
        key_secret: str,
        sign_name: str,
        templates: dict[str, SmsTemplate],
        region: str = "",
        sdk_app_id: str = "",
        var_max: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(key_id, **kwargs)
        self.key_id, self.key_secret, self.sign_name = key_id, key_secret, sign_name
        self.sms_templates, self.region, self.sdk_app_id = templates, region, sdk_app_id
        self.var_max = var_max

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        return f"{self.secure_protocol}://{urlsplit(self.base_url).netloc}"

    def template(self, params: dict[str, Any]) -> SmsTemplate | None:
        return self.sms_templates.get(str(params.get("kind", "")))

    def deliver(
        self,
        body: str,
        title: str,
        key: str,
        to: str = "",
        params: dict[str, Any] | None = None,
    ) -> Outcome:
        t = self.template(params or {})
        if t is None:
            return Outcome(
                "failed",
                f"channels.yaml 中没有通知类型 {(params or {}).get('kind')} 的短信模板",
                permanent=True,
            )
        return self.send_template(to, t, params or {}, key)

    def send_template(self, to: str, t: SmsTemplate, params: dict[str, Any], key: str) -> Outcome:
        raise NotImplementedError


def percent(value: str) -> str:
    """Alibaba's POP percent-encoding: RFC 3986 unreserved characters kept, UTF-8."""
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """RPC signature v1.0: HMAC-SHA1 with ``secret&`` over ``METHOD&%2F&`` and the
    percent-encoded, sorted, percent-encoded query; base64."""
    query = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms(CloudSms):
    """阿里云短信服务 SendSms (2017-05-25)."""

    service_name = "Alibaba Cloud SMS (duban)"
    secure_protocol = "dubanaliyunsms"
    base_url = "https://dysmsapi.aliyuncs.com"
    platform = "阿里云短信"

    def send_template(self, to: str, t: SmsTemplate, params: dict[str, Any], key: str) -> Outcome:
        names = t.params if isinstance(t.params, dict) else {}
        variables = {k: fill(v, params, self.var_max) for k, v in names.items()}
        query = {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": to,
            "RegionId": self.region or "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": t.id,
            "TemplateParam": json.dumps(variables, ensure_ascii=False),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "OutId": key[:200],
        }
        query["Signature"] = aliyun_signature(query, self.key_secret)
        posted = post(f"{self.base_url}/", form=query, timeout=self.timeout)
        if posted[1] is None:  # no answer came
            return posted[0]
        bad, r = posted
        try:
            answer = r.json()
        except ValueError:
            return bad or Outcome("failed", redact(f"应答不是 JSON：{r.text[:200]}"))
        code = str(answer.get("Code", ""))
        if code == "OK":
            return Outcome("sent", f"阿里云已受理 BizId={answer.get('BizId', '')}")
        return _verdict(
            code, str(answer.get("Message", "")), ALIYUN_PERMANENT, ALIYUN_TRANSIENT, self.platform
        )


def tc3_string_to_sign(host: str, payload: bytes, timestamp: int, service: str = "sms") -> str:
    """Steps 1 and 2 of TC3-HMAC-SHA256: the canonical POST request (content-type and
    host signed), hashed into the string to sign under the UTC date's scope."""
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical = (
        f"POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:{host}\n\n"
        f"content-type;host\n{hashlib.sha256(payload).hexdigest()}"
    )
    return (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n"
        f"{hashlib.sha256(canonical.encode()).hexdigest()}"
    )


def tc3_authorization(
    secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = "sms"
) -> str:
    """Tencent Cloud API 3.0 TC3-HMAC-SHA256 over the canonical POST request."""
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = tc3_string_to_sign(host, payload, timestamp, service)

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = mac(mac(mac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


class TencentSms(CloudSms):
    """腾讯云短信 SendSms (2021-01-11)."""

    service_name = "Tencent Cloud SMS (duban)"
    secure_protocol = "dubantencentsms"
    base_url = "https://sms.tencentcloudapi.com"
    platform = "腾讯云短信"

    def send_template(self, to: str, t: SmsTemplate, params: dict[str, Any], key: str) -> Outcome:
        order = t.params if isinstance(t.params, list) else []
        number = to if to.startswith("+") else f"+86{to}"
        payload = json.dumps(
            {
                "PhoneNumberSet": [number],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name,
                "TemplateId": t.id,
                "TemplateParamSet": [fill(v, params, self.var_max) for v in order],
                "SessionContext": key[:500],
            },
            ensure_ascii=False,
        ).encode()
        host = urlsplit(self.base_url).netloc
        now = int(time.time())
        headers = {
            "Authorization": tc3_authorization(self.key_id, self.key_secret, host, payload, now),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(now),
            "X-TC-Region": self.region or "ap-guangzhou",
        }
        posted = post(f"{self.base_url}/", raw=payload, headers=headers, timeout=self.timeout)
        if posted[1] is None:  # no answer came
            return posted[0]
        bad, r = posted
        try:
            answer = r.json().get("Response") or {}
        except (ValueError, AttributeError):
            return bad or Outcome("failed", redact(f"应答不是 JSON：{r.text[:200]}"))
        if "Error" in answer:
            err = answer["Error"]
            return _verdict(
                str(err.get("Code")),
                str(err.get("Message")),
                TENCENT_PERMANENT,
                TENCENT_TRANSIENT,
                self.platform,
            )
        status = (answer.get("SendStatusSet") or [{}])[0]
        if str(status.get("Code")) == "Ok":
            return Outcome("sent", f"腾讯云已受理 SerialNo={status.get('SerialNo', '')}")
        return _verdict(
            str(status.get("Code")),
            str(status.get("Message")),
            TENCENT_PERMANENT,
            TENCENT_TRANSIENT,
            self.platform,
        )


SMS_CLOUDS = (AliyunSms, TencentSms)
