"""回头看: last year's unfinished milestones become rectification items, tracked to 销号."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from duban.cli import app
from ledger.db import open_ledger, transaction
from ledger.models import Item, Milestone, Report
from tests.conftest import PLAN_001, UNITS_ZS, cli

runner = CliRunner()

PLAN_2020 = """\
id: zhongshan-2020-zwgk
title: 中山市2020年政务公开工作要点分工方案
issuer: 中山市人民政府办公室
issued: 2020-06-01
year: 2020
coordinator: 市政府办公室
jurisdiction: 中山市
tasks:
  - id: t01
    title: 规章集中公开
    text: 2020年底前将现行有效规章集中公开。
    units: [市司法局, 市财政局]
    due: [2020-12-31]
  - id: t02
    title: 基层标准目录
    text: 2020年10月底前编制完成基层政务公开事项标准目录。
    units: [各镇街]
    due: [2020-10-31]
"""


def rectifications(url: str) -> int:
    with transaction(open_ledger(url)) as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(Item)
                .where(Item.kind == "rectification", Item.archived_at.is_(None))
            )
            or 0
        )


def test_lookback_opens_each_unfinished_milestone_once(database_url: str, tmp_path: Path) -> None:
    cli("units", "import", str(UNITS_ZS))
    plan_2020 = tmp_path / "zhongshan-2020.yaml"
    plan_2020.write_text(PLAN_2020, encoding="utf-8")
    cli("plan", "load", str(plan_2020))
    # 2020: 2 + 23 = 25 milestones. 市司法局 finished t01 (销号); 神湾镇 reported t02
    # but it was never reviewed, so it is not verified done.
    cli(
        "report",
        "zhongshan-2020-zwgk",
        "--unit",
        "司法局",
        "--task",
        "t01",
        "--text",
        "已公开",
        "--at",
        "2020-12-20T10:00",
    )
    cli("review", "1", "--accept", "--at", "2020-12-21T10:00")
    cli(
        "report",
        "zhongshan-2020-zwgk",
        "--unit",
        "神湾镇",
        "--task",
        "t02",
        "--text",
        "已编制",
        "--at",
        "2020-10-30T10:00",
    )

    cli("plan", "load", str(PLAN_001))  # its predecessor is zhongshan-2020-zwgk
    out = cli("lookback", "zhongshan-2021-zwgk", "--due", "2021-09-30", "--at", "2021-08-02")
    assert "新开整改事项 24 项" in out
    assert "市财政局：t01 规章集中公开" in out and "神湾镇：t02 基层标准目录" in out
    assert "市司法局" not in out
    again = cli("lookback", "zhongshan-2021-zwgk", "--due", "2021-09-30", "--at", "2021-08-03")
    assert "新开整改事项 0 项（已开立 24 项）" in again
    cli("plan", "load", str(PLAN_001))  # the plan file does not own them: they stay
    assert rectifications(database_url) == 24

    # Supervised like any milestone, and closed by a report and 销号.
    with transaction(open_ledger(database_url)) as s:
        key = s.scalar(
            select(Item.key)
            .where(Item.kind == "rectification")
            .where(Item.title == "回头看：规章集中公开")
        )
    cli(
        "report",
        "zhongshan-2021-zwgk",
        "--unit",
        "财政局",
        "--task",
        key,
        "--text",
        "已整改",
        "--at",
        "2021-09-10T10:00",
    )
    with transaction(open_ledger(database_url)) as s:
        rid = s.scalar(select(Report.id).order_by(Report.id.desc()))
    cli("review", str(rid), "--accept", "--at", "2021-09-10T11:00")
    with transaction(open_ledger(database_url)) as s:
        states = dict(
            s.execute(
                select(Milestone.state, func.count())
                .where(Milestone.rule == "lookback")
                .group_by(Milestone.state)
            ).all()
        )
    assert states == {"done": 1, "open": 23}


def test_lookback_without_the_predecessor_says_what_to_load(database_url: str) -> None:
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    r = runner.invoke(app, ["lookback", "zhongshan-2021-zwgk"])
    assert r.exit_code == 1 and "zhongshan-2020-zwgk 不在台账中" in r.output
