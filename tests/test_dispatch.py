"""The dispatcher on the reference plan: digests, the daily cap, quiet hours, retries, crashes.

Delivery goes to the local outbox channel (files under the data folder), the
embedded default; real SMTP/HTTP channels are tested with their own servers.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ledger import config
from ledger.db import open_ledger, transaction
from ledger.links import open_link
from ledger.models import Delivery, DeliveryAttempt, Notification
from ledger.supervise import sweep_all
from notifications.channels import LocalOutbox, Outcome, Outgoing
from notifications.dispatch import Budget, Dispatched, Settings, claim, dispatch
from notifications.render import TemplateProblem, Templates
from tests.conftest import PLAN_001, UNITS_ZS, at, cli

PLAN = "zhongshan-2021-zwgk"
SIFA_SMS = "13800000022"  # 市司法局 经办人


def run(
    factory: sessionmaker[Session], when: str, channel: object = None, **settings: object
) -> Dispatched:
    outbox = LocalOutbox(config.home() / "outbox")
    # Operators' alerts always reach the outbox, whatever the channel under test does.
    return dispatch(
        factory,
        at(when),
        Templates(),
        lambda c: outbox if c == "operator" else channel or outbox,
        Settings(**settings),
    )  # type: ignore[arg-type]


def files(kind: str) -> list[Path]:
    return sorted((config.home() / "outbox" / kind).glob("*"))


def test_one_message_per_notice_and_readable_mail(ledger: sessionmaker[Session]) -> None:
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    r = run(ledger, "2021-07-12T09:01")
    # 110 notices (counted in test_supervise), each recipient has one per channel.
    assert (r.deliveries, r.notices, r.sent) == (110, 110, 110)
    assert (len(files("sms")), len(files("email")), len(files("wecom_bot"))) == (55, 53, 2)
    # Named plainly: the folder says the kind, the name the key's name once, day, serial.
    assert [f.name for f in files("wecom_bot")] == [
        "ZS_FGJ_WECOM_KEY_2021-07-12_1.json",
        "ZS_JTJ_WECOM_KEY_2021-07-12_1.json",
    ]
    mail = email.message_from_bytes(
        next(f for f in files("email") if "gk.sfj" in f.name).read_bytes(),
        policy=email.policy.default,
    )
    assert mail["Subject"] == "【到期提醒】报送具体工作计划、措施备案将于2021-07-19到期"
    body = mail.get_body(("plain",)).get_content()
    assert "市司法局承担的“报送具体工作计划、措施备案”应于 2021-07-19（星期一）前" in body
    assert "2021-07-20 起发出催办通知" in body
    sms = json.loads(next(f for f in files("sms") if SIFA_SMS in f.name).read_text())
    words, _, link = sms["body"].partition(" 在线报送：")
    assert len(words) <= 70 and link.startswith("http://127.0.0.1:8780/u/")
    assert f"在线报送：{link}" in body  # the mail carries the same unit link
    with transaction(ledger) as s:  # the ledger's copy names the link and never holds it
        stored = s.scalars(select(Delivery.sms).where(Delivery.recipient == SIFA_SMS)).one()
        assert link not in stored and link[-12:] not in stored
        assert open_link(s, link.rsplit("/", 1)[1], at("2021-07-12T10:00")).name == "市司法局"
    assert run(ledger, "2021-07-12T09:02").deliveries == 0  # nothing sent twice


def test_a_day_of_several_notices_is_one_digest(ledger: sessionmaker[Session]) -> None:
    # 12-24 is reminder-5 of both item 26 and item 41 (due 12-31) for 市司法局.
    sweep_all(ledger, at("2021-12-24T09:00"), config.calendar())
    run(ledger, "2021-12-24T09:01")
    with transaction(ledger) as s:
        d = s.scalars(select(Delivery).where(Delivery.recipient == SIFA_SMS)).one()
        carried = s.scalar(
            select(func.count()).select_from(Notification).where(Notification.delivery_id == d.id)
        )
    assert (d.kind, carried) == ("digest", 2)
    assert d.subject == "【督办】2项待办事项（2021-12-24）"
    assert "现行有效规章集中公开" in d.text and "主要负责同志听取政务公开工作汇报" in d.text
    # It also lists everything else of the unit that is late or due within a week: the
    # filing (07-19) and its publication (08-16), never reported, and the progress on
    # its 34 standing tasks owed at both checks (9-20, 12-20): 2 + 68, every one counted.
    assert "- 市司法局“报送具体工作计划、措施备案”，期限 2021-07-19（已逾期）" in d.text
    assert "- 市司法局“工作计划在政府网站公开”，期限 2021-08-16（已逾期）" in d.text
    assert "……共 70 项" in d.text
    assert len(d.sms.partition(" 在线报送：")[0]) <= 70 and "另70项未办结（70项逾期）" in d.sms


def test_the_daily_cap_and_quiet_hours_defer_to_the_morning(ledger: sessionmaker[Session]) -> None:
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    run(ledger, "2021-07-12T09:01")
    # A report returned for 整改 at 20:00 writes a 整改通知 at once (SMS + email).
    cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "计划",
        "--at",
        "2021-07-12T19:00",
    )
    cli("review", "1", "--return", "--due", "2021-07-30", "--at", "2021-07-12T20:00")
    r = run(ledger, "2021-07-12T20:01")
    # Both channels already had today's message (the plan's digest cap is 1): both wait
    # for tomorrow's digest hour.
    assert (r.deliveries, r.deferred) == (0, 2)
    r = run(ledger, "2021-07-13T09:00")
    assert (r.deliveries, r.sent) == (2, 2)
    # With a larger cap the same evening, SMS still waits out the quiet hours, email goes.
    cli(
        "report",
        PLAN,
        "--unit",
        "财政局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "计划",
        "--at",
        "2021-07-13T19:00",
    )
    cli("review", "2", "--return", "--due", "2021-07-30", "--at", "2021-07-13T20:00")
    r = run(ledger, "2021-07-13T20:05", cap=3)
    assert (r.sent, r.deferred) == (1, 1)
    with transaction(ledger) as s:
        waiting = s.scalars(select(Notification).where(Notification.status == "pending")).one()
    assert waiting.channel == "sms"
    assert waiting.next_attempt_at == at("2021-07-14T08:30")


class Flaky:
    """A channel whose first ``failures`` sends fail, then the local outbox."""

    def __init__(self, failures: int, status: str = "failed") -> None:
        self.left, self.status = failures, status
        self.outbox = LocalOutbox(config.home() / "outbox")

    def send(self, out: Outgoing) -> Outcome:
        if self.left:
            self.left -= 1
            return Outcome(self.status, "HTTP 500")  # type: ignore[arg-type]
        return self.outbox.send(out)


def test_failures_are_retried_with_backoff_then_given_up(ledger: sessionmaker[Session]) -> None:
    cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "计划",
        "--at",
        "2021-07-12T10:00",
    )
    cli("review", "1", "--return", "--due", "2021-07-30", "--at", "2021-07-12T10:30")
    flaky = Flaky(2)
    r = run(ledger, "2021-07-12T10:31", flaky)
    # Both fail; the operator's outage alerts (one per failing channel, over the
    # operator's own channel) go out in the same run.
    assert (r.deliveries, r.failed, r.sent) == (4, 2, 2)
    # The next run, still inside the backoff, probes each failing channel with one of its
    # waiting messages: they go through, so the channels have recovered (two more alerts).
    r = run(ledger, "2021-07-12T10:31:30", flaky)
    assert (r.retried, r.sent) == (2, 4)
    assert run(ledger, "2021-07-12T10:35", flaky).deliveries == 0  # nothing left
    with transaction(ledger) as s:
        attempts = s.scalars(select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.id)).all()
    assert [a for a in attempts if a != "sent"] == ["failed", "failed"] and len(attempts) == 8
    # A channel that never works: dead after max_attempts, the notices too.
    cli(
        "report",
        PLAN,
        "--unit",
        "财政局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "计划",
        "--at",
        "2021-07-13T10:00",
    )
    cli("review", "2", "--return", "--due", "2021-07-30", "--at", "2021-07-13T10:30")
    broken = Flaky(99)
    for minute in range(31, 60):
        run(ledger, f"2021-07-13T10:{minute:02d}", broken, max_attempts=3)
    with transaction(ledger) as s:
        dead = s.scalar(
            select(func.count()).select_from(Notification).where(Notification.status == "dead")
        )
    assert dead == 2
    # With a hard cap, each dead message raises one operator's alert naming unit, channel
    # and last error (besides the alerts that the outage began and ended).
    alerts = [
        a
        for a in (json.loads(p.read_text()) for p in files("operator"))
        if "消息投递失败" in a["subject"]
    ]
    assert len(alerts) == 2
    assert {a["subject"] for a in alerts} == {
        "【运维告警】消息投递失败：市财政局（sms）",
        "【运维告警】消息投递失败：市财政局（email）",
    }
    assert all("最后一次错误：HTTP 500" in a["body"] for a in alerts)
    assert "重新排队 2 条" in cli("notices", "--retry-dead", "--at", "2021-07-13T10:59")
    # Re-queued the same day, they go out under new keys: a dead delivery's key is not
    # reused, so nothing blocks the dispatcher (it used to fail on deliveries.key).
    r = run(ledger, "2021-07-13T11:00")
    assert (r.sent, r.dead) == (4, 0)  # the two, and the two "recovered" alerts
    with transaction(ledger) as s:
        keys = s.scalars(
            select(Delivery.key).where(Delivery.recipient == "13800000025").order_by(Delivery.id)
        ).all()
    assert len(keys) == len(set(keys)) >= 2
    # A message of its own (an operator's alert) re-queued after dying gets a fresh key too.
    with transaction(ledger) as s:
        alert = s.scalars(
            select(Notification)
            .join(Delivery, Delivery.id == Notification.delivery_id)
            .where(
                Notification.kind == "alert",
                Delivery.status == "sent",
                Delivery.day == dt.date(2021, 7, 13),
            )
        ).first()
        assert alert is not None and alert.status == "sent"
        first_key = s.get_one(Delivery, alert.delivery_id).key
        alert.status, alert.delivery_id, alert.next_attempt_at = (
            "pending",
            None,
            at("2021-07-13T11:01"),
        )
    run(ledger, "2021-07-13T11:02")
    with transaction(ledger) as s:
        again = s.get_one(Delivery, s.get_one(Notification, alert.id).delivery_id).key
    assert again == f"{first_key}-2"


def test_a_crash_between_claim_and_send_is_resent_once(ledger: sessionmaker[Session]) -> None:
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    with transaction(ledger) as s:  # the dispatcher dies right after claiming
        claim(
            s,
            at("2021-07-12T09:01"),
            Templates(),
            Settings(),
            Dispatched(),
            Budget(s, at("2021-07-12T09:01"), lambda _c: None),
        )
    assert files("sms") == []
    assert run(ledger, "2021-07-12T09:03").sent == 0  # the lease still holds
    r = run(ledger, "2021-07-12T09:07")
    assert r.sent == 110 and len(files("sms")) == 55
    # The outbox, like a gateway, refuses a key it already has: a second hand-over
    # of the same delivery does not write a second message.
    with transaction(ledger) as s:
        d = s.scalars(select(Delivery).where(Delivery.recipient == SIFA_SMS)).one()
        out = Outgoing(d.key, d.channel, d.recipient, Templates().render("due", {}), False)
    assert "不重复写入" in LocalOutbox(config.home() / "outbox").send(out).detail
    assert len(files("sms")) == 55


def test_a_broken_override_fails_at_startup_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "cuiban.j2").write_text(
        "{% block subject %}x{% endblock %}\n{% block sms %}{{ unit }{% endblock %}\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateProblem, match=r"cuiban\.j2:2"):
        Templates(tmp_path)


def test_the_plans_policy_sets_cap_and_quiet_hours(database_url: str, tmp_path: Path) -> None:
    cli("units", "import", str(UNITS_ZS))
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN_001.read_text(encoding="utf-8")
        + (
            "policy:\n  digest: {hour: 10, max_per_channel_per_day: 2}\n"
            "  quiet_hours: {start: '21:00', end: '07:00'}\n"
        ),
        encoding="utf-8",
    )
    cli("plan", "load", str(plan))
    factory = open_ledger(database_url)
    sweep_all(factory, at("2021-07-12T09:00"), config.calendar())
    run(factory, "2021-07-12T09:01")
    cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "计划",
        "--at",
        "2021-07-12T19:00",
    )
    cli("review", "1", "--return", "--due", "2021-07-30", "--at", "2021-07-12T20:00")
    r = run(factory, "2021-07-12T20:01")  # a second message is allowed; 20:01 is not quiet
    assert (r.sent, r.deferred) == (2, 0)
    cli(
        "report",
        PLAN,
        "--unit",
        "财政局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "计划",
        "--at",
        "2021-07-12T21:00",
    )
    cli("review", "2", "--return", "--due", "2021-07-30", "--at", "2021-07-12T21:30")
    r = run(factory, "2021-07-12T21:31")  # 21:31 is quiet for SMS under this plan
    assert (r.sent, r.deferred) == (1, 1)
    with transaction(factory) as s:
        waiting = s.scalars(select(Notification).where(Notification.status == "pending")).one()
    assert waiting.next_attempt_at == at("2021-07-13T07:00")
