"""Real delivery on loopback: SMTP (aiosmtpd), an SMS gateway and the bot platforms
(a local HTTP server answering as they do), with faults injected at the receiver."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import apprise
import pytest
import yaml
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from duban.cli import app
from ledger import config
from ledger.db import transaction
from ledger.models import Delivery, DeliveryAttempt, Notification
from ledger.supervise import sweep_all
from notifications.channels import Outgoing, message_id
from notifications.plugins import cut_bytes
from notifications.render import Message
from notifications.transports import Transports
from tests.conftest import ROOT, at, cli
from tests.proxy import Proxy
from tests.receiver import Receiver, Seen
from usecases.dispatch import dispatch_now

SIFA_SMS = "13800000022"  # 市司法局 经办人
WECOM = {"ZS_FGJ_WECOM_KEY": "fgj-bot-key-0001", "ZS_JTJ_WECOM_KEY": "jtj-bot-key-0002"}


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.mails.append(
            email.message_from_bytes(
                envelope.content,  # type: ignore[attr-defined]
                policy=email.policy.default,
            )
        )
        return "250 OK"


@pytest.fixture(autouse=True)
def public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """Links as an install gives them (a loopback address would add its operator alert)."""
    monkeypatch.setenv("DUBAN_PUBLIC_URL", "https://duban.zs.example.cn")


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:  # aiosmtpd needs a real port number to start on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def gateway() -> Iterator[tuple[Receiver, str]]:
    r = Receiver(sign_secret="SEC-test-sign-secret")
    url = r.start()
    try:
        yield r, url
    finally:
        r.stop()


def configure(url: str, smtp_port: int | None = None, **sms: object) -> None:
    channels: dict[str, object] = {
        "sms": {
            "transport": "sms_gateway",
            "url": f"{url}/send",
            "fields": {"mobile": "{to}", "content": "{text}", "sign": "中山政务公开"},
            "headers": {"Authorization": "Bearer {secret:SMS_TOKEN}"},
            "success_field": "code",
            **sms,
        },
        "wecom_bot": {"transport": "wecom_bot", "base_url": url},
        "dingtalk_bot": {"transport": "dingtalk_bot", "base_url": url},
        "feishu_bot": {"transport": "feishu_bot", "base_url": url},
    }
    if smtp_port:
        channels["email"] = {
            "transport": "smtp",
            "host": "127.0.0.1",
            "port": smtp_port,
            "secure": "insecure",
            "from": "duban@zs.example.cn",
        }
    config.home().mkdir(parents=True, exist_ok=True)
    (config.home() / "channels.yaml").write_text(
        yaml.safe_dump(
            {"channels": channels, "operators": ["email:ops@zs.example.cn"]}, allow_unicode=True
        ),
        encoding="utf-8",
    )


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_TOKEN", "sms-token-s3cr3t")
    for k, v in WECOM.items():
        monkeypatch.setenv(k, v)


def sms_to(r: Receiver, mobile: str) -> list[Seen]:
    return [s for s in r.requests if s.path == "/send" and s.body["mobile"] == mobile]


def attempts(ledger: sessionmaker[Session], recipient: str) -> list[str]:
    with transaction(ledger) as s:
        return list(
            s.scalars(
                select(DeliveryAttempt.outcome)
                .join(Delivery)
                .where(Delivery.recipient == recipient)
                .order_by(DeliveryAttempt.id)
            )
        )


def test_real_mail_sms_and_wecom_delivery(
    ledger: sessionmaker[Session],
    smtp: tuple,
    gateway: tuple,
    secrets_env: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (box, port), (r, url) = smtp, gateway
    configure(url, port)
    caplog.set_level(logging.DEBUG)
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    d = dispatch_now(at("2021-07-12T09:01"))
    # Counted in test_dispatch: 55 SMS, 53 mails, 2 WeCom group bots.
    assert (d.sent, d.failed, d.unknown) == (110, 0, 0)
    assert len(box.mails) == 53
    mail = next(m for m in box.mails if m["To"] == "gk.sfj@zs.example.cn")
    assert mail["Subject"] == "【到期提醒】报送具体工作计划、措施备案将于2021-07-19到期"
    assert "应于 2021-07-19（星期一）前" in mail.get_body(("plain",)).get_content()
    assert "<h3>【到期提醒】" in mail.get_body(("html",)).get_content()
    # One Message-ID, derived from the delivery's key: a retry of this mail carries the
    # same one, so a receiving server that de-duplicates keeps one copy.
    assert len(mail.get_all("Message-ID")) == 1
    with transaction(ledger) as s:
        key = s.scalars(
            select(Delivery.key).where(Delivery.recipient == "gk.sfj@zs.example.cn")
        ).one()
    assert mail["Message-ID"] == message_id(key, "zs.example.cn")
    sms = sms_to(r, SIFA_SMS)
    words, _, link = sms[0].body["content"].partition(" 在线报送：")
    assert len(sms) == 1 and len(words) <= 70 and "/u/" in link  # the unit's link rides along
    assert sms[0].body["sign"] == "中山政务公开"
    assert sms[0].headers["authorization"] == "Bearer sms-token-s3cr3t"
    assert sms[0].headers["idempotency-key"].startswith(f"sms/{SIFA_SMS}/2021-07-12/")
    bots = [s for s in r.requests if s.path == "/cgi-bin/webhook/send"]
    assert sorted(s.query["key"] for s in bots) == sorted(WECOM.values())
    assert bots[0].body["msgtype"] == "markdown"
    assert "**【到期提醒】" in bots[0].body["markdown"]["content"]
    # No secret reaches a log line or the ledger.
    with transaction(ledger) as s:
        stored = " ".join(s.scalars(select(DeliveryAttempt.detail)))
    for secret in ("sms-token-s3cr3t", *WECOM.values()):
        assert secret not in caplog.text and secret not in stored


def test_a_failing_gateway_is_retried_and_delivers_once(
    ledger: sessionmaker[Session], gateway: tuple, secrets_env: None
) -> None:
    r, url = gateway
    configure(url)
    # 市司法局's gateway answers 500, then drops the connection, then works.
    r.fault = lambda seen, before: (
        ["500", "drop"][before] if before < 2 and seen.body.get("mobile") == SIFA_SMS else "ok"
    )
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    for minute in ("09:01", "09:05", "09:15"):
        dispatch_now(at(f"2021-07-12T{minute}"))
    assert attempts(ledger, SIFA_SMS) == ["failed", "unknown", "sent"]
    assert len(sms_to(r, SIFA_SMS)) == 3
    assert sum(1 for k in r.accepted if f"/{SIFA_SMS}/" in k) == 1
    keys = {s.headers["idempotency-key"] for s in sms_to(r, SIFA_SMS)}
    assert len(keys) == 1  # every retry carried the same idempotency key
    assert len([k for k in r.accepted if k.startswith("sms/")]) == 55


def test_a_slow_answer_is_unknown_and_the_gateway_keeps_one(
    ledger: sessionmaker[Session], gateway: tuple, secrets_env: None
) -> None:
    r, url = gateway
    configure(url, read_timeout=1.5)  # ample for the others on a busy machine
    r.slow = 3.0
    r.fault = lambda seen, before: (
        "slow" if before == 0 and seen.body.get("mobile") == SIFA_SMS else "ok"
    )
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    first = dispatch_now(at("2021-07-12T09:01"))
    assert first.unknown == 1
    dispatch_now(at("2021-07-12T09:05"))
    assert attempts(ledger, SIFA_SMS) == ["unknown", "sent"]
    assert len(sms_to(r, SIFA_SMS)) == 2  # sent twice, with one key …
    assert r.accepted[sms_to(r, SIFA_SMS)[0].headers["idempotency-key"]] == 1  # … kept once


def test_http_200_with_an_errcode_is_a_failure(
    ledger: sessionmaker[Session], gateway: tuple, secrets_env: None
) -> None:
    r, url = gateway
    configure(url)
    r.fault = lambda seen, before: "errcode" if seen.path.startswith("/cgi-bin") else "ok"
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    d = dispatch_now(at("2021-07-12T09:01"))
    assert (d.sent, d.failed) == (109, 2)  # 108, and the operator hears wecom_bot fails
    with transaction(ledger) as s:
        failed = s.scalars(select(Delivery).where(Delivery.channel.like("wecom_bot:%"))).all()
    assert {f.status for f in failed} == {"failed"}
    assert "errcode=93000" in (failed[0].last_error or "")


def test_signed_bots_and_byte_limits(gateway: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    r, url = gateway
    configure(url)
    monkeypatch.setenv("DT_BOT", "dt-access-token")
    monkeypatch.setenv("FS_BOT", "fs-hook-token")
    for signed in ("DT_BOT_SIGN", "FS_BOT_SIGN"):
        monkeypatch.setenv(signed, "SEC-test-sign-secret")
    transports = Transports.from_home(config.home())
    long_text = "\n".join(
        f"{i}. 市司法局承担的“推进行政执法公示”应于 2021-07-19（星期一）前完成。"
        for i in range(200)
    )
    msg = Message("【到期提醒】多项任务", long_text, "短信")
    for channel in ("dingtalk_bot:DT_BOT", "feishu_bot:FS_BOT", "wecom_bot:ZS_FGJ_WECOM_KEY"):
        if channel.startswith("wecom"):
            monkeypatch.setenv("ZS_FGJ_WECOM_KEY", "fgj-bot-key-0001")
        outcome = transports(channel).send(Outgoing(f"k/{channel}", channel, "x", msg, True))
        assert outcome.status == "sent", (channel, outcome)
    dt, fs, wc = r.requests
    assert dt.query["access_token"] == "dt-access-token"  # signature accepted by the receiver
    assert fs.path == "/open-apis/bot/v2/hook/fs-hook-token"
    content = wc.body["markdown"]["content"]
    assert len(content.encode()) <= 4096 < len(long_text.encode())
    assert content.endswith("余下内容见邮件或台账）")
    # A wrong signing secret is refused by the platform, and duban says so.
    monkeypatch.setenv("DT_BOT_SIGN", "SEC-wrong")
    outcome = Transports.from_home(config.home())("dingtalk_bot:DT_BOT").send(
        Outgoing("k2", "dingtalk_bot:DT_BOT", "x", msg, False)
    )
    assert outcome.status == "failed" and "sign not match" in outcome.detail


def test_cut_bytes_never_splits_a_character_or_a_link() -> None:
    text = "通知" * 30 + "\n详见 https://duban.example.cn/r/abc\n" + "尾" * 10
    cut = cut_bytes(text, 100, tail="…")
    assert len(cut.encode()) <= 100 and "https" not in cut and cut.endswith("…")
    assert cut_bytes("短", 100) == "短"


def test_sms_gateway_quota_is_kept_across_dispatcher_runs(
    ledger: sessionmaker[Session], gateway: tuple, secrets_env: None
) -> None:
    r, url = gateway
    configure(url, per_minute=20)
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    sent = []
    for when in ("09:01:00", "09:01:30", "09:02:05", "09:03:10"):
        dispatch_now(at(f"2021-07-12T{when}"))
        sent.append(len([s for s in r.requests if s.path == "/send"]))
    assert sent == [20, 20, 40, 55]  # 20 a minute, whichever run asks


def test_dispatcher_killed_mid_batch_delivers_every_notice_once(
    ledger: sessionmaker[Session], gateway: tuple, secrets_env: None, database_url: str
) -> None:
    r, url = gateway
    configure(url)
    r.latency = 0.2
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    env = {**os.environ, "DUBAN_HOME": str(config.home()), "DUBAN_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "duban", "dispatch", "--workers", "2"]
    proc = subprocess.Popen(
        [*cmd, "--at", "2021-07-12T09:01"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while len(r.requests) < 20 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    got_before = len(r.requests)
    assert 20 <= got_before < 108, got_before  # killed mid-batch
    with transaction(ledger) as s:
        sending = s.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "sending")
        )
    assert sending > 0  # handed over, never recorded
    r.latency = 0.0
    done = subprocess.run(
        [*cmd, "--at", "2021-07-12T09:07"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    keys = [s.headers["idempotency-key"] for s in r.requests if s.path == "/send"]
    assert len(set(keys)) == 55 and all(
        n == 1 for k, n in r.accepted.items() if k.startswith("sms/")
    )
    # 55 SMS and 2 WeCom messages over HTTP: handed to the far end again after the kill
    # are at most the 2 whose outcome was not yet recorded (--workers 2), not a batch.
    assert 57 <= len(r.requests) <= 57 + 2, len(r.requests)
    with transaction(ledger) as s:
        states = dict(
            s.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
        )
    assert states == {"sent": 110}


def test_channels_test_reports_each_channel(
    ledger: sessionmaker[Session], gateway: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    r, url = gateway
    configure(url)
    monkeypatch.setenv("SMS_TOKEN", "sms-token-s3cr3t")
    # 市发展改革局's 经办人 uses SMS and a WeCom bot whose key is not set.
    res = CliRunner().invoke(app, ["channels", "test", "市发展改革局"], env={"COLUMNS": "250"})
    assert res.exit_code == 1
    assert "已送达" in res.output and "ZS_FGJ_WECOM_KEY 未设置" in res.output
    (sms,) = [s for s in r.requests if s.path == "/send"]
    assert sms.body["content"].startswith("【督办测试】张晓明您好")
    monkeypatch.setenv("ZS_FGJ_WECOM_KEY", "fgj-bot-key-0001")
    assert "失败" not in cli("channels", "test", "张晓明")
    assert [s.query["key"] for s in r.requests if s.path == "/cgi-bin/webhook/send"] == [
        "fgj-bot-key-0001"
    ]


def test_duban_plugins_are_ordinary_apprise_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    from notifications.plugins import WeComBot
    from notifications.transports import AppriseChannel

    AppriseChannel("dubanwecom://{to}")  # registers duban's plugins with apprise
    plugin = apprise.Apprise.instantiate("dubanwecom://fgj-bot-key-0001")
    assert isinstance(plugin, WeComBot)
    assert plugin.url(privacy=True) == "dubanwecom://f...1"


def test_a_secret_with_braces_is_sent_as_it_is(
    ledger: sessionmaker[Session], gateway: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token like tok{PART}x9 is inserted literally, never read as a template (it used
    to fail with KeyError: 'PART' and show the braces' content in the attempt detail)."""
    r, url = gateway
    configure(url)
    monkeypatch.setenv("SMS_TOKEN", "tok{PART}x9")
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    dispatch_now(at("2021-07-12T09:01"))
    (sms,) = sms_to(r, SIFA_SMS)
    assert sms.headers["authorization"] == "Bearer tok{PART}x9"
    assert attempts(ledger, SIFA_SMS) == ["sent"]


