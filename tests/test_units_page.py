"""A new jurisdiction starts in the browser: the home page says what to do, the blank
directory comes from `duban units template` or the units page, and an uploaded .xlsx
is checked as `duban units import` checks it and applied only once confirmed."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import open_ledger, transaction
from ledger.models import Unit
from ledger.users import add_user
from tests.conftest import cli
from web import create_app

PASSWORD = "correct horse 9"


def browser(
    factory: sessionmaker[Session], name: str = "王科长", role: str = "coordinator"
) -> tuple[TestClient, str]:
    with transaction(factory) as s:
        add_user(s, name, role, PASSWORD, actor="test")
    web = TestClient(create_app(factory))
    page = web.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    web.post("/login", data={"name": name, "password": PASSWORD, "csrf": token})
    home = web.get("/")
    return web, re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)  # type: ignore[union-attr]


def filled_template(path: Path, jurisdiction: str, units: list[tuple[str, str, str]]) -> bytes:
    """The blank directory as an office fills it in Excel: title, one row per unit."""
    wb = load_workbook(path)
    ws = wb["单位名录"]
    ws.cell(1, 1).value = str(ws.cell(1, 1).value).replace("请把此处改为本辖区名称", jurisdiction)
    ws.delete_rows(3)
    for name, group, mobile in units:
        ws.append([name, "", "部门", "", group, "张三", mobile])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ZIYANG = [
    ("市人民政府办公室", "市直各部门", "13800000001"),
    ("乐至县人民政府", "各县（区）", "13800000002"),
    ("市交通运输局", "市直各部门", "13800000003"),
    ("安岳县人民政府", "各县（区）", "13800000004"),
]


def test_a_new_jurisdiction_starts_in_the_browser(database_url: str, tmp_path: Path) -> None:
    factory = open_ledger(database_url)
    web, csrf = browser(factory)
    home = web.get("/")
    assert "还没有计划" in home.text and 'href="/units"' in home.text
    assert 'href="/import"' in home.text and "duban plan load" not in home.text
    # the blank directory: header, an example row, a sheet that explains each column
    assert "已写入空白名录" in cli("units", "template", "--out", str(tmp_path / "t.xlsx"))
    wb = load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["单位名录", "填写说明"]
    assert [c.value for c in wb["单位名录"][2]][:5] == [
        "单位名称",
        "别名",
        "类型",
        "上级单位",
        "所属分组",
    ]
    explained = [r[0] for r in wb["填写说明"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert "单位名称" in explained and "经办人渠道" in explained
    page = web.get("/units/template.xlsx")
    assert page.status_code == 200 and page.content[:2] == b"PK"
    # left unfilled, the title is refused, naming the line
    r = web.post(
        "/units",
        data={"csrf": csrf},
        files={
            "upload": ("名录.xlsx", (tmp_path / "t.xlsx").read_bytes(), "application/octet-stream")
        },
    )
    assert r.status_code == 400 and "名录.xlsx:1" in r.text and "资阳市" in r.text
    # filled: checked and previewed, nothing applied yet
    data = filled_template(tmp_path / "t.xlsx", "资阳市", ZIYANG)
    r = web.post("/units", data={"csrf": csrf}, files={"upload": ("资阳.xlsx", data, "x")})
    assert r.status_code == 200 and "导入前核对：资阳市" in r.text and "新增 4 个单位" in r.text
    with transaction(factory) as s:
        assert s.scalar(select(func.count()).select_from(Unit)) == 0
    carried = re.search(r'name="directory" value="([^"]*)"', r.text, re.S).group(1)  # type: ignore[union-attr]
    r = web.post(
        "/units",
        data={
            "csrf": csrf,
            "jurisdiction": "资阳市",
            "action": "apply",
            "directory": html.unescape(carried),
        },
    )
    assert r.status_code == 200 and "已导入资阳市的单位名录：新增 4" in r.text
    with transaction(factory) as s:
        names = s.scalars(
            select(Unit.name).where(Unit.jurisdiction == "资阳市").order_by(Unit.position)
        ).all()
    # the directory's order, a group's units together
    assert names == ["市人民政府办公室", "市交通运输局", "乐至县人民政府", "安岳县人民政府"]
    # a bad row is named by line and column, and nothing is imported
    bad = filled_template(tmp_path / "t.xlsx", "资阳市", [("市财政局", "市直各部门", "12")])
    r = web.post("/units", data={"csrf": csrf}, files={"upload": ("坏.xlsx", bad, "x")})
    assert r.status_code == 400 and "坏.xlsx:3" in r.text and "手机号" in r.text


def test_viewers_see_the_directory_but_change_nothing(database_url: str) -> None:
    factory = open_ledger(database_url)
    web, csrf = browser(factory, "李查看", "viewer")
    page = web.get("/units")
    assert page.status_code == 200 and 'name="upload"' not in page.text
    r = web.post("/units", data={"csrf": csrf}, files={"upload": ("a.csv", b"x", "text/csv")})
    assert r.status_code == 403


def test_head_answers_as_get_does(database_url: str) -> None:
    web = TestClient(create_app(open_ledger(database_url)))
    get, head = web.get("/login"), web.head("/login")
    assert head.status_code == get.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["X-Frame-Options"] == "DENY"
    assert web.head("/").status_code == 200  # the login page, for a monitor


def test_an_empty_ledger_points_to_the_blank_directory(database_url: str) -> None:
    from typer.testing import CliRunner

    from duban.cli import app

    r = CliRunner().invoke(
        app, ["units", "export", "--jurisdiction", "资阳市"], env={"COLUMNS": "200"}
    )
    assert r.exit_code == 1 and "台账中没有辖区 资阳市" in r.output
    assert "duban units template" in r.output
