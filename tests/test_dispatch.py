"""The dispatcher on the reference plan: digests, the daily cap, quiet hours, retries, crashes.

Delivery goes to the local outbox channel (files under the data folder), the
embedded default; real SMTP/HTTP channels are tested with their own servers.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from duban.cli import app
from ledger import config
from ledger.db import open_ledger, transaction
from ledger.links import open_link
from ledger.models import Delivery, DeliveryAttempt, Notification
from ledger.supervise import sweep_all
from notifications.channels import LocalOutbox, Outcome, Outgoing
from notifications.dispatch import Budget, Dispatched, Settings, claim, dispatch
from notifications.render import TemplateProblem, Templates
from tests.conftest import PLAN_001, UNITS_ZS, at, cli
from tests.test_prefect import prefect_server  # noqa: F401 - one Prefect server per session

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


class Counting:
    """A channel that counts every hand-over per key, from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: Counter[str] = Counter()

    def send(self, out: Outgoing) -> Outcome:
        time.sleep(0.002)
        with self.lock:
            self.sent[out.key] += 1
        return Outcome("sent", "ok")


def test_two_dispatchers_at_once_never_crash_lose_or_double(database_url: str) -> None:
    """Twenty times: a sweep's 110 notices, two dispatchers started together on separate
    connections. Every notice goes out in exactly one delivery, handed over once."""
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    factory = open_ledger(database_url)
    days = [
        "2021-07-12",
        "2021-07-15",
        "2021-07-16",
        "2021-07-19",
        "2021-07-20",
        "2021-07-22",
        "2021-07-26",
        "2021-08-09",
        "2021-08-12",
        "2021-08-13",
        "2021-08-16",
        "2021-08-17",
        "2021-08-19",
        "2021-08-23",
        "2021-12-24",
        "2021-12-29",
        "2021-12-30",
        "2021-12-31",
        "2022-01-04",
        "2022-01-06",
    ]
    channel = Counting()
    for day in days:
        sweep_all(factory, at(f"{day}T09:00"), config.calendar())
        errors: list[BaseException] = []

        def one(when: str = f"{day}T09:01", errors: list[BaseException] = errors) -> None:
            try:
                dispatch(factory, at(when), Templates(), lambda _c: channel, Settings(workers=8))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], (day, errors)
    with transaction(factory) as s:
        states = dict(
            s.execute(select(Notification.status, func.count()).group_by(Notification.status))
            .tuples()
            .all()
        )
        deliveries = s.scalar(select(func.count()).select_from(Delivery))
    assert set(states) == {"sent"} and states["sent"] > 1000
    assert sum(channel.sent.values()) == deliveries == len(channel.sent)  # once each


class SmsDown:
    """SMS refused while ``down``; every channel otherwise writes to the outbox. Counts
    successful hand-overs per key."""

    def __init__(self) -> None:
        self.down = True
        self.outbox = LocalOutbox(config.home() / "outbox")
        self.ok: Counter[str] = Counter()

    def send(self, out: Outgoing) -> Outcome:
        if self.down and out.channel == "sms":
            return Outcome("failed", "连接被拒绝（短信网关停机）")
        self.ok[out.key] += 1
        return self.outbox.send(out)


def test_a_four_hour_sms_outage_loses_nothing_and_alerts_twice(
    ledger: sessionmaker[Session],
) -> None:
    """The SMS gateway is down 09:00-13:00; the dispatcher runs every 5 minutes. Every
    reminder (useful until 07-19) goes out once, at the first run after recovery (a probe
    finds the gateway working and releases the rest), none is given up, and
    the operator gets two alerts: the outage began, the outage ended."""
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    channel = SmsDown()
    t = at("2021-07-12T09:01")
    while t < at("2021-07-12T14:30"):
        channel.down = t < at("2021-07-12T13:00")
        dispatch(
            ledger,
            t,
            Templates(),
            lambda c: channel.outbox if c == "operator" else channel,
            Settings(),
        )
        t += dt.timedelta(minutes=5)
    with transaction(ledger) as s:
        states = dict(
            s.execute(
                select(Notification.status, func.count())
                .where(Notification.kind != "alert")
                .group_by(Notification.status)
            )
            .tuples()
            .all()
        )
        retries = s.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.outcome == "failed")
        )
    assert states == {"sent": 110}
    with transaction(ledger) as s:  # all at the first run that saw the gateway working
        sent_at = set(s.scalars(select(Delivery.sent_at).where(Delivery.channel == "sms")))
    assert sent_at == {at("2021-07-12T13:01")}
    sms_keys = [k for k in channel.ok if k.startswith("sms/")]
    assert len(sms_keys) == 55 and all(channel.ok[k] == 1 for k in sms_keys)
    assert retries > 55 * 5  # retried for four hours, backing off up to 30 minutes
    alerts = [json.loads(p.read_text(encoding="utf-8")) for p in files("operator")]
    assert sorted(a["subject"] for a in alerts) == [
        "【运维告警】sms 渠道发送失败",
        "【运维告警】sms 渠道已恢复",
    ]
    assert "2021-07-12 09:01" in alerts[0]["body"] + alerts[1]["body"]


