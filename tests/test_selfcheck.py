"""Standing tasks (持续推进): every unit answers all of its tasks in one 自查表, from its
link or through ``duban report``; each answered row stops its own escalation."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import transaction
from ledger.models import Assignment, Item, Milestone, Report, Unit
from ledger.users import add_user
from tests.conftest import at, cli
from web import create_app
from web.pages import offset_clock, unit_csrf

PLAN = "zhongshan-2021-zwgk"


def link(unit: str) -> str:
    return re.search(
        r"/u/([A-Za-z0-9]{12})",  # type: ignore[union-attr]
        cli("links", "issue", unit, "--plan", PLAN),
    ).group(1)


def rounds(ledger: sessionmaker[Session], unit: str, day: str) -> dict[str, tuple[int, str]]:
    """The unit's progress milestones of one round: item key → (id, state)."""
    with transaction(ledger) as s:
        return {
            key: (mid, state)
            for mid, state, key in s.execute(
                select(Milestone.id, Milestone.state, Item.key)
                .join(Assignment, Assignment.id == Milestone.assignment_id)
                .join(Item, Item.id == Assignment.item_id)
                .join(Unit, Unit.id == Milestone.unit_id)
                .where(Unit.name == unit, Item.standing, Milestone.occurrence == day)
            )
        }


def test_a_unit_answers_all_its_standing_tasks_in_one_form(ledger: sessionmaker[Session]) -> None:
    cli("sweep", "--at", "2021-09-15T09:00")  # the 9-20 round's reminder (3 working days)
    app = create_app(ledger, clock=offset_clock(at("2021-09-16T10:00")), upload_mb=1)
    token = link("市司法局")
    unit = TestClient(app)
    page = unit.get(f"/u/{token}").text
    mine = rounds(ledger, "市司法局", "2021-09-20")
    assert len(mine) == 34
    # One form, a fieldset per task, each with the three states and its own button.
    assert page.count('<fieldset class="task"') == 34
    assert "贵单位承担的持续推进任务共 34 项" in page and "2021-09-20" in page
    assert page.count('value="not_started"') == 34
    # Another round's and another unit's tasks are not on this page.
    other = rounds(ledger, "神湾镇", "2021-09-20")
    assert not any(f'name="state_{mid}"' in page for mid, _ in other.values())

    def form(rows: dict[str, tuple[int, str]], **extra: str) -> dict[str, str]:
        data = {"csrf": unit_csrf(token), **extra}
        for n, (key, (mid, _)) in enumerate(sorted(rows.items())):
            data[f"state_{mid}"] = "done" if n % 3 == 0 else "ongoing"
            data[f"text_{mid}"] = f"{key} 已按要求推进"
        return data

    # A 未开展 row without its reason refuses the whole form: nothing is recorded.
    data = form(mine)
    first_key = sorted(mine)[0]
    first = mine[first_key][0]
    data[f"state_{first}"], data[f"text_{first}"] = "not_started", ""
    refused = unit.post(f"/u/{token}/progress", data=data)
    assert refused.status_code == 400 and "未开展的，请写明原因" in refused.text
    assert "本次填写均未保存" in refused.text
    # What the unit typed is still in the form.
    assert f"{sorted(mine)[1]} 已按要求推进" in refused.text
    with transaction(ledger) as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 0

    # A forged row (another unit's milestone) is not this unit's to answer.
    forged = form(mine)
    theirs = next(iter(other.values()))[0]
    forged[f"state_{theirs}"], forged[f"text_{theirs}"] = "done", "冒名"
    assert unit.post(f"/u/{token}/progress", data=forged).status_code == 404

    # One row alone, with its own button.
    only = form(mine, only=str(first))
    r = unit.post(f"/u/{token}/progress", data=only, follow_redirects=False)
    assert r.status_code == 303 and "n=1" in r.headers["location"]
    assert rounds(ledger, "市司法局", "2021-09-20")[first_key][1] == "reported"

    # Then all the rest in one submit; the answered row is no longer a field.
    page = unit.get(f"/u/{token}").text
    assert f'name="state_{first}"' not in page and "待报送 33 项" in page
    rest = {k: v for k, v in mine.items() if k != first_key}
    done = unit.post(f"/u/{token}/progress", data=form(rest), follow_redirects=False)
    assert done.status_code == 303 and "n=33" in done.headers["location"]
    assert "已收到 33 项任务的进展" in unit.get(done.headers["location"]).text
    after = rounds(ledger, "市司法局", "2021-09-20")
    assert {state for _, state in after.values()} == {"reported"}
    with transaction(ledger) as s:
        kinds = s.execute(
            select(Report.kind, Report.progress, func.count()).group_by(
                Report.kind, Report.progress
            )
        ).all()
    assert {k for k, _, _ in kinds} == {"progress"}
    assert {p for _, p, _ in kinds} == {"done", "ongoing"}

    # Each reported row stops its own escalation: the 9-21 催办 reaches 神湾镇, not 司法局.
    out = cli("sweep", "--at", "2021-09-22T09:00")
    assert "催办" in out
    with transaction(ledger) as s:
        chased = set(
            s.scalars(
                select(Unit.name)
                .join(Milestone, Milestone.unit_id == Unit.id)
                .where(Milestone.occurrence == "2021-09-20", Milestone.step == "cuiban")
            )
        )
    assert "神湾镇" in chased and "市司法局" not in chased

    # The coordinator takes the whole 自查表 at once, returning one row for 整改.
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", "correct horse 9", actor="test")
    web = TestClient(app)
    login = web.get("/login").text
    web.post(
        "/login",
        data={
            "name": "王科长",
            "password": "correct horse 9",
            "csrf": re.search(r'name="csrf" value="([^"]+)"', login)[1],
        },
    )
    queue = web.get(f"/p/{PLAN}/review").text
    assert "市司法局：自查表（34 项进展）" in queue
    csrf = re.search(r'name="csrf" value="([^"]+)"', queue)[1]
    ids = [int(x) for x in re.findall(r'name="d_(\d+)" value="accept"', queue)]
    assert len(ids) == 34
    decisions = {f"d_{rid}": "accept" for rid in ids} | {
        f"d_{ids[5]}": "return",
        f"c_{ids[5]}": "未附公开链接",
        "due": "2021-10-15",
        "csrf": csrf,
    }
    r = web.post(f"/p/{PLAN}/reviews", data=decisions, follow_redirects=False)
    assert r.status_code == 303
    assert "采纳 33 项，退回整改 1 项" in web.get(r.headers["location"]).text
    states = [state for _, state in rounds(ledger, "市司法局", "2021-09-20").values()]
    assert states.count("done") == 33 and states.count("rectifying") == 1
    # A row accepted as 已完成 owes no progress at the 12-20 check any more.
    with transaction(ledger) as s:
        finished = s.scalars(
            select(Report.assignment_id).where(
                Report.progress == "done", Report.review_state == "accepted"
            )
        ).all()
    later = {
        aid: state for aid, state in _by_assignment(ledger, "2021-12-20").items() if aid in finished
    }
    assert later and set(later.values()) == {"done"}


