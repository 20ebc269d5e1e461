"""The supervise sweep on the reference plan, counted by hand from plan and calendar.

The work-plan filing checkpoint of 中府办函〔2021〕91号 is due 10 working days
after Monday 2021-07-05, i.e. Monday 2021-07-19. With the default policy its
ladder (09:00 Shanghai, working days) is:

    reminder-5 07-12 (Mon) · reminder-2 07-15 (Thu) · reminder-1 07-16 (Fri)
    due 07-19 (Mon) · 催办 07-20 (+1) · 督办 07-22 (+3) · 通报 07-26 (+5)

55 units owe it (every unit holding a task but the coordinator). Each 经办人 of
the sample directory has a mobile and an email (2 notices), except that for 市发展改革局 and
市教育体育局 the directory names SMS and a WeCom group bot: also 2. So each
contact rung writes 55 × 2 = 110 notices. 督办 goes to the 分管领导 (no own
channels: SMS + email) = 110; 通报 goes to the coordinator's 经办人 (SMS + WeCom
bot) and to each unit's 主要负责人 (SMS + email) = 55 × 4 = 220.
Nothing else in the plan has a rung before 08-09 (publication reminder-5).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from duban.cli import app
from ledger import config
from ledger.db import transaction
from ledger.models import Assignment, Document, Item, Milestone, Notification, Report, Unit
from ledger.supervise import SweepResult, sweep_all
from notifications.render import Templates
from tests.conftest import PLAN_001, at, cli

runner = CliRunner()
PLAN = "zhongshan-2021-zwgk"


def notices(factory: sessionmaker[Session], **where: object) -> int:
    with transaction(factory) as s:
        q = select(func.count()).select_from(Notification)
        for k, v in where.items():
            q = q.where(getattr(Notification, k) == v)
        return s.scalar(q) or 0


def sweep(factory: sessionmaker[Session], when: str) -> SweepResult:
    return sweep_all(factory, at(when), config.calendar())


def test_filing_ladder_sends_exactly_the_counted_notices(ledger: sessionmaker[Session]) -> None:
    assert sweep(ledger, "2021-07-12T08:59").notices == 0  # before 09:00 nothing is due
    expected = [
        ("2021-07-12T09:00", "reminder-5", 110),
        ("2021-07-15T09:00", "reminder-2", 110),
        ("2021-07-16T09:00", "reminder-1", 110),
        ("2021-07-19T09:00", "due", 110),
        ("2021-07-20T09:00", "cuiban", 110),
        ("2021-07-22T09:00", "duban", 110),
        ("2021-07-26T09:00", "tongbao", 220),
    ]
    for when, rung, count in expected:
        r = sweep(ledger, when)
        assert (r.milestones, dict(r.by_rung), r.notices) == (55, {rung: 55}, count), when
        assert sweep(ledger, when).notices == 0  # running it twice sends nothing new
    assert notices(ledger) == 110 * 6 + 220
    assert notices(ledger, step="duban", recipient="13800000005") == 1  # 发改局 分管领导
    # After 通报 the filing milestones leave the sweep; 08-09 is the publication's reminder.
    assert sweep(ledger, "2021-08-06T09:00").milestones == 0
    assert dict(sweep(ledger, "2021-08-09T09:00").by_rung) == {"reminder-5": 55}


def test_small_batches_act_as_one(ledger: sessionmaker[Session]) -> None:
    """A sweep works in batches, one transaction each, reading each unit once per sweep:
    in batches of 7 the filing ladder writes the same notices and the same numbered
    催办单/督办单 as in one batch, each once."""
    for when, rung in (
        ("2021-07-12T09:00", "reminder-5"),
        ("2021-07-20T09:00", "cuiban"),
        ("2021-07-22T09:00", "duban"),
    ):
        r = sweep_all(ledger, at(when), config.calendar(), batch=7)
        assert (r.milestones, dict(r.by_rung), r.notices) == (55, {rung: 55}, 110), when
    with transaction(ledger) as s:
        numbers = sorted(s.execute(select(Document.kind, Document.number)).tuples().all())
        steps = set(s.scalars(select(Milestone.step).where(Milestone.step.is_not(None))))
    assert numbers == [("cuiban", n) for n in range(1, 56)] + [("duban", n) for n in range(1, 56)]
    assert "duban" in steps and notices(ledger) == 330


def test_a_report_stops_escalation_and_a_return_restarts_it(ledger: sessionmaker[Session]) -> None:
    sweep(ledger, "2021-07-12T09:00")
    cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "已报备",
        "--at",
        "2021-07-13T10:00",
    )
    # 54 units go on; 市司法局 is not reminded again.
    assert sweep(ledger, "2021-07-15T09:00").notices == 108
    with transaction(ledger) as s:
        report_id = s.scalar(select(Report.id))
    out = cli(
        "review",
        str(report_id),
        "--return",
        "--comment",
        "缺少时间安排",
        "--due",
        "2021-07-23",
        "--at",
        "2021-07-15T16:00",
    )
    assert "退回整改" in out
    # A 整改通知 to the 经办人 at once, on both channels.
    assert notices(ledger, step="rectify") == 2
    # The new deadline (Fri 07-23) starts a new ladder whose reminder-5 is 07-16, the
    # same morning the other 54 units get reminder-1 of the original deadline.
    r = sweep(ledger, "2021-07-16T09:00")
    assert dict(r.by_rung) == {"reminder-1": 54, "reminder-5": 1}
    cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "已补充",
        "--at",
        "2021-07-20T10:00",
    )
    with transaction(ledger) as s:
        second = s.scalar(select(Report.id).order_by(Report.id.desc()))
    cli("review", str(second), "--accept", "--at", "2021-07-20T11:00")
    with transaction(ledger) as s:
        unit = s.scalar(select(Unit).where(Unit.name == "市司法局"))
        states = s.execute(
            select(Milestone.state, Milestone.cycle).where(
                Milestone.unit_id == unit.id, Milestone.occurrence == "+10wd@issued"
            )
        ).all()
    assert states == [("done", 1)]
    assert sweep(ledger, "2021-07-22T09:00").by_rung == {"duban": 54}


def test_a_missing_contact_is_reported_not_silently_dropped(ledger: sessionmaker[Session]) -> None:
    with transaction(ledger) as s:
        unit = s.scalar(select(Unit).where(Unit.name == "神湾镇"))
        unit.contacts = [c for c in unit.contacts if c.role != "contact"]
    r = sweep(ledger, "2021-07-12T09:00")
    assert r.notices == 108 and "神湾镇（经办人）" in r.no_recipient
    out = cli("sweep", "--at", "2021-07-15T09:00")
    assert "神湾镇" in out and "缺少联系人" in out


def test_a_late_first_sweep_takes_only_the_latest_rung(ledger: sessionmaker[Session]) -> None:
    r = sweep(ledger, "2021-07-21T09:00")  # the sweep never ran before: 催办 only
    assert dict(r.by_rung) == {"cuiban": 55}
    # Of the four earlier rungs, 07-16 and 07-19 were superseded; 07-12 and 07-15 lie more
    # than 3 working days back (before 07-16): stale, never sent.
    assert r.skipped == 55 * 2 and r.stale == 55 * 2 and r.notices == 110


def test_a_sweep_years_late_sends_nothing_stale(ledger: sessionmaker[Session]) -> None:
    """A bare `duban sweep` on the 2021 plan today: every rung is years old. It records
    them as stale and tells the operator, instead of sending a year of escalations."""
    out = cli("sweep", "--at", "2026-11-25T09:00")
    assert "写入 0 条通知" in out and "通报" not in out.split("。")[0]
    assert "个步骤已过时" in out and "没有可发的步骤" in out
    with transaction(ledger) as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 0
        assert s.scalar(select(func.count()).select_from(Document)) == 0
        assert (
            s.scalar(
                select(func.count())
                .select_from(Milestone)
                .where(Milestone.next_action_at.is_not(None))
            )
            == 0
        )
    assert "没有需要通报的事项" in cli("circular", PLAN, "--at", "2026-11-25")


def test_an_extension_request_is_approved_or_refused_with_a_reply(
    ledger: sessionmaker[Session],
) -> None:
    sweep(ledger, "2021-07-12T09:00")
    out = cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--extension",
        "2021-07-30",
        "--text",
        "机构调整，需重新报批",
        "--at",
        "2021-07-13T10:00",
    )
    assert "申请延至 2021-07-30" in out
    # Asking is not yet granted: all 55 units are reminded as before.
    assert sweep(ledger, "2021-07-15T09:00").notices == 110
    with transaction(ledger) as s:
        ext = s.scalar(select(Report.id).where(Report.kind == "extension"))
    assert "同意延期" in cli("review", str(ext), "--accept", "--at", "2021-07-15T16:00")
    assert notices(ledger, kind="extension") == 2  # 延期批复 to the 经办人, SMS and email
    # The new deadline (Fri 07-30) starts its ladder on 07-23; the others go on.
    assert dict(sweep(ledger, "2021-07-16T09:00").by_rung) == {"reminder-1": 54}
    # 07-23: 市司法局's first reminder; the others, unswept since 07-16, catch up to 督办.
    assert dict(sweep(ledger, "2021-07-23T09:00").by_rung) == {"reminder-5": 1, "duban": 54}
    cli(
        "report",
        PLAN,
        "--unit",
        "财政局",
        "--checkpoint",
        "cp-worklist",
        "--extension",
        "2021-08-30",
        "--text",
        "人手不足",
        "--at",
        "2021-07-16T10:00",
    )
    with transaction(ledger) as s:
        refused = s.scalar(
            select(Report.id).where(Report.kind == "extension").order_by(Report.id.desc())
        )
    assert "不同意延期" in cli(
        "review", str(refused), "--return", "--comment", "按期完成", "--at", "2021-07-16T11:00"
    )
    with transaction(ledger) as s:
        sms = [
            Templates().render("extension", n.context).sms
            for n in s.scalars(
                select(Notification).where(
                    Notification.kind == "extension", Notification.channel == "sms"
                )
            )
        ]
    assert any("“报送具体工作计划、措施备案”同意延期至2021-07-30" in b for b in sms)
    assert any("不同意延期，仍须于2021-07-19前完成" in b for b in sms)
    # Bad requests say why and record nothing.
    r = runner.invoke(
        app,
        [
            "report",
            PLAN,
            "--unit",
            "司法局",
            "--checkpoint",
            "cp-worklist",
            "--extension",
            "2021-07-20",
            "--text",
            "x",
        ],
    )
    assert r.exit_code == 1 and "不晚于现有期限 2021-07-30" in r.output


def test_milestones_keep_the_policy_they_started_under(
    ledger: sessionmaker[Session], tmp_path: Path
) -> None:
    """A plan whose policy changes: milestones already in the ledger keep the stored
    snapshot they started under, new ones take the new policy, each policy is stored
    once however many milestones share it, and reloading stores nothing new."""
    from ledger.models import PolicySnapshot

    def policies() -> dict[str, list[int]]:
        """item key → the reminder days of each of its milestones' policies"""
        with transaction(ledger) as s:
            out: dict[str, list[int]] = {}
            for key, doc in s.execute(
                select(Item.key, PolicySnapshot.document)
                .join(Assignment, Assignment.item_id == Item.id)
                .join(Milestone, Milestone.assignment_id == Assignment.id)
                .join(PolicySnapshot, PolicySnapshot.id == Milestone.policy_id)
            ):
                out.setdefault(key, []).append(doc["reminders"])
            return out

    before = policies()
    # Deadlines start under the plan's ladder, progress on standing tasks under its
    # progress ladder (one reminder 3 working days before the check).
    assert {tuple(r) for k, rs in before.items() for r in rs if k in ("t26", "cp-worklist")} == {
        (5, 2, 1)
    }
    assert {tuple(r) for r in before["t01"]} == {(3,)}
    edited = tmp_path / "zhongshan-2021.yaml"
    text = PLAN_001.read_text(encoding="utf-8").replace(
        "tasks:\n", "policy:\n  reminders: [3]\ntasks:\n", 1
    )
    text += (
        "- id: t99\n  title: 新增任务\n  text: 新增任务\n  lead: [司法局]\n  due: [2021-11-30]\n"
    )
    edited.write_text(text, encoding="utf-8")
    cli("plan", "load", str(edited))
    after = policies()
    assert after["t99"] == [[3]]
    assert {k: v for k, v in after.items() if k != "t99"} == before
    with transaction(ledger) as s:
        assert s.scalar(select(func.count()).select_from(PolicySnapshot)) == 3
    assert "无变化" in cli("plan", "load", str(edited))
    with transaction(ledger) as s:
        assert s.scalar(select(func.count()).select_from(PolicySnapshot)) == 3


