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
from ledger.models import Notice, Report
from tests.conftest import cli

runner = CliRunner()
PLAN = "zhongshan-2021-zwgk"
ENGLISH = ("Show this message", "Usage:", "<bool>", "<str>", "<path>", "[OPTIONS]",
           "[required]", "─ Options", "─ Arguments", "─ Commands", "COMMAND [ARGS]",
           "install-completion")


def _commands(group: typer.main.TyperGroup, prefix: list[str]) -> list[list[str]]:
    out = [prefix]
    for name, cmd in group.commands.items():
        out += _commands(cmd, [*prefix, name]) if hasattr(cmd, "commands") else \
            [[*prefix, name]]
    return out


def test_every_help_page_is_chinese() -> None:
    pages = _commands(get_command(app), [])  # type: ignore[arg-type]
    assert len(pages) > 25
    for args in pages:
        r = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
        assert r.exit_code == 0, (args, r.output)
        found = [w for w in ENGLISH if w in r.output]
        assert not found, (args, found)
        if "--at" in r.output and args != ["demo"]:
            assert "23:59:59" in r.output, args  # the one rule for --at, in every help


def test_usage_errors_are_chinese() -> None:
    r = runner.invoke(app, ["status", "--bogus"], env={"COLUMNS": "200"})
    assert r.exit_code == 2 and "没有选项 --bogus" in r.output and "No such" not in r.output
    r = runner.invoke(app, ["report"], env={"COLUMNS": "200"})
    assert r.exit_code == 2 and "缺少参数" in r.output and "Missing" not in r.output
    r = runner.invoke(app, ["simulate", "x.yaml", "--until", "2021-12-31", "--report-rate", "3"],
                      env={"COLUMNS": "200"})
    assert r.exit_code == 2 and "应不大于 1" in r.output


def test_at_means_the_end_of_a_bare_date_everywhere(ledger: sessionmaker[Session]) -> None:
    """`status` and `check` at 2021-07-19 both count the filing due that day; the check's
    notices go out at 09:00 on the next working day, not at midnight."""
    status = cli("status", "--plan", PLAN, "--at", "2021-07-19")
    assert "截至 2021-07-19 23:59" in status and "56 个单位，其中 55 个有逾期节点" in status
    check = cli("check", PLAN, "--at", "2021-07-19")
    assert "55 个单位有未完成事项" in check
    with transaction(ledger) as s:
        times = {n.next_attempt_at for n in s.scalars(
            select(Notice).where(Notice.kind == "check_result"))}
    assert times == {pendulum.datetime(2021, 7, 20, 9, tz="Asia/Shanghai")}


def test_an_extension_reply_goes_alone_in_its_own_words(ledger: sessionmaker[Session],
                                                        duban_home: Path) -> None:
    cli("sweep", "--at", "2021-07-12T09:00")
    cli("report", PLAN, "--unit", "司法局", "--checkpoint", "cp-worklist", "--extension",
        "2021-07-30", "--text", "机构调整", "--at", "2021-07-13T10:00")
    with transaction(ledger) as s:
        ext = s.scalar(select(Report.id).where(Report.kind == "extension"))
    cli("review", str(ext), "--accept", "--at", "2021-07-13T16:00")
    out = cli("dispatch", "--at", "2021-07-13T16:05")
    assert "送出 0 条消息，写入本地发件箱" in out and "不会真正发出" in out
    assert "已送达" not in out
    sms = [json.loads(p.read_text(encoding="utf-8"))
           for p in (duban_home / "outbox" / "sms").glob("*.json")]
    reply = [m for m in sms if "延期" in m["body"]]
    assert len(reply) == 1 and not reply[0]["digest"]
    body = reply[0]["body"]
    assert body.startswith("【延期批复】") and "同意延期至2021-07-30" in body
    assert "项待办事项" not in body
