"""Unit identity over a year of use: directories per jurisdiction, names before aliases,
and no loaded work moved by a directory change nobody confirmed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from duban.cli import app
from ledger.db import open_ledger, transaction
from ledger.models import Assignment, Contact, Group, GroupMember, Unit
from plans.directory import Directory, UnitEntry, read_directory
from tests.conftest import PLAN_001, ROOT, UNITS_ZS, cli

UNITS_CQ = ROOT / "plans" / "units" / "chongqing.csv"
PLAN_CQ = ROOT / "plans" / "chongqing-2021.yaml"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return r.exit_code, r.output


def live_assignments(url: str) -> int:
    with transaction(open_ledger(url)) as s:
        return (
            s.scalar(
                select(func.count()).select_from(Assignment).where(Assignment.archived_at.is_(None))
            )
            or 0
        )


def test_shipped_directories_name_their_jurisdiction() -> None:
    assert read_directory(UNITS_ZS).jurisdiction == "中山市"
    assert read_directory(UNITS_CQ).jurisdiction == "重庆市"


def test_an_exact_name_beats_another_units_alias() -> None:
    d = Directory.build(
        [UnitEntry(name="市政府新闻办", aliases=["市新闻办"]), UnitEntry(name="市新闻办")]
    )
    assert d.resolve("市新闻办") == ("unit", "市新闻办")
    assert d.resolve("市政府新闻办") == ("unit", "市政府新闻办")


def test_two_cities_side_by_side(database_url: str, tmp_path: Path) -> None:
    """The sequence that used to move Zhongshan's work to Chongqing's units."""
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    before = live_assignments(database_url)
    out = cli("units", "import", str(UNITS_CQ))
    assert "（重庆市）：新增 83，更新 0" in out  # Chongqing's own units, none of Zhongshan's
    assert "无变化" in cli("plan", "load", str(PLAN_001))
    assert live_assignments(database_url) == before
    loaded = cli("plan", "load", str(PLAN_CQ))
    assert "已新建计划 chongqing-2021-zwgk" in loaded and "重庆市" in loaded
    # 市新闻办 is Zhongshan's unit in the Zhongshan plan, not Chongqing's 市政府新闻办.
    zs = cli("status", "--plan", "zhongshan-2021-zwgk", "--unit", "市新闻办", "--at", "2021-07-20")
    assert "市新闻办 " in zs and "市政府新闻办" not in zs
    cq = cli("status", "--plan", "chongqing-2021-zwgk", "--unit", "市新闻办", "--at", "2021-07-20")
    assert "市政府新闻办" in cq
    # Without a plan, a name two jurisdictions know is refused, not guessed.
    code, msg = run("status", "--unit", "市司法局")
    assert code == 1 and "多个辖区" in msg and "中山市的市司法局" in msg
    with transaction(open_ledger(database_url)) as s:
        sfj = s.scalars(select(Unit).where(Unit.name == "市司法局")).all()
        assert {u.jurisdiction for u in sfj} == {"中山市", "重庆市"}
        zs_sfj = next(u for u in sfj if u.jurisdiction == "中山市")
        assert [g.name for g in zs_sfj.groups] == ["市直各部门"]
        assert {c.role for c in zs_sfj.contacts} == {"contact", "leader", "head"}
    # Each directory round-trips through its own export, in either format.
    code, msg = run("units", "export", "--out", str(tmp_path / "u.xlsx"))
    assert code == 1 and "--jurisdiction" in msg
    for suffix in ("xlsx", "csv"):
        f = tmp_path / f"cq.{suffix}"
        cli("units", "export", "--jurisdiction", "重庆市", "--out", str(f))
        assert "新增 0，更新 0，未变 83" in cli("units", "import", str(f))


def test_an_alias_taken_in_the_ledger_is_refused(database_url: str, tmp_path: Path) -> None:
    cli("units", "import", str(UNITS_ZS))
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "辖区：中山市\n单位名称,别名,类型\n市政府新闻办,市新闻办,部门\n", encoding="utf-8"
    )
    code, msg = run("units", "import", str(extra))
    assert code == 1 and "市新闻办 已是 市新闻办 的名称" in msg and "未导入任何单位" in msg
    with transaction(open_ledger(database_url)) as s:
        assert s.scalar(select(Unit).where(Unit.name == "市政府新闻办")) is None
    # The same file for another city is another directory, and imports.
    code, msg = run("units", "import", str(extra), "--jurisdiction", "江门市")
    assert code == 1 and "与 --jurisdiction 江门市 不同" in msg
    extra.write_text("单位名称,别名,类型\n市政府新闻办,市新闻办,部门\n", encoding="utf-8")
    code, msg = run("units", "import", str(extra))
    assert code == 1 and "没有写明辖区" in msg
    assert "新增 1" in cli("units", "import", str(extra), "--jurisdiction", "江门市")


def test_a_directory_change_is_shown_before_it_moves_work(
    database_url: str, tmp_path: Path
) -> None:
    """Moving 市司法局 to another group and dropping its contacts archives its work in
    市直各部门 tasks: the import lists that, changes nothing, and needs --yes."""
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    before = live_assignments(database_url)
    lines = UNITS_ZS.read_text(encoding="utf-8-sig").splitlines()
    moved = [
        ln
        if not ln.startswith("市司法局,")
        else ",".join(ln.split(",")[:4] + ["市政府各部门"] + [""] * 18)
        for ln in lines
    ]
    f = tmp_path / "moved.csv"
    f.write_text("\n".join(moved) + "\n", encoding="utf-8")
    code, msg = run("units", "import", str(f))
    assert code == 1
    assert "市司法局（市直各部门 → 市政府各部门）" in msg
    assert "删除联系人 3 人" in msg and "市司法局 经办人" in msg
    assert "计划 zhongshan-2021-zwgk：归档分工" in msg and "未作任何改动" in msg
    assert live_assignments(database_url) == before
    with transaction(open_ledger(database_url)) as s:
        unit = s.scalar(select(Unit).where(Unit.name == "市司法局"))
        assert len(s.scalars(select(Contact).where(Contact.unit_id == unit.id)).all()) == 3
    out = cli("units", "import", str(f), "--yes")
    assert "更新 1" in out and "归档分工" in out
    assert live_assignments(database_url) < before
    assert "无变化" in cli("plan", "load", str(PLAN_001))


def test_plan_load_never_archives_for_an_unconfirmed_directory_change(database_url: str) -> None:
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    before = live_assignments(database_url)
    with transaction(open_ledger(database_url)) as s:  # the directory drifts behind duban's back
        unit = s.scalar(select(Unit).where(Unit.name == "神湾镇"))
        s.execute(delete(GroupMember).where(GroupMember.unit_id == unit.id))
        assert s.scalar(select(Group).where(Group.name == "各镇街")) is not None
    code, msg = run("plan", "load", str(PLAN_001))
    assert code == 1 and "未作任何改动" in msg and "神湾镇" in msg and "--yes" in msg
    assert live_assignments(database_url) == before
    out = cli("plan", "load", str(PLAN_001), "--yes")
    assert "归档分工" in out and live_assignments(database_url) < before