def _by_assignment(ledger: sessionmaker[Session], day: str) -> dict[int, str]:
    with transaction(ledger) as s:
        return dict(
            s.execute(
                select(Milestone.assignment_id, Milestone.state).where(Milestone.occurrence == day)
            )
            .tuples()
            .all()
        )


def test_duban_report_takes_a_units_whole_selfcheck(
    ledger: sessionmaker[Session], tmp_path: Path
) -> None:
    """Several --task with one --progress, or a sheet of rows; a wrong row names itself
    and records nothing."""
    out = cli(
        "report",
        PLAN,
        "--unit",
        "神湾镇",
        "--task",
        "t06",
        "--task",
        "t13",
        "--progress",
        "推进中",
        "--text",
        "按季度更新",
        "--at",
        "2021-09-10T10:00",
    )
    assert "共 2 项" in out and "2021-09-20 轮" in out
    sheet = tmp_path / "自查表.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["任务编号", "进展", "报送说明", "公开链接"])
    ws.append(["t18", "已完成", "已全部公开", "https://www.zs.gov.cn/a"])
    ws.append(["t19", "未开展", "", ""])
    wb.save(sheet)
    from typer.testing import CliRunner

    from duban.cli import app

    bad = CliRunner().invoke(app, ["report", PLAN, "--unit", "神湾镇", "--rows", str(sheet)])
    assert bad.exit_code == 1 and "第3行" in bad.output and "未开展的，请写明原因" in bad.output
    ws["C3"] = "机构调整，下季度启动"
    wb.save(sheet)
    out = cli("report", PLAN, "--unit", "神湾镇", "--rows", str(sheet), "--at", "2021-09-10T11:00")
    assert "共 2 项" in out
    with transaction(ledger) as s:
        got = dict(
            s.execute(
                select(Item.key, Report.progress)
                .join(Assignment, Assignment.id == Report.assignment_id)
                .join(Item, Item.id == Assignment.item_id)
            )
            .tuples()
            .all()
        )
    assert got == {"t06": "ongoing", "t13": "ongoing", "t18": "done", "t19": "not_started"}
    # A standing task reported without saying where it stands is refused.
    r = CliRunner().invoke(
        app, ["report", PLAN, "--unit", "神湾镇", "--task", "t20", "--text", "进行中"]
    )
    assert r.exit_code == 1 and "--progress" in r.output