def test_an_extension_into_a_year_the_calendar_does_not_know_is_said_loudly(
    ledger: sessionmaker[Session],
) -> None:
    """The plan's own deadlines are all in 2021; a deadline extended into 2027 (which
    chinese-calendar 1.11 does not know) must make ``status`` warn, as a plan for 2027
    would."""
    assert "【注意】" not in cli("status", "--at", "2021-07-14")
    cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--extension",
        "2027-01-29",
        "--text",
        "机构调整",
        "--at",
        "2021-07-13T10:00",
    )
    with transaction(ledger) as s:
        ext = s.scalar(select(Report.id).where(Report.kind == "extension"))
    cli("review", str(ext), "--accept", "--at", "2021-07-15T16:00")
    assert "【注意】2027 年的法定节假日和调休安排未知" in cli("status", "--at", "2021-07-16")


def test_a_granted_extension_survives_reloading_the_plan(
    ledger: sessionmaker[Session], tmp_path: Path
) -> None:
    """Reloading the plan (unchanged, or with another item's deadline edited) must not
    put an approved extension back to the plan's date."""
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
    cli("review", str(ext), "--accept", "--at", "2021-07-15T16:00")

    def due_of(unit: str, item: str) -> list[str]:
        with transaction(ledger) as s:
            return [
                str(d)
                for d in s.scalars(
                    select(Milestone.due_date)
                    .join(Assignment)
                    .join(Item)
                    .join(Unit, Milestone.unit_id == Unit.id)
                    .where(Unit.name == unit, Item.key == item)
                )
            ]

    assert due_of("市司法局", "cp-worklist") == ["2021-07-30"]
    assert "无变化" in cli("plan", "load", str(PLAN_001))
    assert due_of("市司法局", "cp-worklist") == ["2021-07-30"]
    edited = tmp_path / "zhongshan-2021.yaml"
    edited.write_text(
        PLAN_001.read_text(encoding="utf-8").replace(
            "due: [+30wd@issued]", "due: [+20wd@issued]", 1
        ),
        encoding="utf-8",
    )
    assert "调整时限节点 55" in cli("plan", "load", str(edited))
    assert due_of("市司法局", "cp-publish") == ["2021-08-02"]
    assert due_of("市司法局", "cp-worklist") == ["2021-07-30"]
    assert due_of("市财政局", "cp-worklist") == ["2021-07-19"]
