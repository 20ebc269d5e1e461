"""Per-person app messages (WeCom / 政务微信, DingTalk / 浙政钉, Feishu) and cloud SMS
(Alibaba Cloud, Tencent Cloud) against loopback servers that behave as the platforms
do: tokens issued and expired, signatures recomputed, templates and user ids checked,
the platforms' own error codes. The error-code tables need no ledger."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from duban.cli import app
from ledger import config
from ledger.db import transaction
from ledger.models import Contact, Delivery, Notification, Unit
from ledger.supervise import sweep_all
from notifications.apps import DingTalkWork, FeishuApp, WeComApp
from notifications.channels import Outcome
from notifications.cloudsms import (
    AliyunSms,
    SmsTemplate,
    TencentSms,
    aliyun_signature,
    tc3_string_to_sign,
)
from notifications.render import KINDS
from tests.conftest import ROOT, at, cli
from tests.receiver import Platforms, Receiver
from usecases.dispatch import dispatch_now

PERSON = "sfj_fg"  # 市司法局 分管领导's WeCom id in the sample directory
ALIYUN_VARS = {"unit": "{unit}", "item": "{item}", "due": "{due}", "link": "{link}"}


@pytest.fixture
def platforms() -> Iterator[tuple[Platforms, str]]:
    p = Platforms(
        users={PERSON, "ding-user-1", "ou_feishu_user_1"},
        aliyun_templates={f"SMS_{k.upper()}": set(ALIYUN_VARS) for k in KINDS},
        tencent_templates={f"{1000 + i}": 3 for i, _ in enumerate(KINDS)},
    )
    r = Receiver(platforms=p)
    url = r.start()
    try:
        yield p, url
    finally:
        r.stop()


def wecom(url: str, secret: str = "wecom-app-secret-1") -> WeComApp:
    return WeComApp(app_id="ww-corp-1", agent_id="1000002", app_secret=secret, base_url=url)


def dingtalk(url: str) -> DingTalkWork:
    return DingTalkWork(
        app_id="ding-app-key-1", agent_id="20001", app_secret="ding-app-secret-1", base_url=url
    )


def feishu(url: str) -> FeishuApp:
    return FeishuApp(app_id="cli_app_1", app_secret="feishu-app-secret-1", base_url=url)


def aliyun(url: str, secret: str = "aliyun-key-secret-1") -> AliyunSms:
    return AliyunSms(
        key_id="LTAI-test-id",
        key_secret=secret,
        sign_name="中山市政务公开",
        base_url=url,
        templates={k: SmsTemplate(f"SMS_{k.upper()}", ALIYUN_VARS) for k in KINDS},
    )


def tencent(url: str, secret: str = "tencent-key-secret-1") -> TencentSms:
    return TencentSms(
        key_id="AKID-test-id",
        key_secret=secret,
        sign_name="浙江政务",
        sdk_app_id="1400000001",
        base_url=url,
        templates={
            k: SmsTemplate(f"{1000 + i}", ["{unit}", "{item}", "{due}"])
            for i, k in enumerate(KINDS)
        },
    )


PARAMS = {
    "kind": "duban",
    "unit": "市司法局",
    "item": "政务公开工作要点",
    "due": "2021-07-19",
    "link": "http://127.0.0.1:8780/u/abc",
}


def send(plugin: Any, to: str) -> Outcome:
    if isinstance(plugin, AliyunSms | TencentSms):
        return plugin.deliver("", "【督办】", "k/1", to=to, params=PARAMS)
    return plugin.deliver(
        "正文\n在线报送：http://127.0.0.1:8780/u/abc",
        "【督办】标题",
        "k/1",
        to=to,
        link="http://127.0.0.1:8780/u/abc",
    )


# (platform, recipient, scripted answer or None, retried?, alert?): a refusal that sending
# again cannot help is neither retried nor silent.
CASES = [
    ("wecom", PERSON, (200, {"errcode": 45009, "errmsg": "api freq out of limit"}), True),
    ("wecom", PERSON, (200, {"errcode": -1, "errmsg": "system busy"}), True),
    ("wecom", PERSON, (200, {"errcode": 48002, "errmsg": "api forbidden"}), False),
    (
        "wecom",
        PERSON,
        (200, {"errcode": 60020, "errmsg": "not allow to access from your ip"}),
        False,
    ),
    ("wecom", "no_such_user", None, False),  # 81013 from the platform
    ("dingtalk", "ding-user-1", (200, {"errcode": 90018, "errmsg": "请求被限流"}), True),
    ("dingtalk", "ding-user-1", (200, {"errcode": 88, "errmsg": "ding talk error"}), True),
    ("dingtalk", "nobody", None, False),  # 33012
    (
        "feishu",
        "ou_feishu_user_1",
        (400, {"code": 99991400, "msg": "request trigger frequency limit"}),
        True,
    ),
    ("feishu", "ou_feishu_user_1", (400, {"code": 230020, "msg": "rate limit"}), True),
    ("feishu", "ou_nobody", None, False),  # 230013
    (
        "aliyun",
        "13800000022",
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "限流"}),
        True,
    ),
    ("aliyun", "13800000022", (200, {"Code": "isp.SYSTEM_ERROR", "Message": "系统错误"}), True),
    ("aliyun", "12345", None, False),  # isv.MOBILE_NUMBER_ILLEGAL
    (
        "tencent",
        "13800000022",
        (
            200,
            {
                "Response": {
                    "SendStatusSet": [
                        {"Code": "LimitExceeded.PhoneNumberThirtySecondLimit", "Message": "30s"}
                    ]
                }
            },
        ),
        True,
    ),
    ("tencent", "12345", None, False),  # InvalidParameterValue.IncorrectPhoneNumber
]
MAKERS = {
    "wecom": wecom,
    "dingtalk": dingtalk,
    "feishu": feishu,
    "aliyun": aliyun,
    "tencent": tencent,
}


@pytest.mark.parametrize(("platform", "to", "scripted", "retried"), CASES)
def test_each_error_code_is_retried_or_refused_for_good(
    platforms: tuple[Platforms, str],
    platform: str,
    to: str,
    scripted: tuple[int, dict] | None,
    retried: bool,
) -> None:
    p, url = platforms
    if scripted:
        p.script.append(scripted)
    outcome = send(MAKERS[platform](url), to)
    assert outcome.status == "failed"
    assert outcome.permanent is not retried, outcome.detail
    assert "（" in outcome.detail  # the meaning, in Chinese, beside the platform's words
    assert sum(p.delivered.values()) == 0 and p.sms == []


@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "feishu"])
def test_a_token_is_fetched_once_and_refreshed_once_when_it_expires(
    platforms: tuple[Platforms, str], platform: str
) -> None:
    p, url = platforms
    to = {"wecom": PERSON, "dingtalk": "ding-user-1", "feishu": "ou_feishu_user_1"}[platform]
    plugin = MAKERS[platform](url)
    for _ in range(3):
        assert send(plugin, to).status == "sent"
    assert p.issued[platform] == 1  # one token for every send
    p.expire()  # the platform drops it before its time: expired-token code, then refresh
    assert send(plugin, to).status == "sent"
    assert p.issued[platform] == 2 and p.delivered[(platform, to)] == 4


def test_the_token_is_shared_by_dispatcher_processes(
    platforms: tuple[Platforms, str], tmp_path: Path
) -> None:
    p, url = platforms
    assert send(wecom(url), PERSON).status == "sent"
    script = (
        "import sys; from tests.test_apps import wecom, send, PERSON; "
        "print(send(wecom(sys.argv[1]), PERSON).status)"
    )
    for _ in range(2):  # other processes, same $DUBAN_HOME: no token fetched again
        done = subprocess.run(
            [sys.executable, "-c", script, url],
            cwd=ROOT,
            text=True,
            capture_output=True,
            check=True,
        )
        assert done.stdout.strip() == "sent", done.stderr
    assert p.issued["wecom"] == 1 and p.delivered[("wecom", PERSON)] == 3
    stored = list((config.home() / "tokens").glob("*.json"))
    assert len(stored) == 1 and stored[0].stat().st_mode & 0o077 == 0


def test_a_wrong_secret_is_refused_for_good_and_never_shown(
    platforms: tuple[Platforms, str],
) -> None:
    p, url = platforms
    refused = send(wecom(url, secret="wrong-secret-9"), PERSON)
    assert refused.permanent and "40001" in refused.detail and "secret 不正确" in refused.detail
    for bad in (aliyun(url, "wrong-aliyun-secret"), tencent(url, "wrong-tencent-secret")):
        out = send(bad, "13800000022")
        assert out.permanent and "签名计算不符" in out.detail, out.detail
        assert "wrong-" not in out.detail
    assert p.sms == []


def test_the_signatures_reproduce_the_platforms_published_examples() -> None:
    """The loopback servers recompute signatures with duban's own functions, so these
    are checked against the vendors' worked examples: Alibaba's RPC signature example
    (DescribeRegions, secret ``testsecret``) and the string to sign of Tencent's TC3
    example (CVM DescribeInstances at 1551113065; its key is masked in the document)."""
    assert (
        aliyun_signature(
            {
                "AccessKeyId": "testid",
                "Action": "DescribeRegions",
                "Format": "XML",
                "SignatureMethod": "HMAC-SHA1",
                "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
                "SignatureVersion": "1.0",
                "Timestamp": "2016-02-23T12:46:24Z",
                "Version": "2014-05-26",
            },
            "testsecret",
            "GET",
        )
        == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    )
    payload = b'{"Limit": 1, "Filters": [{"Values": ["unnamed"], "Name": "instance-name"}]}'
    assert tc3_string_to_sign("cvm.tencentcloudapi.com", payload, 1551113065, "cvm") == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "2815843035062fffda5fd6f2a44ea8a34818b0dc46f024b8b3786976a3adda7a"
    )


def test_cloud_sms_sends_the_approved_template_with_its_variables(
    platforms: tuple[Platforms, str],
) -> None:
    p, url = platforms
    assert send(aliyun(url), "13800000022").detail.startswith("阿里云已受理 BizId=")
    assert send(tencent(url), "13800000022").detail.startswith("腾讯云已受理 SerialNo=")
    ali, ten = p.sms
    assert (ali["template"], ali["sign"], ali["key"]) == ("SMS_DUBAN", "中山市政务公开", "k/1")
    assert ali["vars"] == {
        "unit": "市司法局",
        "item": "政务公开工作要点",
        "due": "2021-07-19",
        "link": "http://127.0.0.1:8780/u/abc",
    }
    assert (ten["to"], ten["template"], ten["vars"]) == (
        "+8613800000022",
        str(1000 + KINDS.index("duban")),
        ["市司法局", "政务公开工作要点", "2021-07-19"],
    )


def channels_yaml(url: str, sms: dict[str, Any] | None = None, agent: str = "1000002") -> None:
    config.home().mkdir(parents=True, exist_ok=True)
    channels = {
        "wecom": {
            "transport": "wecom_app",
            "base_url": url,
            "app_id": "ww-corp-1",
            "agent_id": agent,
            "app_secret": "ZS_WECOM_APP_SECRET",
        },
        "sms": sms
        or {
            "transport": "aliyun_sms",
            "base_url": url,
            "key_id": "ZS_SMS_KEY_ID",
            "key_secret": "ZS_SMS_KEY_SECRET",
            "sign_name": "中山市政务公开",
            "templates": {k: {"id": f"SMS_{k.upper()}", "params": ALIYUN_VARS} for k in KINDS},
        },
    }
    (config.home() / "channels.yaml").write_text(
        yaml.safe_dump(
            {"channels": channels, "operators": ["email:ops@zs.example.cn"]}, allow_unicode=True
        ),
        encoding="utf-8",
    )


@pytest.fixture
def app_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZS_WECOM_APP_SECRET", "wecom-app-secret-1")
    monkeypatch.setenv("ZS_SMS_KEY_ID", "LTAI-test-id")
    monkeypatch.setenv("ZS_SMS_KEY_SECRET", "aliyun-key-secret-1")


def only_wecom(ledger: sessionmaker[Session], wecom_id: str) -> None:
    """市司法局's 分管领导 reachable only by a WeCom user id."""
    with transaction(ledger) as s:
        c = s.scalars(
            select(Contact).join(Unit).where(Unit.name == "市司法局", Contact.role == "leader")
        ).one()
        c.mobile, c.email, c.wecom_id, c.channels = None, None, wecom_id, ["wecom"]


