"""Plan files: the reference plan validates; every malformed plan names line and field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duban.cli import app
from plans.compile import compile_plan, read_plan
from plans.model import json_schema
from plans.workdays import default_calendar
from tests.conftest import PLAN_001, ROOT, UNITS_ZS, zhongshan_directory

runner = CliRunner()


def test_reference_plan_has_every_task_unit_and_deadline_of_the_notice() -> None:
    plan, _, problems = read_plan(PLAN_001)
    assert problems == [] and plan is not None
    c = compile_plan(plan, zhongshan_directory(), default_calendar())
    assert c.errors == []
    # The notice numbers its items 1..48; the cover letter sets four checkpoints.
    assert [t.id for t in plan.tasks] == [f"t{i:02d}" for i in range(1, 49)]
    assert {cp.kind for cp in plan.checkpoints} == {"list", "publish", "check", "lookback"}
    dated = {t.id: t.due for t in plan.tasks if t.due}
    # 2021年底前 in items 26 and 30; 每年至少1次 in 41; 持续… in 7, 20, 33.
    assert dated == {
        "t07": ["ongoing"],
        "t20": ["ongoing"],
        "t26": ["2021-12-31"],
        "t30": ["2021-12-31"],
        "t33": ["ongoing"],
        "t41": ["yearly:1"],
    }
    items = {i.key: i for i in c.items}
    assert [str(o.due_date) for o in items["cp-worklist"].occurrences] == ["2021-07-19"]
    assert [str(o.due_date) for o in items["cp-publish"].occurrences] == ["2021-08-16"]
    assert [str(o.due_date) for o in items["cp-check"].occurrences] == ["2021-09-20", "2021-12-20"]
    # Item 39's unit line: seven named units, 中山供电局 written "中山供电局等部门".
    assert set(items["t39"].assignments) == {
        "市教育体育局",
        "市生态环境局",
        "市住房城乡建设局",
        "市交通运输局",
        "市卫生健康局",
        "市水务局",
        "中山供电局",
    }
    assert items["t26"].assignments == {"市司法局": "lead", "市政务服务数据管理局": "support"}


def test_validate_command_accepts_the_reference_plan() -> None:
    r = runner.invoke(app, ["plan", "validate", str(PLAN_001), "--units", str(UNITS_ZS)])
    assert r.exit_code == 0, r.output
    assert "校验通过" in r.output and "48 项任务" in r.output
    assert "按单位名录文件" in r.output and "中山市" in r.output


def test_validate_and_load_use_the_same_directory(database_url: str) -> None:
    """Without --units, validate checks against the ledger's directory, as load does:
    before the directory is imported both refuse, naming the command that fixes it."""
    for cmd in (["plan", "validate"], ["plan", "load"]):
        r = runner.invoke(app, [*cmd, str(PLAN_001)])
        assert r.exit_code == 1
        assert "台账中还没有中山市的单位名录" in r.output and "units import" in r.output
    runner.invoke(app, ["units", "import", str(UNITS_ZS)])
    r = runner.invoke(app, ["plan", "validate", str(PLAN_001)])
    assert r.exit_code == 0, r.output
    assert "按台账中中山市的单位名录（58 个单位）校验" in r.output


def test_installed_command_exit_codes() -> None:
    exe = Path(sys.executable).with_name("duban")
    ok = subprocess.run(
        [exe, "plan", "validate", str(PLAN_001), "--units", str(UNITS_ZS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    missing = subprocess.run(
        [exe, "plan", "validate", "/nonexistent.yaml"], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1 and "文件不存在" in missing.stderr
    usage = subprocess.run([exe, "plan", "validate"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2


GOOD = """\
id: test-plan
title: 测试计划
issuer: 中山市人民政府办公室
issued: 2021-07-05
year: 2021
coordinator: 市政府办公室
tasks:
  - id: t01
    text: 公开各类规划
    lead: [市发展改革局]
    units: [市直各部门]
    due: [2021-12-31]
  - id: t02
    text: 做好财政信息公开
    units: [市财政局]
