"""催办单, 督办单 and 通报: numbered once per milestone and step, graded, in .md and .docx."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from docx import Document as Docx
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from ledger.db import open_ledger, transaction
from ledger.models import Document, Item, Notification, Report
from tests.conftest import PLAN_001, UNITS_ZS, cli

runner = CliRunner()
PLAN = "zhongshan-2021-zwgk"


def test_documents_follow_the_ladder(database_url: str, duban_home: Path) -> None:
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    # 市司法局 reports the filing early, is returned for 整改 with a deadline of 07-21.
    cli(
        "report",
        PLAN,
        "--unit",
        "司法局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "计划",
        "--at",
        "2021-07-13T10:00",
    )
    with transaction(open_ledger(database_url)) as s:
        rid = s.scalar(select(Report.id))
    cli(
        "review",
        str(rid),
        "--return",
        "--comment",
        "缺少时间表",
        "--due",
        "2021-07-21",
        "--at",
        "2021-07-14T10:00",
    )
    assert "催办单/督办单 54 份" in cli("sweep", "--at", "2021-07-20T09:00")  # 催办, the 54
    # 07-22: the 54 get 督办 (yellow); 市司法局's 整改 deadline passed on 07-21, so it
    # gets its 催办单, one grade up: yellow.
    assert "催办单/督办单 55 份" in cli("sweep", "--at", "2021-07-22T09:00")
    assert "处理 0 个节点，写入 0 条通知" in cli("sweep", "--at", "2021-07-22T09:00")  # once
    # 07-26: 通报 for the 54; 市司法局's 整改 ladder (due 07-21) reaches 督办: red.
    out = cli("sweep", "--at", "2021-07-26T09:00")
    assert "催办单/督办单 1 份" in out and "通报〔2021〕1号" in out
    with transaction(open_ledger(database_url)) as s:
        counts = dict(s.execute(select(Document.kind, func.count()).group_by(Document.kind)).all())
        grades = dict(
            s.execute(
                select(Document.grade, func.count())
                .where(Document.kind != "circular")
                .group_by(Document.grade)
            ).all()
        )
        numbers = s.scalars(
            select(Document.number).where(Document.kind == "cuiban").order_by(Document.number)
        ).all()
        # the default policy records 签收 but chases no unacknowledged document
        assert not s.scalar(select(func.count()).where(Document.ack_due_at.is_not(None)))
        assert not s.scalar(select(func.count()).where(Notification.kind == "sign"))
    assert counts == {"cuiban": 55, "duban": 55, "circular": 1}
    assert grades == {"blue": 54, "yellow": 55, "red": 1}
    with transaction(open_ledger(database_url)) as s:
        sifa = s.execute(
            select(Document.kind, Document.grade)
            .where(Document.title.contains("市司法局"))
            .order_by(Document.id)
        ).all()
    assert sifa == [("cuiban", "yellow"), ("duban", "red")]
    assert numbers == list(range(1, 56))
    folder = duban_home / "documents" / PLAN
    # Filed as an office finds them: number, kind and unit.
    md = next(folder.glob("督办〔2021〕1号-*.md")).read_text(encoding="utf-8")
    assert md.startswith("# 中山市人民政府办公室") and "## 黄色督办单" in md
    assert "督办〔2021〕1号" in md and "cp-worklist" not in md
    assert "报送具体工作计划、措施备案" in md and "2021年7月19日（星期一）" in md
    assert "将于2021年7月26日进入“通报”程序" in md
    # printed in Chinese punctuation; the plan (and the ledger) keep the source as written
    assert "报市政府办公室（政务公开科）备案。" in md and "(政务公开科)" not in md
    with transaction(open_ledger(database_url)) as s:
        assert "(政务公开科)" in s.scalar(select(Item.text).where(Item.key == "cp-worklist"))
    assert md.rstrip().endswith("中山市人民政府办公室\n\n2021年7月22日")
    assert len(list(folder.glob("督办〔2021〕*号-市发展改革局.docx"))) == 1
    assert not list(folder.glob("2021-*"))
    circular = Docx(str(folder / "通报〔2021〕1号.docx"))
    texts = [p.text for p in circular.paragraphs]
    # the 通报 names the office to report to (the plan's coordinator), not 协调单位
    assert any("并将整改情况报送市政府办公室。" in t for t in texts)
    assert not any("协调单位" in t for t in texts)
    assert texts[0] == "中山市人民政府办公室" and "通报〔2021〕1号" in texts
    assert "关于《中山市2021年政务公开工作要点分工方案》逾期未完成事项的通报" in texts
    assert texts[-2:] == ["中山市人民政府办公室", "2021年7月26日"]
    rows = circular.tables[0].rows
    assert len(rows) == 1 + 54  # header + every unit still late
    assert rows[0].cells[0].text == "单位"
    # units as the directory lists them (市直各部门, then the 镇街), not by code point
    directory = [ln.split(",")[0] for ln in UNITS_ZS.read_text(encoding="utf-8-sig").splitlines()]
    listed = [r.cells[0].text for r in rows[1:]]
    assert listed == [n for n in directory if n in listed] and listed != sorted(listed)
    status = [
        ln.split("│")[1].strip()
        for ln in cli("status", "--plan", PLAN, "--at", "2021-07-26").splitlines()
        if ln.startswith("│")
    ]
    assert status == [n for n in directory if n in status] and len(status) > 50
    sample = next(r for r in rows if r.cells[0].text == "神湾镇")
    assert sample.cells[1].text == "报送具体工作计划、措施备案"  # the name, never an id
    assert [c.text for c in sample.cells[2:4]] == ["2021-07-19", "5"]  # 07-20..07-26: 5 wd
    assert "催办〔2021〕" in sample.cells[4].text and "督办〔2021〕" in sample.cells[4].text


def test_a_circular_issued_again_keeps_its_number(database_url: str) -> None:
    """The same list circulated twice is one 通报; numbers run by the plan's year."""
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    for day in ("2021-07-20", "2021-07-22", "2021-07-26"):
        cli("sweep", "--at", f"{day}T09:00")
    first = cli("circular", PLAN, "--at", "2021-07-27")
    assert "通报〔2021〕1号" in first and "相同，未重新编号" in first
    cli(
        "report",
        PLAN,
        "--unit",
        "神湾镇",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "已报",
        "--at",
        "2021-07-27T10:00",
    )
    # Another list: a new number, in the plan's year's series even when issued in 2026.
    assert "已生成通报 通报〔2021〕2号" in cli("circular", PLAN)
    with transaction(open_ledger(database_url)) as s:
        assert s.scalars(
            select(Document.number).where(Document.kind == "circular").order_by(Document.number)
        ).all() == [1, 2]