def test_a_duban_reaches_a_person_on_wecom_and_sms_goes_as_a_template(
    ledger: sessionmaker[Session], platforms: tuple[Platforms, str], app_secrets: None
) -> None:
    p, url = platforms
    channels_yaml(url)
    only_wecom(ledger, PERSON)
    for day in ("2021-07-12", "2021-07-19", "2021-07-20", "2021-07-22"):
        sweep_all(ledger, at(f"{day}T09:00"), config.calendar())
        dispatch_now(at(f"{day}T09:05"))
    assert p.delivered[("wecom", PERSON)] == 1  # the 督办 of 07-22, to the person
    card = next(b for b in p.bodies if b.get("touser") == PERSON)
    assert card["msgtype"] == "textcard" and "督办" in card["textcard"]["title"]
    assert card["textcard"]["url"].startswith("http://127.0.0.1:8780/u/")
    assert card["textcard"]["btntxt"] == "在线报送"
    sifa = [m for m in p.sms if m["to"] == "13800000022"]
    assert sifa and all(m["sign"] == "中山市政务公开" for m in sifa)
    assert {m["template"] for m in sifa} >= {"SMS_REMINDER", "SMS_DUE"}
    assert all(m["vars"]["link"].startswith("http://127.0.0.1:8780/u/") for m in sifa)
    with transaction(ledger) as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.channel == "wecom", Notification.status == "sent")
            )
            == 1
        )


