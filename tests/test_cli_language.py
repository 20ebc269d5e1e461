"""What a coordinator reads: Chinese throughout, one meaning of --at, replies in their
own words, and the outbox called the outbox."""

from __future__ import annotations

import json
from pathlib import Path

import pendulum
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.main import get_command
from typer.testing import CliRunner

from duban.cli import app
from ledger.db import transaction
from ledger.models import Notification, Report
from tests.conftest import cli

runner = CliRunner()
PLAN = "zhongshan-2021-zwgk"
ENGLISH = (
    "Show this message",
    "Usage:",
    "<bool>",
    "<str>",
    "<path>",
    "[OPTIONS]",
    "[required]",
    "─ Options",
    "─ Arguments",
    "─ Commands",
    "COMMAND [ARGS]",
    "install-completion",
    "range>",
    "{unit}",
    "{name}",
    "{file}",
    "{plan}",
)


def _commands(group: typer.main.TyperGroup, prefix: list[str]) -> list[list[str]]:
    out = [prefix]
    for name, cmd in group.commands.items():
        out += _commands(cmd, [*prefix, name]) if hasattr(cmd, "commands") else [[*prefix, name]]
    return out


def test_every_help_page_is_chinese() -> None:
    pages = _commands(get_command(app), [])  # type: ignore[arg-type]
    assert len(pages) > 25
    for args in pages:
        r = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
        assert r.exit_code == 0, (args, r.output)
        found = [w for w in ENGLISH if w in r.output]
        assert not found, (args, found)
        if args in (["users", "add"], ["users", "disable"]):  # a user's name, not an event's
            assert "{用户名}" in r.output and "{事件名称}" not in r.output, args
        if "--at" in r.output and args != ["demo"]:
            assert "23:59:59" in r.output, args  # the one rule for --at, in every help


def test_usage_errors_are_chinese() -> None:
    r = runner.invoke(app, ["status", "--bogus"], env={"COLUMNS": "200"})
    assert r.exit_code == 2 and "没有选项 --bogus" in r.output and "No such" not in r.output
    r = runner.invoke(app, ["report"], env={"COLUMNS": "200"})
    assert r.exit_code == 2 and "缺少参数" in r.output and "Missing" not in r.output
    r = runner.invoke(
        app,
        ["simulate", "x.yaml", "--until", "2021-12-31", "--report-rate", "3"],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 2 and "应不大于 1" in r.output


def test_at_means_the_end_of_a_bare_date_everywhere(ledger: sessionmaker[Session]) -> None:
    """`status` and `check` at 2021-07-19 both count the filing due that day; the check's
    notices go out at 09:00 on the next working day, not at midnight."""
    status = cli("status", "--plan", PLAN, "--at", "2021-07-19")
    assert "截至 2021-07-19 23:59" in status and "56 个单位，其中 55 个有逾期节点" in status
    check = cli("check", PLAN, "--at", "2021-07-19")
    assert "55 个单位有未完成事项" in check
    with transaction(ledger) as s:
        times = {
            n.next_attempt_at
            for n in s.scalars(select(Notification).where(Notification.kind == "check_result"))
        }
    assert times == {pendulum.datetime(2021, 7, 20, 9, tz="Asia/Shanghai")}


def test_an_extension_reply_goes_alone_in_its_own_words(
    ledger: sessionmaker[Session], duban_home: Path
) -> None:
    cli("sweep", "--at", "2021-07-12T09:00")
    cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--extension",
        "2021-07-30",
        "--text",
        "机构调整",
        "--at",
        "2021-07-13T10:00",
    )
    with transaction(ledger) as s:
        ext = s.scalar(select(Report.id).where(Report.kind == "extension"))
    cli("review", str(ext), "--accept", "--at", "2021-07-13T16:00")
    out = cli("dispatch", "--at", "2021-07-13T16:05")
    assert "送出 0 条消息，写入本地发件箱" in out and "不会真正发出" in out
    assert "已送达" not in out
    sms = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (duban_home / "outbox" / "sms").glob("*.json")
    ]
    reply = [m for m in sms if "延期" in m["body"]]
    assert len(reply) == 1 and not reply[0]["digest"]
    body = reply[0]["body"]
    assert body.startswith("【延期批复】") and "同意延期至2021-07-30" in body
    assert "项待办事项" not in body