def test_a_circular_lists_only_measures_really_taken(database_url: str, duban_home: Path) -> None:
    """The sweep was down from 07-19: on 07-26 it skips 催办 and 督办 and takes 通报. The
    通报 does not claim 经催办、督办 and says so in its 已采取措施 column."""
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    cli("sweep", "--at", "2021-07-26T09:00")
    md = (duban_home / "documents" / PLAN / "通报〔2021〕1号.md").read_text(encoding="utf-8")
    assert "经催办、督办" not in md
    assert "未发催办单、督办单" in md


def test_circular_on_demand_says_when_there_is_nothing(database_url: str) -> None:
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    assert "没有需要通报的事项" in cli("circular", PLAN, "--at", "2021-07-20T10:00")


def test_user_text_is_inert_in_messages_and_documents(
    database_url: str, duban_home: Path, tmp_path: Path
) -> None:
    """A review comment with a markdown link reaches WeCom as plain text; a plan title with
    <script> is escaped in every Markdown document and shown as typed in Word; a 整改通知
    merged into a digest keeps its 审核意见."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN_001.read_text(encoding="utf-8").replace(
            "title: 中山市2021年政务公开工作要点分工方案",
            "title: 工作要点<script>alert(1)</script>",
            1,
        ),
        encoding="utf-8",
    )
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(plan))
    # 市发展改革局's 经办人 reads notices in a WeCom group (wecom_bot in the directory).
    cli("sweep", "--at", "2021-07-12T09:00")
    cli(
        "report",
        PLAN,
        "--unit",
        "发展改革局",
        "--checkpoint",
        "cp-worklist",
        "--text",
        "已报",
        "--at",
        "2021-07-12T10:00",
    )
    with transaction(open_ledger(database_url)) as s:
        rid = s.scalar(select(Report.id))
    cli(
        "review",
        str(rid),
        "--return",
        "--due",
        "2021-07-30",
        "--comment",
        "请补充[钓鱼](http://evil.example/x)",
        "--at",
        "2021-07-12T10:30",
    )
    cli("dispatch", "--at", "2021-07-12T10:31")
    bots = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (duban_home / "outbox" / "wecom_bot").glob("*.json")
    ]
    rectify = next(b for b in bots if "整改" in b["body"])
    assert "[钓鱼](" not in rectify["body"] and "［钓鱼］" in rectify["body"]
    assert rectify["digest"] and "审核意见：请补充［钓鱼］" in rectify["body"]
    for day in ("2021-07-20", "2021-07-22"):
        cli("sweep", "--at", f"{day}T09:00")
    folder = duban_home / "documents" / PLAN
    md = next(folder.glob("督办〔2021〕1号-*.md")).read_text(encoding="utf-8")
    assert "<script>" not in md and "&lt;script&gt;" in md
    word = Docx(str(next(folder.glob("督办〔2021〕1号-*.docx"))))
    assert any("工作要点<script>alert(1)</script>" in p.text for p in word.paragraphs)


def test_documents_render_in_batches_and_say_so(database_url: str, duban_home: Path) -> None:
    """A render killed half-way leaves rows without files; the next run renders them in
    bounded batches, each outside the ledger transaction, and says how far it is."""
    from documents.render import render_pending

    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    cli("sweep", "--at", "2021-07-20T09:00")
    factory = open_ledger(database_url)
    with transaction(factory) as s:  # as if the render had been killed
        s.execute(update(Document).values(path_md=None, path_docx=None))
    heard: list[tuple[int, int]] = []
    r = render_pending(
        factory,
        duban_home / "documents",
        batch=20,
        progress=lambda done, total: heard.append((done, total)),
    )
    assert r.documents == 55 and heard == [(20, 55), (40, 55), (55, 55)]
    with transaction(factory) as s:
        assert s.scalar(select(func.count()).where(Document.path_docx.is_(None))) == 0
    with transaction(factory) as s:
        s.execute(update(Document).where(Document.number > 50).values(path_md=None, path_docx=None))
    out = cli("sweep", "--at", "2021-07-20T09:00")
    assert "处理 0 个节点" in out and "生成催办单/督办单/通报文件：5/5" in out


def test_a_loopback_link_is_said_loudly(
    database_url: str, duban_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without DUBAN_PUBLIC_URL the QR codes and links open only on this machine: the sweep
    says so, and the dispatcher alerts the operator (once a day) before sending."""
    from ledger import config
    from tests.conftest import at
    from usecases.dispatch import dispatch_now

    monkeypatch.delenv("DUBAN_PUBLIC_URL", raising=False)
    config.home().mkdir(parents=True, exist_ok=True)
    (config.home() / "channels.yaml").write_text(
        "operators: ['email:ops@zs.example.cn']\n", encoding="utf-8"
    )
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    out = cli("sweep", "--at", "2021-07-20T09:00")
    assert "http://127.0.0.1:8780，只有本机能打开" in out and "DUBAN_PUBLIC_URL" in out
    assert "只有本机能打开" in cli("dispatch", "--at", "2021-07-20T09:01")
    dispatch_now(at("2021-07-20T09:02"))
    with transaction(open_ledger(database_url)) as s:
        alerts = s.scalars(
            select(Notification).where(Notification.idempotency_key.like("loopback/%"))
        ).all()
        assert [(a.recipient, a.status) for a in alerts] == [("ops@zs.example.cn", "sent")]
    files = list((duban_home / "outbox").rglob("*ops@*"))
    assert len(files) == 1
    mail = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert mail["Subject"] == "【运维告警】单位链接只有本机能打开"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "http://127.0.0.1:8780，只有本机能打开" in text and "DUBAN_PUBLIC_URL" in text
    monkeypatch.setenv("DUBAN_PUBLIC_URL", "https://duban.zs.example.cn")
    assert "只有本机能打开" not in cli("sweep", "--at", "2021-07-22T09:00")
