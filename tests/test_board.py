"""The coordinators' side of the web, and what it refuses: sign-in, the board's lights,
review, checks, notices, exports; viewers, forged forms, other units' ids, uploads."""

from __future__ import annotations

import datetime as dt
import io
import re
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger import config
from ledger.db import transaction
from ledger.models import AuditEvent, Milestone, Notification, Report, Unit
from ledger.users import add_user
from tests.conftest import at, cli
from web import create_app
from web.drafts import _names
from web.pages import offset_clock, unit_csrf

PLAN = "zhongshan-2021-zwgk"
PASSWORD = "correct horse 9"


def users(ledger: sessionmaker[Session]) -> None:
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
        add_user(s, "李查看", "viewer", PASSWORD, actor="test")


def signed_in(app: object, name: str) -> tuple[TestClient, str]:
    """A browser signed in as ``name``, and its CSRF token."""
    web = TestClient(app)  # type: ignore[arg-type]
    page = web.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = web.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    home = web.get("/")
    assert home.status_code == 200 and "计划" in home.text
    return web, re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)  # type: ignore[union-attr]


def milestone_of(ledger: sessionmaker[Session], unit: str) -> int:
    with transaction(ledger) as s:
        m = s.scalars(
            select(Milestone)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == unit, Milestone.state == "open")
            .order_by(Milestone.due_at)
        ).first()
        assert m is not None
        return m.id


def link(unit: str) -> str:
    return re.search(
        r"/u/([A-Za-z0-9]{12})",  # type: ignore[union-attr]
        cli("links", "issue", unit, "--plan", PLAN),
    ).group(1)


@pytest.fixture
def app(ledger: sessionmaker[Session]) -> object:
    users(ledger)
    cli("sweep", "--at", "2021-07-21T09:00")
    return create_app(ledger, clock=offset_clock(at("2021-07-21T10:00")), upload_mb=1)


