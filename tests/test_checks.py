"""Checks and scores from the ledger, through the CLI, on both databases."""

from __future__ import annotations

from pathlib import Path

from docx import Document as Docx
from sqlalchemy import func, select
from typer.testing import CliRunner

from duban.cli import app
from ledger.db import open_ledger, transaction
from ledger.models import Notification, Report
from tests.conftest import PLAN_001, UNITS_ZS, cli

runner = CliRunner()
PLAN = "zhongshan-2021-zwgk"


def row(out: str, unit: str) -> list[str]:
    line = next(line for line in out.splitlines() if f" {unit} " in line)
    return [c.strip() for c in line.split("│")[2:-1]]


def test_check_and_score_after_the_filing_deadline(database_url: str, duban_home: Path) -> None:
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    filing = ("--checkpoint", "cp-worklist", "--text", "工作计划已报备")
    cli("report", PLAN, "--unit", "司法局", *filing, "--at", "2021-07-13T10:00")  # early
    cli("report", PLAN, "--unit", "财政局", *filing, "--at", "2021-07-20T10:00")  # late
    cli("report", PLAN, "--unit", "审计局", *filing, "--at", "2021-07-19T10:00")  # not reviewed
    with transaction(open_ledger(database_url)) as s:
        ids = s.scalars(select(Report.id).order_by(Report.id)).all()
    cli("review", str(ids[0]), "--accept", "--at", "2021-07-14T09:00")
    cli("review", str(ids[1]), "--accept", "--at", "2021-07-20T11:00")

    out = cli("check", PLAN, "--at", "2021-07-20T12:00")
    # 应完成, 按时, 逾期完成, 待审核, 未完成, 完成率
    assert row(out, "市司法局") == ["1", "1", "0", "0", "0", "100%"]
    assert row(out, "市财政局") == ["1", "0", "1", "0", "0", "100%"]
    assert row(out, "市审计局") == ["1", "0", "0", "1", "0", "0%"]
    assert row(out, "神湾镇") == ["1", "0", "0", "0", "1", "0%"]
    assert "52 个单位有未完成事项" in out and "检查结果通知 104 条" in out  # 52 × 2 channels
    md = next((duban_home / "checks").glob("*.md"))
    report = md.read_text(encoding="utf-8")
    word = Docx(str(md.with_suffix(".docx")))
    texts = [p.text for p in word.paragraphs]
    assert texts[0] == "中山市人民政府办公室"  # the issuing office's red mark
    assert any(t.endswith("落实情况的检查报告") for t in texts)
    assert texts[-1] == "2021年7月20日" and texts[-2] == "中山市人民政府办公室"
    assert [c.text for c in word.tables[0].rows[0].cells][:2] == ["单位", "应完成"]
    assert "| 神湾镇 | 1 | 0 | 0 | 0 | 1 | 0% |" in report
    assert "cp-worklist" not in report and "报送具体工作计划、措施备案（2021-07-19）" in report
    again = cli("check", PLAN, "--at", "2021-07-20T15:00")
    assert "检查结果通知 0 条" in again  # one notice per unit and check day
    with transaction(open_ledger(database_url)) as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.kind == "check_result")
            )
            == 104
        )

    score = cli("score", PLAN, "--at", "2021-07-20T12:00")
    # 应完成, 按时, 提前, 逾期完成, 待审核, 未完成, 按时完成率, 得分 (default rubric)
    assert row(score, "市司法局") == ["1", "1", "1", "0", "0", "0", "100%", "100"]
    assert row(score, "市财政局") == ["1", "0", "0", "1", "0", "0", "0%", "98"]
    assert row(score, "市审计局") == ["1", "0", "0", "0", "1", "0", "0%", "100"]
    assert row(score, "神湾镇") == ["1", "0", "0", "0", "0", "1", "0%", "90"]


def test_check_names_an_unknown_unit(database_url: str) -> None:
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    r = runner.invoke(app, ["check", PLAN, "--unit", "市司法厅"])
    assert r.exit_code == 1 and "是否指 市司法局" in r.output


def test_scores_stay_in_the_rubric_range_and_names_are_never_cut(
    database_url: str, tmp_path: Path
) -> None:
    """A harsh rubric floors at 0 (not −50); names print whole in an 80-column terminal;
    equal scores are listed in the directory's order, not by code point."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN_001.read_text(encoding="utf-8").replace(
            "coordinator: 市政府办公室\n",
            "coordinator: 市政府办公室\npolicy:\n  rubric:\n    missing: -30\n",
            1,
        ),
        encoding="utf-8",
    )
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "zhongshan.csv").write_bytes(UNITS_ZS.read_bytes())
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(plan))
    r = runner.invoke(app, ["score", PLAN, "--at", "2022-01-31"], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert "…" not in r.output and "市政务服务数据管理局" in r.output
    # 5 dated milestones and its standing tasks' rounds missing: far below 0, floored.
    assert row(r.output, "市政务服务数据管理局")[-1] == "0"
    assert not [ln for ln in r.output.splitlines() if "│ -" in ln]
    assert "最低 0 分" in r.output
    names = [
        ln.split("│")[1].strip()
        for ln in r.output.splitlines()
        if ln.startswith("│") and ln.split("│")[-2].strip() == "0"
    ]
    towns = [n for n in names if n.endswith(("镇", "街道"))]
    directory = [ln.split(",")[0] for ln in UNITS_ZS.read_text(encoding="utf-8-sig").splitlines()]
    assert towns == [n for n in directory if n in towns] and towns != sorted(towns)
