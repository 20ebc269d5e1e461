"""签收: a unit acknowledges its 督办单 on its page; opening the page records 已阅; the
board and the 台账 show who acknowledged what and when; a plan's policy chases a 督办单
nobody acknowledged within N working hours with a message to the unit's 分管领导."""

from __future__ import annotations

import email
import email.policy
import io
import re
from pathlib import Path

import pendulum
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from duban.cli import app
from ledger.db import open_ledger, transaction
from ledger.models import Document, Milestone, Notification, Unit
from ledger.users import add_user
from plans.policy import Acknowledge, Policy
from plans.workdays import default_calendar
from tests.conftest import PLAN_001, UNITS_ZS, at, cli
from tests.test_board import PASSWORD, signed_in
from web import create_app
from web.pages import offset_clock, unit_csrf

PLAN = "zhongshan-2021-zwgk"


def load(tmp_path: Path, policy: str) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN_001.read_text(encoding="utf-8").replace(
            "coordinator: 市政府办公室\n", f"coordinator: 市政府办公室\npolicy:\n{policy}", 1
        ),
        encoding="utf-8",
    )
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "zhongshan.csv").write_bytes(UNITS_ZS.read_bytes())
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(plan))


def token(unit: str) -> str:
    found = re.search(r"/u/([A-Za-z0-9]{12})", cli("links", "issue", unit, "--plan", PLAN))
    assert found
    return found.group(1)


def test_working_hours_skip_nights_weekends_and_holidays() -> None:
    cal = default_calendar()
    rule = Acknowledge(within_work_hours=8)
    tz = "Asia/Shanghai"
    # Thursday 09:00 + 8 office hours (08:30–17:30) → 17:00 the same day
    assert rule.chase_at("duban", pendulum.datetime(2021, 7, 22, 9, tz=tz), cal) == (
        pendulum.datetime(2021, 7, 22, 17, tz=tz)
    )
    # Friday 16:30: one hour that day, seven on Monday → Monday 15:30
    assert rule.chase_at("duban", pendulum.datetime(2021, 7, 23, 16, 30, tz=tz), cal) == (
        pendulum.datetime(2021, 7, 26, 15, 30, tz=tz)
    )
    # issued in the evening before the National Day holiday (10-01..07 off; 09-26 and
    # 10-09, Sunday and Saturday, worked): the hours start on 10-08
    assert rule.chase_at("duban", pendulum.datetime(2021, 9, 30, 19, tz=tz), cal) == (
        pendulum.datetime(2021, 10, 8, 16, 30, tz=tz)
    )
    assert rule.chase_at("cuiban", pendulum.datetime(2021, 7, 22, 9, tz=tz), cal) is None
    # the plan file says it in the coordinators' words
    p = Policy.model_validate(
        {
            "acknowledge": {
                "within_work_hours": 4,
                "documents": ["催办单", "督办单"],
                "to": ["主要负责人"],
            }
        }
    )
    assert p.acknowledge and p.acknowledge.documents == ["cuiban", "duban"]
    assert p.acknowledge.to == ["head"]