"""


def validate(tmp_path: Path, text: str) -> tuple[int, str]:
    f = tmp_path / "plan.yaml"
    f.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["plan", "validate", str(f), "--units", str(UNITS_ZS)])
    return r.exit_code, r.output


def test_good_minimal_plan(tmp_path: Path) -> None:
    code, out = validate(tmp_path, GOOD)
    assert code == 0, out


@pytest.mark.parametrize(
    ("edit", "where", "needle"),
    [
        # YAML syntax error: an unclosed bracket on line 11.
        (("units: [市直各部门]", "units: [市直各部门"), ":12:", "YAML 语法错误"),
        # Unknown unit, with the closest known name.
        (("units: [市财政局]", "units: [市财政厅]"), ":15: 错误: tasks[1].units[0]", "市财政局"),
        # A bad date.
        (("issued: 2021-07-05", "issued: 2021-13-05"), ":4: 错误: issued", "YYYY-MM-DD"),
        # Duplicate task id.
        (("id: t02", "id: t01"), ":13: 错误: tasks[1].id", "重复"),
        # A due rule outside the grammar.
        (("due: [2021-12-31]", "due: [年底前]"), ":12: 错误: tasks[0].due[0]", "可用写法"),
        # A misspelt field.
        (
            ("    due: [2021-12-31]", "    deadline: [2021-12-31]"),
            ":12: 错误: tasks[0].deadline",
            "未知字段",
        ),
        # A key given twice.
        (("year: 2021", "year: 2021\nyear: 2022"), ":6: 错误: year", "键重复"),
        # An unknown coordinator.
        (
            ("coordinator: 市政府办公室", "coordinator: 市府办公厅"),
            ":6: 错误: coordinator",
            "不是名录中的单位",
        ),
    ],
)
def test_malformed_plan_names_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], where: str, needle: str
) -> None:
    old, new = edit
    assert old in GOOD
    code, out = validate(tmp_path, GOOD.replace(old, new, 1))
    assert code == 1, out
    flat = out.replace("\n", "")
    assert f"plan.yaml{where}" in flat, out
    assert needle in flat, out


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("市财政局", "市财政厅").replace("[市发展改革局]", "[市发改委员会]")
    code, out = validate(tmp_path, text)
    assert code == 1 and "2 处错误" in out


def test_unknown_year_is_a_warning_not_a_silent_guess(tmp_path: Path) -> None:
    text = GOOD.replace("2021", "2099")
    code, out = validate(tmp_path, text)
    assert code == 0, out
    assert "警告" in out and "2099 年的法定节假日" in out.replace("\n", "")


def test_published_schema_is_current() -> None:
    committed = json.loads((ROOT / "plans" / "plan.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: duban plan schema --out plans/plan.schema.json"
    r = runner.invoke(app, ["plan", "schema"])
    assert r.exit_code == 0 and json.loads(r.output)["title"] == "duban plan"


def test_readme_plan_example_is_a_valid_plan(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```yaml\nid: zhongshan-2021-zwgk") + len("```yaml\n")
    example = readme[start : readme.index("```", start)]
    plan, lines, problems = read_plan(tmp_path / "example.yaml", example)
    assert problems == [] and plan is not None
    c = compile_plan(plan, zhongshan_directory(), default_calendar(), lines=lines)
    assert c.errors == []
    assert plan.policy.steps[1].name == "duban" and plan.policy.steps[1].to == ["leader"]


def test_show_lists_checkpoints_and_tasks() -> None:
    r = runner.invoke(app, ["plan", "show", str(PLAN_001)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "中府办函〔2021〕91号" in r.output
    assert "2021-09-20、2021-12-20" in r.output  # the two checks
    assert "2021-07-19" in r.output and "2021-08-16" in r.output
    assert "现行有效规章集中公开" in r.output
    assert "共 48 项任务，1547 条分工" in r.output


def test_yaml_aliases_are_refused_not_expanded(tmp_path: Path) -> None:
    """A plan needs no anchors; a nest of aliases (a "billion laughs") is refused at once,
    naming the line, instead of being expanded path by path."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcd", "bcde", strict=True)
    ]
    code, out = validate(tmp_path, GOOD + "\n".join(levels) + "\n")
    assert code == 1
    assert "锚点和别名" in out and "第 " in out
