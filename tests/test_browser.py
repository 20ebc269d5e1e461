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

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed "
                                 "(pip install -e '.[test]')")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk "
                "(.ci/run does)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def site(ledger: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``duban web`` on a free port, its address also the links' public address."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("DUBAN_PUBLIC_URL", base)
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
    app = create_app(ledger, clock=offset_clock(at("2021-07-21T10:00")))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(10)


def shot(page: object, name: str) -> None:
    target = Path(os.environ.get("DUBAN_SCREENSHOTS", "") or config.home()) / name
    if os.environ.get("DUBAN_SCREENSHOTS") == "docs":
        target = ROOT / "docs" / name
    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]


def test_a_unit_answers_from_its_sms_and_the_coordinator_closes_it(
        site: str, tmp_path: Path) -> None:
    cli("sweep", "--at", "2021-07-21T09:00")
    cli("dispatch", "--at", "2021-07-21T09:05")
    sms = [json.loads(p.read_text()) for p in (config.home() / "outbox" / "sms").glob("*")
           if SIFA_SMS in p.name]
    link = re.search(rf"{re.escape(site)}/u/[A-Za-z0-9]{{12}}", sms[0]["body"]).group(0)  # type: ignore[union-attr]
    evidence = tmp_path / "备案回执.pdf"
    evidence.write_bytes(b"%PDF-1.4 receipt")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
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
        phone.click("button[type=submit]")
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
        with office.expect_download() as download:
            office.click("text=导出台账")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        browser.close()
    assert saved.suffix == ".xlsx"
    rows = [[c.value for c in r] for r in load_workbook(saved).active.iter_rows()]
    row = next(r for r in rows[2:] if r[4] == "市司法局" and r[3] == title)
    assert (row[7], row[11]) == ("已销号", "材料齐全，同意销号。")
    assert str(row[10]).startswith("已按要求完成备案")
