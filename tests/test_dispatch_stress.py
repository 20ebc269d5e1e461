"""The dispatcher under stress: two at once, a channel outage and its recovery, stale and
re-queued reminders, quiet hours holding retries, a backlog larger than a batch, and
failures that show in the exit status and the flow run.

Shares the reference plan and helpers of ``tests/test_dispatch.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from duban.cli import app
from ledger import config
from ledger.db import open_ledger, transaction
from ledger.models import Delivery, DeliveryAttempt, Notification
from ledger.supervise import sweep_all
from notifications.channels import LocalOutbox, Outcome, Outgoing
from notifications.dispatch import Settings, dispatch
from notifications.render import Templates
from tests.conftest import PLAN_001, UNITS_ZS, at, cli
from tests.test_dispatch import PLAN, SIFA_SMS, Flaky, files, run
from tests.test_prefect import prefect_server  # noqa: F401 - one Prefect server per session


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