def _read_until(fd: int, seen: bytes, until: str, limit: float) -> bytes:
    """What a terminal shows, read until ``until`` appears (or the time is up)."""
    import os
    import select
    import time

    deadline = time.monotonic() + limit
    while until.encode() not in seen and time.monotonic() < deadline:
        if select.select([fd], [], [], 1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed: the process is gone
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_up_starts_and_stops_in_chinese(duban_home: Path) -> None:
    """The first `duban up` in a terminal (a pseudo-terminal here, so Prefect thinks a
    person is watching): no telemetry notice; SIGTERM, then Ctrl-C on a second run, stop
    it with 已停止 and no English (Prefect's "Received KeyboardInterrupt", "SIGTERM
    received", "coroutine 'Runner.astop' was never awaited")."""
    import os
    import pty
    import signal
    import socket
    import subprocess
    import sys
    import time

    from tests.conftest import PLAN_001, UNITS_ZS

    exe = Path(sys.executable).with_name("duban")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PREFECT_") and k not in ("DO_NOT_TRACK", "CI")
    }
    env |= {
        "DUBAN_HOME": str(duban_home),
        "DUBAN_DISPATCH_CRON": "off",
        "COLUMNS": "200",
        "PYTHONWARNINGS": "default",
    }
    for args in (["units", "import", str(UNITS_ZS)], ["plan", "load", str(PLAN_001)]):
        subprocess.run([exe, *args], env=env, check=True, capture_output=True)
    for stop in (signal.SIGTERM, signal.SIGINT):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        primary, secondary = pty.openpty()
        proc = subprocess.Popen(
            [exe, "up", "--port", str(port)],
            env=env,
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            start_new_session=True,
        )
        os.close(secondary)
        try:
            seen = _read_until(primary, b"", "按 Ctrl-C 停止", 180)
            assert "按 Ctrl-C 停止".encode() in seen, seen.decode(errors="replace")
            time.sleep(3)  # the runner is serving and has installed its own handlers
            proc.send_signal(stop)
            seen = _read_until(primary, seen, "已停止", 60)
            proc.wait(timeout=60)
            seen = _read_until(primary, seen, "\0", 2)  # anything printed on the way out
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(primary)
        text = seen.decode(errors="replace")
        assert proc.returncode == 0 and "已停止" in text, text
        for english in (
            "Prefect collects",
            "telemetry",
            "KeyboardInterrupt",
            "SIGTERM",
            "RuntimeWarning",
            "never awaited",
            "shutting down",
            "INFO",
        ):
            assert english not in text, (stop, english, text)


def test_plan_show_says_due_rules_in_chinese(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    r = runner.invoke(
        app,
        ["plan", "show", str(ROOT / "plans" / "chongqing-2021.yaml")],
        env={"COLUMNS": "200", "DUBAN_DATABASE_URL": f"sqlite:///{tmp_path}/d.db"},
    )
    assert r.exit_code == 0, r.output
    assert "持续推进" in r.output
    for rule in ("ongoing", "bimonthly:", "monthly:", "quarterly:", "@issued", "@event"):
        assert rule not in r.output, rule


def test_due_rules_in_words() -> None:
    from plans.duewords import describe_rule

    assert [
        describe_rule(r)
        for r in (
            "ongoing",
            "bimonthly:20",
            "2021-12-31",
            "+10wd@issued",
            "+3mo@event:教育部出台规定",
            "monthly:20-23",
        )
    ] == [
        "持续推进（无固定期限，按检查节点督办）",
        "每双月20日",
        "2021年12月31日前",
        "印发后10个工作日内",
        "“教育部出台规定”后3个月内",
        "每月20日至23日",
    ]