def test_an_unknown_user_is_dead_at_once_with_one_alert(
    ledger: sessionmaker[Session], platforms: tuple[Platforms, str], app_secrets: None
) -> None:
    _, url = platforms
    channels_yaml(url)
    only_wecom(ledger, "left_the_office")
    for day in ("2021-07-20", "2021-07-22"):
        sweep_all(ledger, at(f"{day}T09:00"), config.calendar())
        r = dispatch_now(at(f"{day}T09:05"))
    assert r.refused == 1 and r.dead == 1
    with transaction(ledger) as s:
        d = s.scalars(select(Delivery).where(Delivery.channel == "wecom")).one()
        alert = s.scalars(select(Notification).where(Notification.kind == "alert")).all()
    assert (d.status, d.attempts) == ("dead", 1)
    assert "81013" in (d.last_error or "")
    # (the other alert of the day says the links point at this machine: no public URL)
    assert [a.context["recipient"] for a in alert if a.context.get("event") != "loopback_link"] == [
        "left_the_office"
    ]
    with transaction(ledger) as s:
        told = "\n".join(
            s.scalars(select(Delivery.text).where(Delivery.recipient == "ops@zs.example.cn"))
        )
    assert "被平台明确拒收" in told and "收件地址：left_the_office" in told
    assert dispatch_now(at("2021-07-22T10:05")).retried == 0  # never tried again


