"""The ledger on SQLite and Postgres: loading the reference plan, re-loading, editing.

Expected numbers are counted from the notice (中府办函〔2021〕91号) and the sample
directory, not from the code:

* directory: 市直各部门 has D = 31 departments (市政府办公室 among them), 各镇街 has
  T = 23 towns and streets; 市新闻办 and 中山供电局 belong to neither group.
* tasks: items 1..48, plus 4 checkpoints of the cover letter = 52 items.
* task assignments, by the unit line of each item (a lead inside a group counts once):
  - 市直各部门 only (1-5, 7-12, 15-17, 25, 32): 16 items × 31 = 496
  - item 14, 市新闻办 leads 市直各部门: 32
  - 市直各部门 and 各镇街 (6, 13, 18-21, 23, 24, 27, 28, 34-36, 40, 41): 15 × 54 = 810
  - item 22, 市新闻办 + 市直各部门 + 各镇街: 55
  - item 26, 市司法局 leads, 市政务服务数据管理局 supports: 2
  - one unit each (29-31, 37, 38, 42-48): 12
  - item 33, 各镇街: 23;  item 39, seven named units: 7
  => 1437
* checkpoint assignments: 各责任单位 = every unit holding a task except the
  coordinator = 30 + 23 + 市新闻办 + 中山供电局 = 55, for the work-plan filing
  and for its publication: 110. The check and the 回头看 are the coordinator's.
  => 1437 + 110 = 1547 assignments.
* milestones: one per unit per stated deadline: filing 55 (2021-07-19), publication
  55 (2021-08-16), item 26: 2, item 30: 1 (2021年底前), item 41: 54 (每年至少1次,
  due 2021-12-31). "持续…" items are ongoing, with no deadline. => 167.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from duban.cli import app
from ledger.db import alembic_config, make_engine, open_ledger, transaction
from ledger.models import (
    Assignment,
    AuditEvent,
    Base,
    Item,
    Milestone,
    Notification,
    Report,
    Unit,
)
from tests.conftest import PLAN_001, UNITS_ZS, cli

runner = CliRunner()


def counts(url: str) -> dict[str, int]:
    with transaction(open_ledger(url)) as s:

        def n(model, *where) -> int:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

        return {
            "tasks": n(Item, Item.kind == "task", Item.archived_at.is_(None)),
            "items": n(Item, Item.archived_at.is_(None)),
            "assignments": n(Assignment, Assignment.archived_at.is_(None)),
            "milestones": n(Milestone, Milestone.state != "archived"),
            "audit": n(AuditEvent),
        }


def load_reference() -> None:
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))


def test_reference_plan_loads_with_the_counted_numbers(database_url: str) -> None:
    load_reference()
    c = counts(database_url)
    # 167 dated milestones; the 1,380 assignments of the 45 standing tasks (持续推进) owe
    # progress at each of the plan's two checks (9月20日、12月20日).
    assert (c["tasks"], c["items"], c["assignments"], c["milestones"]) == (
        48,
        52,
        1547,
        167 + 2 * 1380,
    )
    with transaction(open_ledger(database_url)) as s:
        standing = s.scalars(select(Item.key).where(Item.standing)).all()
        assert len(standing) == 45 and "t01" in standing
        progress = s.scalars(
            select(Milestone).join(Assignment).join(Item).where(Item.key == "t01")
        ).all()
        assert {m.due_date for m in progress} == {dt.date(2021, 9, 20), dt.date(2021, 12, 20)}
        # Every assignment is supervised: none is left without a milestone.
        bare = s.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(~select(Milestone.id).where(Milestone.assignment_id == Assignment.id).exists())
        )
        assert bare == 0
        filing = s.scalars(
            select(Milestone).join(Assignment).join(Item).where(Item.key == "cp-worklist")
        ).all()
        assert len(filing) == 55
        assert {m.due_date for m in filing} == {dt.date(2021, 7, 19)}
        # End of 2021-07-19 in Shanghai is 15:59:59 UTC.
        assert {m.due_at for m in filing} == {dt.datetime(2021, 7, 19, 15, 59, 59, tzinfo=dt.UTC)}
        # First reminder 5 working days before, at 09:00 Shanghai (01:00 UTC).
        assert {m.next_action_at for m in filing} == {dt.datetime(2021, 7, 12, 1, 0, tzinfo=dt.UTC)}
        coordinator = s.scalar(select(Unit).where(Unit.name == "市政府办公室"))
        assert all(m.unit_id != coordinator.id for m in filing)


def test_reloading_the_same_file_changes_nothing(database_url: str) -> None:
    load_reference()
    before = counts(database_url)
    out = cli("plan", "load", str(PLAN_001))
    assert "无变化" in out
    assert counts(database_url) == before  # not even an audit event


def test_a_new_group_member_joins_a_loaded_plan(database_url: str, tmp_path: Path) -> None:
    load_reference()
    before = counts(database_url)
    directory = tmp_path / "units.csv"
    text_ = UNITS_ZS.read_text(encoding="utf-8-sig")
    directory.write_text(text_ + "新设街道,,镇街,,各镇街\n", encoding="utf-8")
    shown = CliRunner().invoke(app, ["units", "import", str(directory)])
    assert shown.exit_code == 1 and "新增分工 19，新增时限节点 35" in shown.output
    assert counts(database_url) == before  # shown, not done, without --yes
    out = cli("units", "import", str(directory), "--yes")  # the loaded plan follows at once
    assert "无变化" in cli("plan", "load", str(PLAN_001))
    after = counts(database_url)
    # 各镇街 stands in the unit lines of items 6, 13, 18-24, 27, 28, 33-36, 40, 41: 17.
    plan_text = PLAN_001.read_text(encoding="utf-8")
    town_tasks = sum(1 for block in plan_text.split("- id: t")[1:] if "各镇街" in block)
    assert town_tasks == 17
    # + the filing and publication checkpoints (各责任单位), + item 41's yearly milestone.
    assert after["assignments"] == before["assignments"] + town_tasks + 2
    # 16 of the 17 are standing tasks: progress at each of the two checks.
    assert after["milestones"] == before["milestones"] + 3 + 2 * 16
    assert "新增分工 19" in out


def test_editing_a_plan_archives_and_never_loses_reports(database_url: str, tmp_path: Path) -> None:
    load_reference()
    factory = open_ledger(database_url)
    with transaction(factory) as s:
        # 市司法局 reports on item 26 and a notice went out to 市政务服务数据管理局 for item 30.
        m26 = s.scalar(
            select(Milestone)
            .join(Assignment)
            .join(Item)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Item.key == "t26", Unit.name == "市司法局")
        )
        s.add(
            Report(
                milestone_id=m26.id,
                assignment_id=m26.assignment_id,
                unit_id=m26.unit_id,
                text="规章已集中公开",
                evidence_urls=["https://www.zs.gov.cn/example"],
            )
        )
        m26.state = "reported"
        m30 = s.scalar(select(Milestone).join(Assignment).join(Item).where(Item.key == "t30"))
        s.add(
            Notification(
                idempotency_key=f"m{m30.id}:reminder-5:contact:email",
                plan_id=m30.plan_id,
                milestone_id=m30.id,
                unit_id=m30.unit_id,
                kind="reminder",
                channel="email",
                recipient="gk.zsj@zs.example.cn",
                status="sent",
            )
        )
        m26_id, m30_id = m26.id, m30.id
    text_ = PLAN_001.read_text(encoding="utf-8")
    # Drop item 30, move item 26's deadline to 2021-11-30, give item 31 to 市司法局 too.
    start = text_.index("- id: t30")
    edited = text_[:start] + text_[text_.index("- id: t31") :]
    edited = edited.replace(
        "  due: ['2021-12-31']\n  note: 原文“2021年底前”\n- id: t27",
        "  due: ['2021-11-30']\n  note: 原文“2021年底前”\n- id: t27",
        1,
    )
    t31 = edited.index("- id: t31")
    edited = edited[:t31] + edited[t31:].replace(
        "units: [市政府办公室]", "units: [市政府办公室, 市司法局]", 1
    )
    assert edited != text_ and "'2021-11-30'" in edited
    f = tmp_path / "zhongshan-2021.yaml"
    f.write_text(edited, encoding="utf-8")
    out = cli("plan", "load", str(f))
    assert "归档条目 1" in out and "调整时限节点" in out and "新增分工 1" in out
    assert "归档分工 1" in out
    c = counts(database_url)
    assert (c["tasks"], c["assignments"], c["milestones"]) == (
        47,
        1547 - 1 + 1,
        167 - 1 + 2 * (1380 + 1),
    )
    with transaction(factory) as s:
        m26 = s.get(Milestone, m26_id)
        assert m26.due_date == dt.date(2021, 11, 30) and m26.state == "reported"
        assert [r.text for r in m26.reports] == ["规章已集中公开"]
        m30 = s.get(Milestone, m30_id)
        assert m30.state == "archived" and m30.next_action_at is None
        assert s.scalar(select(func.count()).select_from(Notification)) == 1
        archived = s.scalar(select(Item).where(Item.key == "t30"))
        assert archived.archived_at is not None
    # Loading the original again brings item 30 back with the same milestone.
    cli("plan", "load", str(PLAN_001))
    with transaction(factory) as s:
        assert s.get(Milestone, m30_id).state == "open"
        assert s.get(Milestone, m26_id).due_date == dt.date(2021, 12, 31)


def test_load_refuses_an_unknown_unit_and_writes_nothing(database_url: str, tmp_path: Path) -> None:
    load_reference()
    before = counts(database_url)
    f = tmp_path / "bad.yaml"
    f.write_text(
        PLAN_001.read_text(encoding="utf-8").replace("lead: [市司法局]", "lead: [市司法厅]", 1),
        encoding="utf-8",
    )
    r = runner.invoke(app, ["plan", "load", str(f)])
    assert r.exit_code == 1
    assert "市司法厅" in r.output and "是否指 市司法局" in r.output and "未作任何改动" in r.output
    assert counts(database_url) == before


def test_load_without_a_directory_says_what_to_import(database_url: str) -> None:
    r = runner.invoke(app, ["plan", "load", str(PLAN_001)])
    assert r.exit_code == 1
    assert "duban units import" in r.output and "zhongshan.csv" in r.output


def test_audit_log_is_append_only(database_url: str) -> None:
    load_reference()
    factory = open_ledger(database_url)
    with pytest.raises(DBAPIError, match="append-only"), transaction(factory) as s:
        s.execute(update(AuditEvent).values(actor="someone else"))
    with pytest.raises(DBAPIError, match="append-only"), transaction(factory) as s:
        s.execute(text("DELETE FROM audit_events"))
    with transaction(factory) as s:
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["units.sync", "plan.load"]


def test_status_shows_who_is_late(database_url: str) -> None:
    load_reference()
    out = cli("status", "--plan", "zhongshan-2021-zwgk", "--at", "2021-07-20")
    # On 07-20 the filing (due 07-19) is overdue for its 55 units; the coordinator
    # (市政府办公室) has only item 41, due at year end.
    assert "56 个单位，其中 55 个有逾期节点" in out
    one = cli("status", "--plan", "zhongshan-2021-zwgk", "--unit", "司法局", "--at", "2021-09-01")
    row = next(line for line in one.splitlines() if "市司法局" in line)
    assert [c.strip() for c in row.split("│")[2:8]] == ["70", "2", "0", "0", "0", "72"]
    r = runner.invoke(app, ["status", "--plan", "no-such-plan"])
    assert r.exit_code == 1 and "zhongshan-2021-zwgk" in r.output


def test_due_query_uses_the_next_action_index(database_url: str) -> None:
    load_reference()
    engine = make_engine(database_url)
    q = (
        "SELECT id FROM milestones WHERE next_action_at IS NOT NULL "
        "AND next_action_at <= '2021-07-12 02:00:00'"
    )
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r) for r in conn.execute(text("EXPLAIN QUERY PLAN " + q)))
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(str(r) for r in conn.execute(text("EXPLAIN " + q)))
    assert "ix_milestones_next_action_at" in plan


def test_migrations_match_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    open_ledger(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []
    assert alembic_config(engine).get_main_option("script_location")


def test_the_ledger_exports_as_an_office_files_it(database_url: str, tmp_path: Path) -> None:
    """`duban export`: one row per milestone with its state, lateness, report and documents."""
    from openpyxl import load_workbook

    load_reference()
    cli(
        "report",
        "zhongshan-2021-zwgk",
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "已报备",
        "--url",
        "https://www.zs.gov.cn/x",
        "--at",
        "2021-07-13T10:00",
    )
    for day in ("2021-07-20", "2021-07-22"):
        cli("sweep", "--at", f"{day}T09:00")
    target = tmp_path / "台账.xlsx"
    out = cli("export", "zhongshan-2021-zwgk", "--out", str(target), "--at", "2021-07-22")
    assert "2927 个时限节点（其中持续推进任务的进展报送 2760 个），其中逾期未完成 54 个" in out
    ws = load_workbook(target).active
    assert str(ws["A1"].value).endswith("台账（截至2021年7月22日 23:59）")
    assert ws.freeze_panes == "A3" and ws.page_setup.orientation == "landscape"
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert len(rows) == 2927
    standing = [r for r in rows if r["类别"] == "持续推进任务"]
    assert len(standing) == 2760 and {r["期限"] for r in standing} == {
        "2021-09-20 报送进展",
        "2021-12-20 报送进展",
    }
    filing = "报送具体工作计划、措施备案"
    sifa = next(r for r in rows if r["责任单位"] == "市司法局" and r["事项"] == filing)
    assert sifa["状态"] == "待审核" and sifa["最近报送"] == "2021-07-13 10:00"
    assert sifa["报送说明"] == "已报备；https://www.zs.gov.cn/x"
    town = next(r for r in rows if r["责任单位"] == "神湾镇" and r["期限"] == "2021-07-19")
    assert town["状态"] == "已逾期" and town["逾期工作日"] == 3  # 07-20, 07-21, 07-22
    assert re.fullmatch(r"催办〔2021〕\d+号、督办〔2021〕\d+号", town["已发文书"])
    assert not any(str(r["事项"]).startswith("cp-") for r in rows)


def test_evidence_files_are_kept_safely(database_url: str, tmp_path: Path) -> None:
    """Links and oversized files are refused and nothing is recorded; two files of one
    name are both kept; every file lives under a folder of its own."""
    import os

    from ledger.evidence import MAX_FILE_BYTES

    load_reference()
    secret = tmp_path / "secret.txt"
    secret.write_text("不该被复制", encoding="utf-8")
    link = tmp_path / "link.pdf"
    link.symlink_to(secret)
    sparse = tmp_path / "sparse.pdf"
    with sparse.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "公开截图.png").write_bytes(b"one")
    (b / "公开截图.png").write_bytes(b"two")
    base = [
        "report",
        "zhongshan-2021-zwgk",
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "已报备",
        "--at",
        "2021-07-13T10:00",
    ]
    for bad, why in ((link, "符号链接"), (sparse, "超过上限"), (tmp_path / "nope.pdf", "无法读取")):
        r = CliRunner().invoke(app, [*base, "--file", str(a / "公开截图.png"), "--file", str(bad)])
        assert r.exit_code == 1 and why in r.output, r.output
    home = Path(os.environ["DUBAN_HOME"]) / "evidence"
    assert not home.exists() or not any(home.rglob("*.png"))  # nothing half-kept
    with transaction(open_ledger(database_url)) as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 0
    cli(*base, "--file", str(a / "公开截图.png"), "--file", str(b / "公开截图.png"))
    with transaction(open_ledger(database_url)) as s:
        files = s.scalars(select(Report)).one().files
    assert len(files) == 2 and len({Path(f).parent for f in files}) == 2
    assert sorted((home / f).read_bytes() for f in files) == [b"one", b"two"]