def test_report_turns_the_light_and_review_closes_it(
    ledger: sessionmaker[Session], app: object
) -> None:
    anonymous = TestClient(app)  # type: ignore[arg-type]
    assert "督办系统登录" in anonymous.get("/").text  # the door, in Chinese, with 200
    assert anonymous.get(f"/p/{PLAN}", follow_redirects=False).status_code == 303
    web, csrf = signed_in(app, "王科长")
    mid = milestone_of(ledger, "市司法局")
    board = web.get(f"/p/{PLAN}", params={"unit": "市司法局"}).text
    assert f'class="light red" data-m="{mid}"' in board  # overdue on 7-21
    token = link("市司法局")
    unit = TestClient(app)  # type: ignore[arg-type]
    r = unit.post(
        f"/u/{token}/report",
        follow_redirects=False,
        data={"milestone": mid, "text": "已报备", "csrf": unit_csrf(token)},
        files=[("files", ("../../etc/备案 回执.pdf", b"%PDF-1.4 x", "application/pdf"))],
    )
    assert r.status_code == 303
    board = web.get(f"/p/{PLAN}", params={"unit": "市司法局"}).text
    assert f'class="light blue" data-m="{mid}"' in board
    queue = web.get(f"/p/{PLAN}/review").text
    assert "市司法局" in queue and "已报备" in queue and "备案 回执.pdf" in queue
    with transaction(ledger) as s:
        report = s.scalars(select(Report)).one()
        stored = report.files[0]
    # The ../ name is stored under a generated folder, inside the evidence folder.
    assert stored.startswith(f"{PLAN}/") and ".." not in stored
    assert (config.home() / "evidence" / stored).read_bytes() == b"%PDF-1.4 x"
    got = web.get(f"/files/{report.id}/0")
    assert got.content == b"%PDF-1.4 x" and "attachment" in got.headers["content-disposition"]
    r = web.post(
        f"/reviews/{report.id}",
        data={"decision": "accept", "comment": "同意销号", "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    board = web.get(f"/p/{PLAN}", params={"unit": "市司法局"}).text
    assert f'class="light green" data-m="{mid}"' in board
    with transaction(ledger) as s:
        assert s.get_one(Milestone, mid).state == "done"
        assert (
            "web:王科长"
            in s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "report.review")).all()
        )
    # The 台账 as the office prints it: that row now says 已销号 with the comment.
    xlsx = web.get(f"/p/{PLAN}/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert "台账" in str(rows[0][0])
    row = next(r for r in rows[2:] if r[4] == "市司法局" and r[7] == "已销号")
    assert row[12] == "同意销号" and row[11].startswith("已报备")


def test_a_viewer_changes_nothing_and_forms_need_their_token(
    ledger: sessionmaker[Session], app: object
) -> None:
    viewer, csrf = signed_in(app, "李查看")
    assert viewer.get(f"/p/{PLAN}").status_code == 200
    mid = milestone_of(ledger, "市司法局")
    token = link("市司法局")
    TestClient(app).post(
        f"/u/{token}/report",  # type: ignore[arg-type]
        data={"milestone": mid, "text": "x", "csrf": unit_csrf(token)},
    )
    with transaction(ledger) as s:
        rid = s.scalars(select(Report.id)).one()
    changing = [
        (f"/reviews/{rid}", {"decision": "accept"}),
        (f"/p/{PLAN}/check", {}),
        ("/notices/retry", {"ids": "1"}),
    ]
    for path, data in changing:
        assert viewer.post(path, data={**data, "csrf": csrf}).status_code == 403, path
    coordinator, _ = signed_in(app, "王科长")
    for path, data in changing:  # no token, or another session's token: refused
        assert coordinator.post(path, data=data).status_code == 403, path
        assert coordinator.post(path, data={**data, "csrf": csrf}).status_code == 403, path
    assert viewer.post("/logout", data={}).status_code == 403
    with transaction(ledger) as s:
        assert s.get_one(Milestone, mid).state == "reported"  # nothing was decided
    # A unit form without its token, or with another link's, is refused too.
    other = link("神湾镇")
    for bad in ("", unit_csrf(other)):
        r = TestClient(app).post(
            f"/u/{token}/report",  # type: ignore[arg-type]
            data={"milestone": mid, "text": "y", "csrf": bad},
        )
        assert r.status_code == 403
    # The login form itself needs its cookie's token.
    fresh = TestClient(app)  # type: ignore[arg-type]
    r = fresh.post("/login", data={"name": "王科长", "password": PASSWORD, "csrf": "guess"})
    assert r.status_code == 403


def test_a_unit_link_reaches_only_its_own_unit(ledger: sessionmaker[Session], app: object) -> None:
    sifa, shenwan = link("市司法局"), link("神湾镇")
    theirs = milestone_of(ledger, "神湾镇")
    web = TestClient(app)  # type: ignore[arg-type]
    for data in (
        {"milestone": theirs, "text": "冒名"},
        {"milestone": theirs, "text": "延期", "extension": "2021-12-01"},
    ):
        r = web.post(f"/u/{sifa}/report", data={**data, "csrf": unit_csrf(sifa)})
        assert r.status_code == 404
    # Coordinator pages and files are not opened by a unit link.
    assert web.get(f"/p/{PLAN}", follow_redirects=False).status_code == 303
    assert web.get("/files/1/0", follow_redirects=False).status_code == 303
    assert "神湾镇" not in web.get(f"/u/{sifa}").text
    with transaction(ledger) as s:
        assert s.scalars(select(Report)).all() == []
    assert web.get(f"/u/{shenwan}").status_code == 200


def test_refused_uploads_leave_nothing(ledger: sessionmaker[Session], app: object) -> None:
    token = link("市司法局")
    mid = milestone_of(ledger, "市司法局")
    web = TestClient(app)  # type: ignore[arg-type]
    evidence = config.home() / "evidence"
    for name, body in (
        ("大文件.pdf", b"x" * (1024 * 1024 + 1)),
        ("页面.html", b"<script>alert(1)</script>"),
        ("/etc/passwd", b"root"),
    ):
        r = web.post(
            f"/u/{token}/report",
            data={"milestone": mid, "text": "附件", "csrf": unit_csrf(token)},
            files=[("files", (name, body, "application/octet-stream"))],
        )
        assert r.status_code == 400 and ("超过上限" in r.text or "类型不能上传" in r.text), name
    assert not any(p.is_file() for p in evidence.rglob("*")) if evidence.exists() else True
    with transaction(ledger) as s:
        assert s.scalars(select(Report)).all() == []
        assert s.get_one(Milestone, mid).state == "open"


def test_wrong_passwords_lock_the_name(ledger: sessionmaker[Session], app: object) -> None:
    web = TestClient(app)  # type: ignore[arg-type]

    def attempt(password: str) -> int:
        page = web.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        return web.post(
            "/login",
            data={"name": "王科长", "password": password, "csrf": token},
            follow_redirects=False,
        ).status_code

    assert [attempt("wrong password") for _ in range(5)] == [401] * 5
    assert attempt(PASSWORD) == 401  # locked now, even with the right password
    with transaction(ledger) as s:
        assert "user.locked" in s.scalars(select(AuditEvent.action)).all()


def test_text_is_escaped_everywhere_it_is_shown(
    ledger: sessionmaker[Session], app: object, tmp_path: Path
) -> None:
    token = link("市司法局")
    mid = milestone_of(ledger, "市司法局")
    evil = '<img src=x onerror=alert(1)>=HYPERLINK("http://evil")'
    TestClient(app).post(
        f"/u/{token}/report",  # type: ignore[arg-type]
        data={"milestone": mid, "text": evil, "csrf": unit_csrf(token)},
    )
    web, csrf = signed_in(app, "王科长")
    review = web.get(f"/p/{PLAN}/review").text
    assert "<img src=x" not in review and "&lt;img src=x" in review
    assert "<img" not in web.get(f"/u/{token}").text
    with transaction(ledger) as s:
        rid = s.scalars(select(Report.id)).one()
    web.post(
        f"/reviews/{rid}",
        data={"decision": "return", "comment": "<b>补充</b>", "due": "2021-08-02", "csrf": csrf},
    )
    sheet = load_workbook(io.BytesIO(web.get(f"/p/{PLAN}/export.xlsx").content)).active
    texts = [c.value for r in sheet.iter_rows() for c in r if isinstance(c.value, str)]
    assert not any(t.startswith("=") for t in texts)  # no formula from a unit's words
    with transaction(ledger) as s:
        rectify = s.scalars(select(Notification).where(Notification.kind == "rectify")).first()
        assert rectify is not None
        assert rectify.context["comment"] == "<b>补充</b>"  # kept as typed; rendered inert
    page = web.get(f"/u/{token}").text  # the unit reads the comment, escaped
    assert "&lt;b&gt;补充&lt;/b&gt;" in page and "<b>补充" not in page


def test_ad_hoc_check_and_notices_page(ledger: sessionmaker[Session], app: object) -> None:
    web, csrf = signed_in(app, "王科长")
    r = web.post(f"/p/{PLAN}/check", data={"csrf": csrf, "units": ["市司法局", "神湾镇"]})
    assert r.status_code == 200 and "市司法局" in r.text and "下载检查报告" in r.text
    name = re.search(r'/checks/([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    doc = web.get(f"/p/{PLAN}/checks/{name}")
    assert doc.status_code == 200 and doc.content[:2] == b"PK"
    assert web.get(f"/p/{PLAN}/checks/..%2F..%2Fduban.db").status_code == 404
    cli("dispatch", "--at", "2021-07-21T11:00")
    page = web.get("/notices", params={"plan": PLAN})
    assert page.status_code == 200 and "已发送" in page.text and "市司法局" in page.text
    # Plain words (#23): the plan chosen by its title, channels named as people say them.
    assert "计划 id" not in page.text and f'<option value="{PLAN}" selected>' in page.text
    assert "<td>短信</td>" in page.text and "<td>sms</td>" not in page.text


def test_an_extension_asked_on_the_unit_page_is_decided_on_the_board(
    ledger: sessionmaker[Session], app: object
) -> None:
    token = link("市司法局")
    mid = milestone_of(ledger, "市司法局")
    unit = TestClient(app)  # type: ignore[arg-type]
    r = unit.post(
        f"/u/{token}/report",
        data={
            "milestone": mid,
            "text": "等待上级批复",
            "extension": "2021-08-10",
            "csrf": unit_csrf(token),
        },
    )
    assert r.status_code == 200 and "已收到延期申请" in r.text
    web, csrf = signed_in(app, "王科长")
    queue = web.get(f"/p/{PLAN}/review").text
    assert "延期申请" in queue and "申请延期至 2021-08-10" in queue
    with transaction(ledger) as s:
        rid = s.scalars(select(Report.id).where(Report.kind == "extension")).one()
    web.post(f"/reviews/{rid}", data={"decision": "accept", "comment": "同意", "csrf": csrf})
    with transaction(ledger) as s:
        assert str(s.get_one(Milestone, mid).due_date) == "2021-08-10"
    assert "同意延期：同意" in unit.get(f"/u/{token}").text


def test_many_failed_logins_from_one_address_wait(
    ledger: sessionmaker[Session], app: object
) -> None:
    web = TestClient(app)  # type: ignore[arg-type]
    codes = []
    for n in range(11):
        page = web.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        codes.append(
            web.post(
                "/login", data={"name": f"nobody{n}", "password": "x" * 12, "csrf": token}
            ).status_code
        )
    assert codes == [401] * 10 + [429]


def test_a_progress_report_is_accepted_from_the_queue(
    ledger: sessionmaker[Session], app: object
) -> None:
    """A report on work already closed has no deadline to close: it waits in the queue
    as progress, and the coordinator takes it from there."""
    token = link("市司法局")
    mid = milestone_of(ledger, "市司法局")
    unit = TestClient(app)  # type: ignore[arg-type]
    unit.post(
        f"/u/{token}/report", data={"milestone": mid, "text": "已备案", "csrf": unit_csrf(token)}
    )
    web, csrf = signed_in(app, "王科长")
    with transaction(ledger) as s:
        first = s.scalars(select(Report.id)).one()
    web.post(f"/reviews/{first}", data={"decision": "accept", "csrf": csrf})
    with transaction(ledger) as s:
        item = s.get_one(Milestone, mid).assignment.item.key
    cli("report", PLAN, "--unit", "市司法局", "--task", item, "--text", "补充了公开链接")
    with transaction(ledger) as s:
        progress = s.scalars(select(Report).where(Report.id != first)).one()
        assert progress.kind == "progress" and progress.milestone_id is None
        pid = progress.id
    assert "补充了公开链接" in web.get(f"/p/{PLAN}/review").text
    r = web.post(
        f"/reviews/{pid}", data={"decision": "accept", "csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and f"ok={pid}" in r.headers["location"]


def test_importing_a_notice_refuses_what_is_not_one_and_keeps_nothing(
    ledger: sessionmaker[Session], tmp_path: Path
) -> None:
    """The import page names the file and what to do; a refused notice leaves no draft;
    a viewer cannot import; a pasted notice becomes a draft like an uploaded one."""
    users(ledger)
    app = create_app(ledger)
    web, csrf = signed_in(app, "王科长")
    bad = web.post(
        "/import", data={"csrf": csrf}, files={"notice": ("通知.ofd", b"%OFD", "application/ofd")}
    )
    assert bad.status_code == 400 and "通知.ofd：只能导入 .docx、.doc、.wps、.pdf" in bad.text
    broken = web.post(
        "/import",
        data={"csrf": csrf},
        files={"notice": ("通知.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert broken.status_code == 400 and "不是可以读取的 PDF 文件" in broken.text
    empty = web.post("/import", data={"csrf": csrf, "text": "  "})
    assert empty.status_code == 400 and "请选择通知文件，或把通知全文粘贴到文本框中" in empty.text
    prose = web.post("/import", data={"csrf": csrf, "text": "今天天气很好。\n我们去公园散步。"})
    assert prose.status_code == 400 and "没有识别出任何任务条目" in prose.text
    assert str(config.home()) not in prose.text  # no server path in the message
    assert not any((config.home() / "drafts").iterdir())  # nothing kept of a refusal
    viewer, vcsrf = signed_in(app, "李查看")
    assert viewer.post("/import", data={"csrf": vcsrf, "text": "x"}).status_code == 403
    pasted = web.post(
        "/import",
        follow_redirects=False,
        data={
            "csrf": csrf,
            "jurisdiction": "中山市",
            "text": "中山市人民政府办公室\n2021年3月1日\n中山市2021年政务公开工作任务分工\n"
            "一、深化公开\n（一）公开财政预决算，6月底前完成。（牵头单位：市财政局；"
            "责任单位：市政府各部门）\n",
        },
    )
    assert pasted.status_code == 303
    page = web.get(pasted.headers["location"])
    assert page.status_code == 200 and "公开财政预决算" in page.text
    assert 'value="市财政局"' in page.text and "2021-06-30" in page.text
    listed = web.get("/import").text  # a draft closed in the browser is found again
    assert f'href="{pasted.headers["location"]}">粘贴的通知.txt' in listed


def test_a_discarded_draft_leaves_the_list_but_not_the_disk(ledger: sessionmaker[Session]) -> None:
    """A coordinator discards a wrongly imported notice: it is gone from the list and
    its page, kept under drafts/discarded/ for the operator, and the audit log says who;
    a viewer, or a form without its token, discards nothing."""
    users(ledger)
    app = create_app(ledger)
    web, csrf = signed_in(app, "王科长")
    pasted = web.post(
        "/import",
        follow_redirects=False,
        data={
            "csrf": csrf,
            "text": "中山市人民政府办公室\n2021年3月1日\n中山市2021年政务公开工作任务分工\n"
            "一、深化公开\n（一）公开财政预决算，6月底前完成。（牵头单位：市财政局）\n",
        },
    )
    draft = pasted.headers["location"]
    draft_id = draft.rsplit("/", 1)[1]
    assert "丢弃草稿" in web.get(draft).text
    viewer, vcsrf = signed_in(app, "李查看")
    assert viewer.post(f"{draft}/discard", data={"csrf": vcsrf}).status_code == 403
    assert web.post(f"{draft}/discard", data={}).status_code == 403
    assert web.post(f"{draft}/discard", data={"csrf": vcsrf}).status_code == 403
    assert f'href="{draft}"' in web.get("/import").text  # still there after the refusals
    done = web.post(f"{draft}/discard", data={"csrf": csrf})
    assert done.status_code == 200 and "已丢弃草稿“粘贴的通知.txt”" in done.text
    assert f'href="{draft}"' not in done.text and f'href="{draft}"' not in web.get("/import").text
    assert web.get(draft).status_code == 404
    assert web.post(f"{draft}/discard", data={"csrf": csrf}).status_code == 404
    kept = config.home() / "drafts" / "discarded" / draft_id
    assert (kept / "plan.yaml").is_file() and (kept / "粘贴的通知.txt").is_file()
    with transaction(ledger) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "draft.discard")).one()
        assert (event.actor, event.entity_key, event.detail) == (
            "web:王科长",
            draft_id,
            {"notice": "粘贴的通知.txt"},
        )


def test_a_draft_field_keeps_a_name_that_holds_a_dunhao() -> None:
    """市、区县政府门户网站主办单位 is one group: saving the page keeps it whole, whether the
    field was left alone or another name beside it was removed."""
    group = "市、区县政府门户网站主办单位"
    assert _names(f"{group}、市政府办公厅", [group, "市政府办公厅"]) == [group, "市政府办公厅"]
    assert _names(group, [group, "市政府办公厅"]) == [group]
    assert _names("区经发局、各片区", ["有关单位"]) == ["区经发局", "各片区"]


def test_the_chart_counts_what_the_board_shows_and_ends_with_the_plan(
    ledger: sessionmaker[Session], app: object
) -> None:
    """#23: filtered to one unit the legend counts that unit's; completion is a step; a
    finished plan's axis ends with its period or last deadline, not today."""
    import html

    from sqlalchemy import func

    web, _ = signed_in(app, "王科长")
    page = web.get(f"/p/{PLAN}", params={"unit": "市司法局"}).text
    src = html.unescape(re.search(r'<img class="chart" src="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    unit_chart = web.get(src)
    assert unit_chart.headers["content-type"].startswith("image/svg+xml")
    shown = int(re.search(r"共 (\d+) 个时限节点", page).group(1))  # type: ignore[union-attr]
    assert f"共 {shown} 个节点" in unit_chart.text
    whole = web.get(f"/p/{PLAN}/chart.svg").text
    with transaction(ledger) as s:
        due_by_today = s.scalar(
            select(func.count())
            .select_from(Milestone)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(
                Unit.name == "市司法局",
                Milestone.state != "archived",
                Milestone.due_date <= dt.date(2021, 7, 21),
            )
        )
        last_due = s.scalar(select(func.max(Milestone.due_date)))
    assert f"已到期 {due_by_today}</text>" in unit_chart.text
    assert int(re.search(r"已到期 (\d+)", whole).group(1)) > due_by_today  # type: ignore[union-attr]
    assert ">2021-07-21</text>" in whole  # a running plan: up to today
    # A step line: every change is a vertical segment (two points with one x).
    points = re.search(r'<polyline points="([^"]+)"', whole).group(1).split()  # type: ignore[union-attr]
    xs = [p.split(",")[0] for p in points]
    assert any(a == b for a, b in pairwise(xs[1:]))
    assert web.get("/p/nope/chart.svg").status_code == 404
    # Years later the plan is finished: the axis ends with it.
    later = create_app(ledger, clock=offset_clock(at("2026-12-04T10:00")))
    old, _ = signed_in(later, "王科长")
    end = max(last_due, dt.date(2021, 12, 31))  # type: ignore[type-var]
    finished = old.get(f"/p/{PLAN}/chart.svg").text
    assert f">{end.isoformat()}</text>" in finished and "2026-12-04" not in finished