def test_a_kind_without_a_template_is_refused_at_start(
    database_url: str, platforms: tuple[Platforms, str], app_secrets: None
) -> None:
    _, url = platforms
    channels_yaml(
        url,
        {
            "transport": "tencent_sms",
            "base_url": url,
            "key_id": "ZS_SMS_KEY_ID",
            "key_secret": "tencent-key-secret-in-the-file",
            "sign_name": "浙江政务",
            "sdk_app_id": "1400000001",
            "templates": {"reminder": {"id": "1001", "params": {"a": "{itme}"}}},
        },
        agent="督办应用",
    )
    r = CliRunner().invoke(app, ["dispatch"], env={"COLUMNS": "200"})
    assert r.exit_code != 0
    assert "channels.sms.templates: 缺少以下通知类型的短信模板" in r.output
    assert "催办（cuiban）" in r.output and "督办（duban）" in r.output
    assert "channels.sms.key_secret: 应写密钥名" in r.output
    assert "templates.reminder.params: 腾讯云按顺序填变量" in r.output
    assert "未知参数 {itme}" in r.output
    assert "channels.wecom.agent_id: 应为应用的 AgentId 数字" in r.output


def test_channels_test_covers_the_new_kinds(
    ledger: sessionmaker[Session], platforms: tuple[Platforms, str], app_secrets: None
) -> None:
    p, url = platforms
    channels_yaml(url)
    with transaction(ledger) as s:
        c = s.scalars(
            select(Contact).join(Unit).where(Unit.name == "市司法局", Contact.role == "leader")
        ).one()
        c.channels = ["wecom", "sms"]
    out = cli("channels", "test", "市司法局:分管领导")
    assert out.count("已送达") == 2
    assert "WeCom app message" in out and "Alibaba Cloud SMS" in out
    assert p.delivered[("wecom", PERSON)] == 1
    assert [m["template"] for m in p.sms] == ["SMS_CHANNEL_TEST"]
    assert json.dumps(p.sms[0]["vars"], ensure_ascii=False).count("市司法局") == 1
