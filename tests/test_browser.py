"""The web in a real browser (Playwright driving Debian's Chromium) against a real
server: a unit answers from the link in its SMS, the coordinator sees the light
turn, accepts the report and downloads the 台账.

Set ``DUBAN_SCREENSHOTS=docs`` to refresh the README's screenshots under docs/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
import yaml
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from ledger import config
from ledger.db import transaction
from ledger.users import add_user
from tests.conftest import ROOT, at, cli
from web import create_app
from web.pages import offset_clock

CHROMIUM = "/usr/bin/chromium"
PLAN = "zhongshan-2021-zwgk"
SIFA_SMS = "13800000022"  # 市司法局 经办人
PASSWORD = "correct horse 9"

playwright = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')"
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk (.ci/run does)",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def site(ledger: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``duban web`` on a free port, its address also the links' public address."""
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
    base, server, thread = serve(ledger, "2021-07-21T10:00", monkeypatch)
    yield base
    server.should_exit = True
    thread.join(10)


def serve(
    ledger: sessionmaker[Session], when: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, uvicorn.Server, threading.Thread]:
    """The pages on a free port with their clock at ``when`` (Shanghai); the address is
    also the links' public address."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("DUBAN_PUBLIC_URL", base)
    app = create_app(ledger, clock=offset_clock(at(when)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    return base, server, thread


def shot(page: object, name: str) -> None:
    target = Path(os.environ.get("DUBAN_SCREENSHOTS", "") or config.home()) / name
    if os.environ.get("DUBAN_SCREENSHOTS") == "docs":
        target = ROOT / "docs" / name
    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]


def test_a_unit_answers_from_its_sms_and_the_coordinator_closes_it(
    site: str, tmp_path: Path
) -> None:
    cli("sweep", "--at", "2021-07-21T09:00")
    cli("dispatch", "--at", "2021-07-21T09:05")
    sms = [
        json.loads(p.read_text())
        for p in (config.home() / "outbox" / "sms").glob("*")
        if SIFA_SMS in p.name
    ]
    link = re.search(rf"{re.escape(site)}/u/[A-Za-z0-9]{{12}}", sms[0]["body"]).group(0)  # type: ignore[union-attr]
    evidence = tmp_path / "备案回执.pdf"
    evidence.write_bytes(b"%PDF-1.4 receipt")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(link)
        assert phone.locator("h1").inner_text() == "市司法局"
        shot(phone, "web-unit.png")
        option = phone.locator("#milestone option").first
        title = option.inner_text().split("（期限")[0]
        phone.select_option("#milestone", index=0)
        phone.fill("#text", "已按要求完成备案，见附件。")
        phone.fill("#url", "https://www.zs.gov.cn/zwgk/sfj/1")
        phone.set_input_files("#files", str(evidence))
        phone.click("form[action$='/report'] button[type=submit]")
        assert "已收到报送" in phone.locator(".note").inner_text()

        office = browser.new_page(viewport={"width": 1366, "height": 900})
        office.goto(site + "/")
        office.fill("#name", "王科长")
        office.fill("#password", PASSWORD)
        office.click("button[type=submit]")
        office.click(f"a[href='/p/{PLAN}']")  # from the plans list to the board
        shot(office, "web-board.png")
        row = office.locator('tr[data-unit="市司法局"]')
        assert row.locator(".light.blue").count() == 1  # the report awaits review
        office.click("text=审核队列")
        assert "已按要求完成备案" in office.content() and "备案回执.pdf" in office.content()
        shot(office, "web-review.png")
        section = office.locator("section", has_text="市司法局").first
        section.locator("textarea").fill("材料齐全，同意销号。")
        section.locator("button", has_text="采纳（销号）").click()
        assert "已审核" in office.locator(".note").inner_text()
        office.goto(f"{site}/p/{PLAN}?unit=市司法局")
        assert office.locator('tr[data-unit="市司法局"] .light.blue').count() == 0
        assert office.locator('tr[data-unit="市司法局"] .light.green').count() >= 1
        # The same board on the coordinator's phone: the name and 退出 stay inside the red
        # band (white on red, not white on white below it), the chart fits, the page
        # does not ask to be hovered.
        office.set_viewport_size({"width": 390, "height": 844})
        office.goto(f"{site}/p/{PLAN}")
        band = office.locator("header").bounding_box()
        for part in (
            office.locator("header .who"),
            office.locator("header button", has_text="退出"),
        ):
            box = part.bounding_box()
            assert (
                band
                and box
                and box["y"] >= band["y"]
                and box["y"] + box["height"] <= band["y"] + band["height"]
            ), (band, box)
            assert box["x"] + box["width"] <= 390
        chart = office.locator("img.chart").bounding_box()
        assert chart and chart["width"] <= 390 and chart["height"] > 50  # drawn, and fits
        assert "悬停" not in office.content()
        shot(office, "web-board-phone.png")
        office.set_viewport_size({"width": 1366, "height": 900})
        with office.expect_download() as download:
            office.click("text=导出台账", no_wait_after=True)  # a download navigates nowhere
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        browser.close()
    assert saved.suffix == ".xlsx"
    rows = [[c.value for c in r] for r in load_workbook(saved).active.iter_rows()]
    row = next(r for r in rows[2:] if r[4] == "市司法局" and r[3] == title)
    assert (row[7], row[12]) == ("已销号", "材料齐全，同意销号。")
    assert str(row[11]).startswith("已按要求完成备案")


def test_a_unit_files_its_whole_selfcheck_on_a_phone_in_one_submit(
    ledger: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """市司法局 holds 34 standing tasks: at the 9-20 check it answers them all from the
    link in its SMS on a 390 px page with one submit; the coordinator accepts all but one,
    returns that one for 整改, and the board shows green and yellow; the 台账 has a row
    for every assignment."""
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
    site, server, thread = serve(ledger, "2021-09-16T10:00", monkeypatch)
    try:
        cli("sweep", "--at", "2021-09-16T09:00")  # the reminder 3 working days before 9-20
        cli("dispatch", "--at", "2021-09-16T09:05")
        sms = [
            json.loads(p.read_text())
            for p in (config.home() / "outbox" / "sms").glob("*")
            if SIFA_SMS in p.name
        ]
        assert sms
        link = re.search(
            rf"{re.escape(site)}/u/[A-Za-z0-9]{{12}}",  # type: ignore[union-attr]
            sms[0]["body"],
        ).group(0)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.goto(link)
            rows = phone.locator("fieldset.task")
            assert rows.count() == 34
            # Nothing is wider than the phone.
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390
            for i in range(rows.count()):
                row = rows.nth(i)
                row.get_by_label("已完成" if i % 4 == 0 else "推进中").check()
                row.locator("textarea").fill(f"第{i + 1}项：已按方案推进，相关信息已公开。")
            shot(phone, "web-selfcheck.png")
            phone.get_by_role("button", name="提交全部已填写的行").click()
            assert "已收到 34 项任务的进展" in phone.locator(".note").inner_text()

            office = browser.new_page(viewport={"width": 1366, "height": 900})
            office.goto(site + "/")
            office.fill("#name", "王科长")
            office.fill("#password", PASSWORD)
            office.click("button[type=submit]")
            office.goto(f"{site}/p/{PLAN}/review")
            sheet = office.locator("form", has_text="市司法局：自查表（34 项进展）")
            first = sheet.locator("tr[id^=report-]").nth(3)
            first.get_by_label("退回整改").check()
            first.locator("input[name^=c_]").fill("未附公开链接，请补充。")
            sheet.locator("input[name=due]").fill("2021-09-22")
            shot(office, "web-review-selfcheck.png")
            sheet.get_by_role("button", name="审核本单位自查表").click()
            assert "采纳 33 项，退回整改 1 项" in office.locator(".note").inner_text()
            office.goto(f"{site}/p/{PLAN}?unit=市司法局")
            row = office.locator('tr[data-unit="市司法局"]')
            # 33 accepted, and the 12-20 rounds of the 9 tasks reported 已完成 closed too.
            assert row.locator(".light.green").count() == 33 + 9
            assert row.locator(".light.yellow").count() >= 1  # the 整改 due 9-22
            with office.expect_download() as download:
                office.click("text=导出台账", no_wait_after=True)  # a download navigates nowhere
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
    sheet_rows = [[c.value for c in r] for r in load_workbook(saved).active.iter_rows()][2:]
    from sqlalchemy import func, select

    from ledger.models import Assignment, Item, Unit

    with transaction(ledger) as s:
        pairs = set(
            s.execute(
                select(Item.title, Unit.name)
                .join(Assignment, Assignment.item_id == Item.id)
                .join(Unit, Unit.id == Assignment.unit_id)
            )
            .tuples()
            .all()
        )
        assert s.scalar(select(func.count()).select_from(Assignment)) == 1547
    assert {(r[3], r[4]) for r in sheet_rows} == pairs
    mine = [
        r
        for r in sheet_rows
        if r[4] == "市司法局" and r[1] == "持续推进任务" and r[6] != "2021-12-20 报送进展"
    ]  # the 9-20 round; the returned row now 9-22
    assert len(mine) == 34 and sum(1 for r in mine if r[7] == "已销号") == 33
    returned = next(r for r in mine if r[7] != "已销号")
    assert returned[6] == "2021-09-22 报送进展" and returned[12] == "未附公开链接，请补充。"


REAL = ROOT / "tests" / "notices" / "real" / "r04_pingtan_xwrw2023.txt"
PINGTAN = """辖区：平潭综合实验区
单位名称,别名,类型,上级单位,所属分组
区管委会办公室,平潭综合实验区管委会办公室,部门,,
区资源生态局,区自然资源与生态环境局,部门,,区直各部门
区经发局,区经济发展局,部门,,区直各部门
区市场监管局,,部门,,区直各部门
区财金局,,部门,,区直各部门
区社会事业局,,部门,,区直各部门
区交建局,,部门,,区直各部门
区党群工作部,,部门,,区直各部门
区农业农村局,,部门,,区直各部门
区农业农村中心(区供销社),,部门,,区直各部门
区税务局,,部门,,区直各部门
区智慧岛公司,,其他,,
人行平潭支行,,其他,,
平潭海关,,其他,,
平潭银保监组,,其他,,
金井片区管理局,,其他,,各片区
岚城片区管理局,,其他,,各片区
"""


def test_a_coordinator_imports_a_real_notice_corrects_it_and_loads_it(
    site: str, tmp_path: Path
) -> None:
    """A real notice (平潭, as a browser copy gives it) uploaded on the import page: the
    draft beside the notice's text, the fields the importer doubts marked, a unit the
    directory does not know corrected by hand, then checked and loaded with the CLI's
    own code, and the plan is on the board. The plan file the page keeps is the one
    ``duban import --out`` writes, with the hand-corrected fields marked 核对[units]."""
    units = tmp_path / "平潭.csv"
    units.write_text(PINGTAN, encoding="utf-8")
    cli("units", "import", str(units))
    by_cli = tmp_path / "cli.yaml"
    cli("import", str(REAL), "--units", str(units), "--out", str(by_cli))
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        office = browser.new_page(viewport={"width": 1400, "height": 900})
        office.goto(site + "/")
        office.fill("#name", "王科长")
        office.fill("#password", PASSWORD)
        office.click("form.box button[type=submit]")
        office.click("header >> text=导入通知")
        office.set_input_files("#notice", str(REAL))
        office.select_option("#jurisdiction", "平潭综合实验区")
        office.click("form.box button[type=submit]")
        assert re.search(r"/drafts/[0-9a-f]{16}$", office.url)
        draft = office.url
        # the notice's own text, each line an anchor the fields link to
        assert "以下均需各片区配合落实" in office.locator(".notice").inner_text()
        source = office.locator("#task-t001 a", has_text="原文").get_attribute("href")
        assert (
            office.locator(f".notice p{source}")
            .inner_text()
            .endswith("(区资源生态局牵头负责;各片区负责配合落实,以下均需各片区配合落实,不再列出)")
        )
        # units carried from the standing clause: a rule to spot-check, marked apart from
        # a doubt; a name the directory lacks is a doubt
        assert office.locator("#task-t002 input.check[name='t002.units']").count() == 1
        assert "常设条款" in office.locator("#task-t002 p.rule").inner_text()
        t012 = office.locator("#task-t012")
        assert t012.locator("input[name='t012.units']").get_attribute("class") == "flag"
        assert "“有关单位”不在单位名录中" in t012.inner_text()
        shot(office, "web-draft.png")
        kept = office.request.get(draft + "/plan.yaml").text()
        assert "&id" not in kept and "*id" not in kept
        on_page = yaml.safe_load(kept)
        from_cli = yaml.safe_load(by_cli.read_text(encoding="utf-8"))
        assert on_page == {k: v for k, v in from_cli.items() if k != "directory"}

        office.click("button[value=load]")  # the unknown units stop it, nothing loaded
        assert office.url == draft
        refusal = office.locator(".error").inner_text()
        assert "任务 t012 责任单位：单位名录中没有 '有关单位'" in refusal
        office.fill("input[name='t012.units']", "区经发局、各片区")
        office.fill("input[name='t015.units']", "区财金局、各片区")
        office.click("button[value=load]")
        assert office.url.endswith("/p/" + on_page["id"])
        assert office.locator("h1").inner_text().startswith("平潭综合实验区新污染物治理工作方案")
        # every unit with a task is on the board, standing tasks' too; 各片区 is its two
        # members
        on_board = {
            office.locator("tr[data-unit]").nth(i).get_attribute("data-unit")
            for i in range(office.locator("tr[data-unit]").count())
        }
        assert {
            "区资源生态局",
            "金井片区管理局",
            "岚城片区管理局",
            "区经发局",
            "区财金局",
        } <= on_board
        assert "各片区" not in on_board and "区管委会办公室" not in on_board
        # the same notice imported a second time by mistake: that draft is discarded,
        # the first one stays listed
        office.click("header >> text=导入通知")
        office.set_input_files("#notice", str(REAL))
        office.click("form.box button[type=submit]")
        second = office.url
        assert re.search(r"/drafts/[0-9a-f]{16}$", second) and second != draft
        office.get_by_role("button", name="丢弃草稿").click()
        assert office.locator("h1").inner_text() == "导入通知"
        assert "已丢弃草稿" in office.get_by_role("status").inner_text()
        shot(office, "web-discarded.png")
        listed = office.locator("table a")
        assert [listed.nth(i).get_attribute("href") for i in range(listed.count())] == [
            "/drafts/" + draft.rsplit("/", 1)[1]
        ]
        browser.close()
    saved = yaml.safe_load(
        (config.home() / "drafts" / draft.rsplit("/", 1)[1] / "plan.yaml").read_text(
            encoding="utf-8"
        )
    )
    t012 = next(t for t in saved["tasks"] if t["id"] == "t012")
    assert t012["units"] == ["区经发局", "各片区"] and "核对[units]" in t012["note"]
    again = cli(
        "plan", "load", str(config.home() / "drafts" / draft.rsplit("/", 1)[1] / "plan.yaml")
    )
    assert f"计划 {saved['id']} 与台账一致，无变化。" in again  # the CLI reads the same file