def test_after_recovery_the_most_urgent_go_first_within_the_limit(
    ledger: sessionmaker[Session],
) -> None:
    """A backlog of failed SMS and a gateway allowing 5 a minute: the deliveries that
    stop being useful soonest are retried first."""
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    channel = SmsDown()
    dispatch(
        ledger,
        at("2021-07-12T09:01"),
        Templates(),
        lambda c: channel.outbox if c == "operator" else channel,
        Settings(),
    )
    with transaction(ledger) as s:
        backlog = s.scalars(
            select(Delivery)
            .where(Delivery.channel == "sms", Delivery.status == "failed")
            .order_by(Delivery.id)
        ).all()
        assert len(backlog) == 55
        for i, d in enumerate(backlog):  # the later a delivery was made, the more urgent
            d.give_up_at = at("2021-07-19T23:59") - dt.timedelta(hours=i)
            d.next_attempt_at = at("2021-07-12T09:30")
        urgent = [d.key for d in backlog][-5:]
    channel.down = False
    dispatch(
        ledger,
        at("2021-07-12T09:31"),
        Templates(),
        lambda c: channel.outbox if c == "operator" else channel,
        Settings(),
        limit_for=lambda c: 5 if c == "sms" else None,
    )
    assert sorted(k for k in channel.ok if k.startswith("sms/")) == sorted(urgent)


def test_a_rehearsal_years_ago_is_stale_today_not_sent(ledger: sessionmaker[Session]) -> None:
    """Swept with --at in 2021 (reminders, a 催办 and a 督办 day), dispatched plainly on
    2026-12-04: not one digest dated today with 2021 deadlines; every notice is recorded
    as stale, with why, and counted."""
    for day in ("2021-07-12", "2021-07-20", "2021-07-22"):
        sweep_all(ledger, at(f"{day}T09:00"), config.calendar())
    r = run(ledger, "2026-12-04T09:05")
    with transaction(ledger) as s:
        states = dict(
            s.execute(select(Notification.status, func.count()).group_by(Notification.status))
            .tuples()
            .all()
        )
        kinds = set(s.scalars(select(Notification.kind).where(Notification.status == "stale")))
        why = s.scalars(
            select(Notification.last_error).where(Notification.kind == "reminder")
        ).first()
    assert (r.deliveries, r.sent, r.stale) == (0, 0, states["stale"])
    assert set(states) == {"stale"} and {"reminder", "cuiban", "duban"} <= kinds
    assert why == "期限 2021-07-19 已过，提醒不再发送"
    assert files("sms") == [] and files("email") == []
    out = cli("dispatch", "--at", "2026-12-04T09:10")
    assert "送出 0 条消息" in out


def test_re_queued_dead_reminders_after_their_deadline_are_dropped(
    ledger: sessionmaker[Session],
) -> None:
    """A dead day, then --retry-dead the morning after the deadline: the old reminders
    are dropped as stale instead of filling the daily cap ahead of today's 催办."""
    sweep_all(ledger, at("2021-07-19T09:00"), config.calendar())  # the due-day notices
    run(ledger, "2021-07-19T09:01", Flaky(999), max_attempts=1)
    with transaction(ledger) as s:
        dead = s.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.status == "dead", Notification.kind != "alert")
        )
    assert dead == 110
    cli("notices", "--retry-dead", "--at", "2021-07-20T08:59")
    sweep_all(ledger, at("2021-07-20T09:00"), config.calendar())  # today's 催办
    r = run(ledger, "2021-07-20T09:01")
    assert r.stale == 110 and r.deferred == 0
    sms = json.loads(next(f for f in files("sms") if SIFA_SMS in f.name).read_text())
    assert "催办" in sms["subject"] and "今日（2021-07-19）" not in sms["body"]