def test_the_board_covers_every_task_a_page_at_a_time(
    ledger: sessionmaker[Session], monkeypatch
) -> None:
    """任务一览 counts every assignment; a task's page shows every unit side by side; the
    board filters by task and section and pages its units."""
    from ledger import board as boards

    cli(
        "report",
        PLAN,
        "--unit",
        "市司法局",
        "--task",
        "t01",
        "--progress",
        "推进中",
        "--text",
        "十四五规划纲要已公开",
        "--at",
        "2021-09-10T10:00",
    )
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", "correct horse 9", actor="test")
    app = create_app(ledger, clock=offset_clock(at("2021-09-16T10:00")), upload_mb=1)
    web = TestClient(app)
    login = web.get("/login").text
    web.post(
        "/login",
        data={
            "name": "王科长",
            "password": "correct horse 9",
            "csrf": re.search(r'name="csrf" value="([^"]+)"', login)[1],
        },
    )
    tasks = web.get(f"/p/{PLAN}/tasks").text
    row = re.search(r"<tr><td>t01</td>.*?</tr>", tasks, re.S)[0]  # type: ignore[index]
    # t01 is 市直各部门's: 36 units, two rounds each; none done, one awaiting review.
    with transaction(ledger) as s:
        n = s.scalar(
            select(func.count()).select_from(Assignment).join(Item).where(Item.key == "t01")
        )
    assert f"<td>{n}</td>" in row and f"0/{2 * n}" in row and "持续推进" in row
    page = web.get(f"/p/{PLAN}/t/t01").text
    assert page.count("<tr><td><a href") == n
    assert "市司法局" in page and "十四五规划纲要已公开" in page and "推进中" in page
    assert web.get(f"/p/{PLAN}/t/t999").status_code == 404
    # The board filtered to one task: one cell per round for each of its units.
    board = web.get(f"/p/{PLAN}", params={"task": "t01"}).text
    assert board.count('data-unit="') == n and board.count("data-m=") == 2 * n
    assert "没有找到事项" in web.get(f"/p/{PLAN}", params={"task": "不存在的事项"}).text
    # A page of units at a time.
    monkeypatch.setattr(boards, "PAGE_UNITS", 10)
    first = web.get(f"/p/{PLAN}").text
    assert first.count('data-unit="') == 10 and "第 1/6 页" in first
    last = web.get(f"/p/{PLAN}", params={"page": 6}).text
    assert last.count('data-unit="') == 56 - 50
    # A task's page, too: its units a page at a time, the lead unit first.
    monkeypatch.setattr(boards, "TASK_PAGE_UNITS", 10)
    first = web.get(f"/p/{PLAN}/t/t01").text
    pages = -(-n // 10)
    assert first.count("<tr><td><a href") == 10 and f"第 1/{pages} 页" in first
    assert re.search(r"<tr><td><a href[^>]*>[^<]*</a></td><td>牵头</td>", first)
    rest = [web.get(f"/p/{PLAN}/t/t01", params={"page": p}).text for p in range(2, pages + 1)]
    assert sum(p.count("<tr><td><a href") for p in [first, *rest]) == n
    assert "下一页" not in rest[-1] and "上一页" in rest[-1]
    # An unknown unit is a page that says so, not an error.
    unknown = web.get(f"/p/{PLAN}", params={"unit": "不存在的单位"})
    assert unknown.status_code == 200 and "单位名录中没有" in unknown.text


def test_two_checks_on_one_day_ask_for_one_round_of_progress() -> None:
    """A monthly check's December and the year-end report fall on 12-31: a standing task
    has one progress round that day, not two identical rows (walk-through of seed 004)."""
    from plans.compile import compile_plan
    from plans.model import PlanSpec
    from plans.workdays import default_calendar
    from tests.conftest import zhongshan_directory

    plan = PlanSpec.model_validate(
        {
            "id": "t-2021",
            "title": "测试",
            "issuer": "中山市人民政府办公室",
            "issued": "2021-07-05",
            "year": 2021,
            "coordinator": "市政府办公室",
            "jurisdiction": "中山市",
            "tasks": [{"id": "t01", "text": "持续推进", "units": ["市司法局"], "due": ["ongoing"]}],
            "checkpoints": [
                {
                    "id": "cp-m",
                    "kind": "check",
                    "title": "每月检查",
                    "text": "每月检查",
                    "due": ["monthly:end"],
                    "units": [],
                },
                {
                    "id": "cp-r",
                    "kind": "report",
                    "title": "年度总结",
                    "text": "12月31日前报送总结",
                    "due": ["2021-12-31"],
                    "units": ["市司法局"],
                },
            ],
        }
    )
    compiled = compile_plan(plan, zhongshan_directory(), default_calendar())
    [task] = [i for i in compiled.items if i.key == "t01"]
    days = [o.due_date for o in task.occurrences]
    assert (
        days
        and len(days) == len(set(days))
        and days.count(__import__("datetime").date(2021, 12, 31)) == 1
    )