def backlog_behind_a_proxy(
    ledger: sessionmaker[Session], gateway: tuple, database_url: str
) -> Receiver:
    """The filing reminders pending, a receiver answering at 100 ms; Postgres only."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the proxy stands between duban and Postgres; SQLite is a local file")
    r, url = gateway
    configure(url)
    r.latency = 0.1
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    return r


def wait_for_requests(r: Receiver, n: int) -> None:
    deadline = time.time() + 60
    while len(r.requests) < n and time.time() < deadline:
        time.sleep(0.02)


def test_the_database_going_away_mid_dispatch_stops_sending(
    ledger: sessionmaker[Session], gateway: tuple, secrets_env: None, database_url: str
) -> None:
    """Postgres behind a proxy that the test cuts while a dispatcher sends (receiver at
    100 ms): the dispatcher stops handing messages over, exits 3 with a Chinese message,
    and the next run after recovery re-sends at most the messages in flight."""
    r = backlog_behind_a_proxy(ledger, gateway, database_url)
    proxy = Proxy(("127.0.0.1", 5432))
    via_proxy = database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    env = {**os.environ, "DUBAN_HOME": str(config.home()), "DUBAN_DATABASE_URL": via_proxy}
    cmd = [sys.executable, "-m", "duban", "dispatch", "--workers", "4"]
    proc = subprocess.Popen(
        [*cmd, "--at", "2021-07-12T09:01"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_requests(r, 15)
    proxy.cut()
    at_cut = len(r.requests)
    out, errors = proc.communicate(timeout=120)
    assert proc.returncode == 3, (out, errors)
    assert "数据库不可用" in errors and "Traceback" not in errors
    assert len(r.requests) - at_cut <= 4  # nothing handed over after the loss but in flight
    proxy.close()
    r.latency = 0.0
    env["DUBAN_DATABASE_URL"] = database_url
    done = subprocess.run(
        [*cmd, "--at", "2021-07-12T09:07"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert 57 <= len(r.requests) <= 57 + 4 + 4, len(r.requests)  # in flight at the cut
    with transaction(ledger) as s:
        states = dict(
            s.execute(select(Notification.status, func.count()).group_by(Notification.status))
            .tuples()
            .all()
        )
    assert states == {"sent": 110}


def test_dispatch_without_a_database_exits_3_in_chinese(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DUBAN_HOME": str(tmp_path),
        "DUBAN_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere",
    }
    r = subprocess.run(
        [sys.executable, "-m", "duban", "dispatch"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 3 and "无法打开数据库" in r.stderr and "Traceback" not in r.stderr


def test_a_stalled_database_stops_the_dispatcher_instead_of_holding_it(
    ledger: sessionmaker[Session], gateway: tuple, secrets_env: None, database_url: str
) -> None:
    """The proxy process is frozen (SIGSTOP): connections stay open and nothing answers,
    so no server-side timeout can fire. The dispatcher waits DUBAN_DB_WAIT seconds for
    the ledger, then stops sending and exits 3; nothing more is handed over meanwhile."""
    r = backlog_behind_a_proxy(ledger, gateway, database_url)
    proxy = subprocess.Popen(
        [sys.executable, "-m", "tests.proxy", "5432"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(proxy.stdout.readline())  # type: ignore[union-attr]
        env = {
            **os.environ,
            "DUBAN_HOME": str(config.home()),
            "DUBAN_DB_WAIT": "3",
            "DUBAN_DATABASE_URL": database_url.replace("127.0.0.1:5432", f"127.0.0.1:{port}"),
        }
        cmd = [
            sys.executable,
            "-m",
            "duban",
            "dispatch",
            "--workers",
            "4",
            "--at",
            "2021-07-12T09:01",
        ]
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        wait_for_requests(r, 15)
        proxy.send_signal(signal.SIGSTOP)
        at_stall = len(r.requests)
        out, errors = proc.communicate(timeout=60)
        assert proc.returncode == 3, (out, errors)
        assert "秒无响应" in errors and "Traceback" not in errors
        assert len(r.requests) - at_stall <= 4
    finally:
        proxy.send_signal(signal.SIGCONT)
        proxy.kill()
        proxy.wait()