def test_quiet_hours_hold_retries_and_defer_to_the_working_day_morning(
    ledger: sessionmaker[Session],
) -> None:
    """Friday 2021-07-16: an SMS failing at 17:50 is not retried at 19:31 (quiet from
    18:00) but on Monday 07-19 at 08:30, not on the Saturday; so is a new one."""
    sweep_all(ledger, at("2021-07-16T09:00"), config.calendar())
    broken = Flaky(999)
    run(ledger, "2021-07-16T17:50", broken)
    healthy = Counting()
    r = run(ledger, "2021-07-16T19:31", healthy)
    assert not any(k.startswith("sms/") for k in healthy.sent)
    with transaction(ledger) as s:
        waits = set(
            s.scalars(
                select(Delivery.next_attempt_at).where(
                    Delivery.channel == "sms", Delivery.status == "failed"
                )
            )
        )
    assert waits == {at("2021-07-19T08:30")}
    r = run(ledger, "2021-07-19T08:31", healthy)
    assert sum(k.startswith("sms/") for k in healthy.sent) == 55 and r.retried >= 55
    # A new SMS found on Friday evening waits for Monday morning too.
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
        "2021-07-16T19:00",
    )
    cli("review", "1", "--return", "--due", "2021-07-30", "--at", "2021-07-16T20:00")
    run(ledger, "2021-07-16T20:01", cap=5)
    with transaction(ledger) as s:
        waiting = s.scalars(select(Notification).where(Notification.status == "pending")).one()
    assert (waiting.channel, waiting.next_attempt_at) == ("sms", at("2021-07-19T08:30"))


def test_a_backlog_larger_than_a_batch_is_one_digest_each_and_drains(
    ledger: sessionmaker[Session],
) -> None:
    """Claims take whole recipients: with batches of 7 notices, each recipient's due
    notices still make one digest, none is pushed to tomorrow, and one run sends all."""
    sweep_all(ledger, at("2021-12-24T09:00"), config.calendar())
    with transaction(ledger) as s:
        due = s.scalar(select(func.count()).select_from(Notification))
        recipients = s.scalar(
            select(func.count()).select_from(
                select(Notification.channel, Notification.recipient).distinct().subquery()
            )
        )
    assert due > recipients > 7 * 3
    r = run(ledger, "2021-12-24T09:01", batch=7)
    assert (r.deliveries, r.notices, r.deferred) == (recipients, due, 0)
    with transaction(ledger) as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Notification).where(Notification.status != "sent")
            )
            == 0
        )


@pytest.mark.usefixtures("prefect_server")
def test_failures_show_in_the_exit_status_the_flow_run_and_notices_json(
    ledger: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SMS gateway refusing connections: `duban dispatch` exits 4, the dispatch flow run
    ends Failed (not Completed), and `duban notices --json --check` tells a cron check."""
    from flows.app import dispatcher

    # Links under a public address, as an install has them (no loopback-link alert).
    monkeypatch.setenv("DUBAN_PUBLIC_URL", "https://duban.zs.example.cn")

    config.home().mkdir(parents=True, exist_ok=True)
    (config.home() / "channels.yaml").write_text(
        "channels:\n  sms: {transport: sms_gateway, url: 'http://127.0.0.1:1/send'}\n",
        encoding="utf-8",
    )
    sweep_all(ledger, at("2021-07-12T09:00"), config.calendar())
    r = CliRunner().invoke(app, ["dispatch", "--at", "2021-07-12T09:01"], env={"COLUMNS": "200"})
    assert r.exit_code == 4, r.output
    assert "有 55 条消息未能送出（失败 55" in r.output
    assert "【注意】未在 channels.yaml 配置的渠道不会真正发出：邮件（email） 53 条" in r.output
    state = dispatcher(at="2021-07-12T09:05", return_state=True)
    assert state.is_failed() and "条消息未能送出" in (state.message or "")
    listed = CliRunner().invoke(app, ["notices", "--json", "--check", "--limit", "3"])
    assert listed.exit_code == 0, listed.output  # failing, not yet given up
    report = json.loads(listed.output)
    # 53 mails and 2 bot messages (outbox), the operator's alert; 55 SMS still trying
    assert report["counts"]["sent"] == 56 and report["counts"]["sending"] == 55
    assert len(report["notices"]) == 3 and report["notices"][0]["kind"] == "alert"
    with transaction(ledger) as s:
        s.scalars(select(Notification).where(Notification.channel == "sms")).first().status = "dead"
    dead = CliRunner().invoke(app, ["notices", "--check"], env={"COLUMNS": "200"})
    assert dead.exit_code == 4 and "有 1 条已放弃的通知" in dead.output