def test_a_unit_acknowledges_its_duban_and_the_late_ones_are_chased(
    database_url: str, tmp_path: Path, duban_home: Path
) -> None:
    load(tmp_path, "  acknowledge: {within_work_hours: 8, to: [分管领导]}\n")
    cli("sweep", "--at", "2021-07-20T09:00")  # 催办单 for the 55 units without a 备案
    assert "催办单/督办单 55 份" in cli("sweep", "--at", "2021-07-22T09:00")  # 督办单
    ledger = open_ledger(database_url)
    with transaction(ledger) as s:
        chase = s.scalars(
            select(Document.ack_due_at).where(Document.kind == "duban").distinct()
        ).all()
        assert chase == [at("2021-07-22T17:00")]  # 8 office hours from 09:00
        assert s.scalar(select(func.count()).where(Document.ack_due_at.is_not(None))) == 55
    app = create_app(ledger, clock=offset_clock(at("2021-07-22T10:00")))
    sifa = token("司法局")
    from fastapi.testclient import TestClient

    unit = TestClient(app)
    assert unit.head(f"/u/{sifa}").status_code == 200  # a link checker or a preview
    with transaction(ledger) as s:
        assert s.scalar(select(func.count()).where(Document.read_at.is_not(None))) == 0
    page = unit.get(f"/u/{sifa}")
    assert "催办单/督办单" in page.text and "2 份未签收" in page.text  # its 催办单 and 督办单
    assert "请于 2021-07-22 17:00 前签收" in page.text  # the 督办单's; the 催办单 is not chased
    assert "2021-07-22 09:00" in page.text  # issued at the sweep's moment
    number = re.search(r"督办〔2021〕\d+号", page.text)
    assert number, page.text
    with transaction(ledger) as s:  # 已阅, when the page was opened
        read = s.execute(
            select(Document.id, Document.read_at)
            .join(Milestone, Milestone.id == Document.milestone_id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == "市司法局", Document.kind == "duban")
        ).one()
        doc_id = read.id
        assert read.read_at is not None
        other = s.scalar(
            select(Document.id)
            .join(Milestone, Milestone.id == Document.milestone_id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == "神湾镇", Document.kind == "duban")
        )
    sign = {"csrf": unit_csrf(sifa), "document": str(doc_id)}
    r = unit.post(f"/u/{sifa}/sign", data=sign | {"person": "  "})
    assert r.status_code == 400 and "请填写签收人姓名" in r.text
    r = unit.post(f"/u/{sifa}/sign", data=sign | {"document": str(other), "person": "李明"})
    assert r.status_code == 400 and "没有这份文书" in r.text  # another unit's document
    r = unit.post(f"/u/{sifa}/sign", data=sign | {"person": "李明"}, follow_redirects=False)
    assert r.status_code == 303
    page = unit.get(r.headers["location"])
    assert "已签收。" in page.text and "李明 2021-07-22 10:0" in page.text
    assert "1 份未签收" in page.text  # the 催办单 is still to be acknowledged
    again = unit.post(f"/u/{sifa}/sign", data=sign | {"person": "王五"})
    assert again.status_code == 400 and "由 李明 签收，无需重复签收" in again.text

    # the coordinator's list and the board
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
    office, _ = signed_in(app, "王科长")
    assert "催办单/督办单（未签收 109）" in office.get(f"/p/{PLAN}").text
    listing = office.get(f"/p/{PLAN}/documents?unsigned=1").text
    assert "神湾镇" in listing and number.group(0) not in listing
    assert "2021-07-22 17:00 前未签收将发签收催办" in listing
    one = office.get(f"/p/{PLAN}/documents", params={"unit": "神湾镇"}).text
    assert "共 2 份" in one and "市司法局" not in one  # its 督办单, then its 催办单
    assert one.index("督办〔2021〕") < one.index("催办〔2021〕")
    listing = office.get(f"/p/{PLAN}/documents").text
    assert re.search(r"市司法局.*?已签收<br><small>李明 2021-07-22 10:0", listing, re.S)
    sheet = load_workbook(io.BytesIO(office.get(f"/p/{PLAN}/export.xlsx").content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    col = rows[1].index("签收时间")
    signed = {r[4]: r[col] for r in rows[2:] if r[col]}
    assert re.fullmatch(
        r"催办〔2021〕\d+号 未签收；督办〔2021〕\d+号 2021-07-22 10:0\d 李明", signed["市司法局"]
    )
    assert signed["神湾镇"].endswith("号 未签收")

    # 07-23 09:00: the 54 not acknowledged by 07-22 17:00 are chased, once, to the leader
    out = cli("sweep", "--at", "2021-07-23T09:00")
    assert "54 份催办单/督办单超过签收时限未签收，已发签收催办" in out
    assert "签收催办" not in cli("sweep", "--at", "2021-07-23T10:00")
    with transaction(ledger) as s:
        signs = s.scalars(select(Notification).where(Notification.kind == "sign")).all()
        leaders = s.scalar(
            select(func.count(func.distinct(Notification.unit_id))).where(
                Notification.kind == "sign"
            )
        )
        assert leaders == 54 and all(n.context["role"] == "leader" for n in signs)
        assert not [n for n in signs if n.context["unit"] == "市司法局"]
    cli("dispatch", "--at", "2021-07-23T09:01")
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in (duban_home / "outbox").rglob("*.eml")
    ]
    chased = [m for m in mails if m["Subject"].startswith("【签收催办】")]
    assert chased, [m["Subject"] for m in mails]
    text = chased[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "督办〔2021〕" in text and "已超过 8 个工作小时仍未签收" in text
    assert "/u/" in text  # the unit's page, where 签收 is done


def test_a_task_reported_before_the_chase_is_not_chased(database_url: str, tmp_path: Path) -> None:
    load(tmp_path, "  acknowledge: {within_work_hours: 16}\n")
    cli("sweep", "--at", "2021-07-20T09:00")
    cli("sweep", "--at", "2021-07-22T09:00")
    # 市司法局 reports before the chase: its 督办单 is moot, nobody is chased for it
    cli(
        "report", PLAN, "--unit", "司法局", "--checkpoint", "cp-worklist",
        "--text", "已备案", "--at", "2021-07-22T15:00",
    )  # fmt: skip
    out = cli("sweep", "--at", "2021-07-26T09:00")  # 16 office hours: Fri 16:00
    assert "54 份催办单/督办单超过签收时限未签收" in out
    ledger = open_ledger(database_url)
    with transaction(ledger) as s:
        assert s.scalar(select(func.count()).where(Document.ack_due_at.is_not(None))) == 0
        units = s.scalars(
            select(Notification.context["unit"].as_string()).where(Notification.kind == "sign")
        ).all()
        assert "市司法局" not in units and len(set(units)) == 54
        shenwan = s.scalar(
            select(Document.context["doc_no_text"].as_string())
            .join(Milestone, Milestone.id == Document.milestone_id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == "神湾镇", Document.kind == "duban")
        )
    # a 签收 given by telephone, recorded by the coordinator; listed as the board lists it
    assert shenwan and "共 110 份，未签收 110 份" in cli("documents", PLAN)
    early = CliRunner().invoke(app, ["sign", PLAN, shenwan, "--by", "陈红", "--at", "2021-07-21"])
    assert (
        early.exit_code != 0
        and "早于" in early.output
        and "的下发时间 2021-07-22 09:00" in early.output
    )
    typed = shenwan.replace("〔", "（").replace("〕", "）")  # as a keyboard types it
    out = cli("sign", PLAN, typed, "--by", "陈红", "--at", "2021-07-26T10:30")
    assert f"{shenwan}（神湾镇）已登记签收：陈红 2021-07-26 10:30" in out
    listing = cli("documents", PLAN, "--unsigned")
    assert "未签收 109 份" in listing and shenwan not in listing
    again = CliRunner().invoke(app, ["sign", PLAN, shenwan, "--by", "王五"])
    assert again.exit_code != 0 and "由 陈红 签收，无需重复签收" in again.output
    wrong = CliRunner().invoke(app, ["sign", PLAN, "督办〔2021〕999号", "--by", "王五"])
    assert wrong.exit_code != 0 and "没有文号为 督办〔2021〕999号 的催办单/督办单" in wrong.output
