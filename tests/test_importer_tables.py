"""The importer on tables: a 序号|工作任务|牵头单位|配合单位|完成时限 table as .docx and
as tab-separated text, an HTML page whose cells span rows, Word tables laid out like the
seeds 001 and 003, rows a browser copy broke, and a per-unit targets table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
import yaml

from plans.importer import draft_plan, extract
from tests.conftest import PLAN_001
from tests.importer_samples import CQ_NOTICE, CQ_PLAN, OWN

TABLE = [
    ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
    [
        "1",
        "编制并公开本级政务公开事项标准目录",
        "市政府办公室",
        "各乡镇人民政府、市政府各部门",
        "2022年9月30日前",
    ],
    ["2", "开展政府网站和政务新媒体季度检查", "市政府办公室", "市委网信办", "每季度末"],
    ["3", "集中公开现行有效的规范性文件", "市司法局", "市政府各部门", "年底前"],
]


def test_a_docx_table_is_read_by_its_columns(tmp_path: Path) -> None:
    d = docx.Document()
    for text in (
        "宁政办发〔2022〕8号",
        "宁安市人民政府办公室",
        "2022年4月1日",
        "宁安市2022年政务公开工作任务分工方案",
    ):
        d.add_paragraph(text)
    table = d.add_table(rows=len(TABLE), cols=5)
    for r, row in enumerate(TABLE):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    path = tmp_path / "ningan.docx"
    d.save(str(path))
    ex = extract(path)
    assert [(t.text, t.lead, t.units, [x.value for x in t.due]) for t in ex.tasks] == [
        (
            "编制并公开本级政务公开事项标准目录",
            ["市政府办公室"],
            ["各乡镇人民政府", "市政府各部门"],
            ["2022-09-30"],
        ),
        ("开展政府网站和政务新媒体季度检查", ["市政府办公室"], ["市委网信办"], ["quarterly:end"]),
        ("集中公开现行有效的规范性文件", ["市司法局"], ["市政府各部门"], ["2022-12-31"]),
    ]
    assert ex.tasks[0].where == "表1第2行"
    sources = ex.as_format()["tasks"][0]["sources"]
    assert sources == {"text": "表1第2行第2列", "units": "表1第2行第3、4列", "due": "表1第2行第5列"}


NOTICES = Path(__file__).parent / "notices"


def test_an_html_page_with_a_rowspan_table(tmp_path: Path) -> None:
    """A web page in traditional characters, with navigation, a script, spam and a
    5-column table whose 工作任务 and 牵头单位 cells span rows."""
    ex = extract(NOTICES / "qingxi-2023.html")
    meta = {k: v.value for k, v in ex.meta.items()}
    assert (meta["doc_no"], meta["issuer"], str(meta["issued"]), meta["year"]) == (
        "青府办函〔2023〕12号",
        "青溪市人民政府办公室",
        "2023-03-08",
        2023,
    )
    assert [(t.section, t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["推进决策公开"], ["市司法局"], ["市政府各部门"], ["2023-06-30"]),
        (["推进决策公开"], ["市司法局"], ["市政府各部门"], ["ongoing"]),  # spanned lead
        (["加强政策解读"], ["市政府办公室"], ["市政府各部门", "各镇人民政府"], ["ongoing"]),
    ]
    assert not any("var nav" in t.text or "版权" in t.text for t in ex.tasks)
    cps = {(c.kind, tuple(d.value for d in c.due)) for c in ex.checkpoints}
    assert cps == {("list", ("+10wd@issued",)), ("check", ("2023-06-30", "2023-11-30"))}


def test_targets_table_is_read_and_its_total_checked(tmp_path: Path) -> None:
    notice = tmp_path / "targets.txt"
    notice.write_text(
        OWN + "附件\n2022年政府信息公开目标任务\n"
        "单位 | 目标任务条数 | 单位 | 目标任务条数 |\n"
        "市财政局 | 120 | 东城镇 | 80 |\n市教育局 | 100 | 工业园区 | 60 |\n"
        "合计 | 370 | | |\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(g.unit, g.count, g.metric) for g in ex.targets] == [
        ("市财政局", 120, "目标任务条数"),
        ("东城镇", 80, "目标任务条数"),
        ("市教育局", 100, "目标任务条数"),
        ("工业园区", 60, "目标任务条数"),
    ]
    assert any("合计为 370，逐项相加为 360" in r.what for r in ex.review)
    assert draft_plan(ex)["targets"][0] == {
        "unit": "市财政局",
        "count": 120,
        "metric": "目标任务条数",
    }


def _merge_down(table: Any, col: int, first: int, last: int) -> None:
    if last > first:
        text = table.cell(first, col).text
        table.cell(first, col).merge(table.cell(last, col)).text = text


def test_docx_in_the_layout_of_003(tmp_path: Path) -> None:
    """The Chongqing tasks as a Word table laid out like 003: 工作任务 over two
    columns, headings in rows merged across the table and repeated after every page
    of 20 rows, the lead cell merged down over a run of items with one lead."""
    plan = yaml.safe_load(CQ_PLAN.read_text(encoding="utf-8"))
    tasks = plan["tasks"][:60]
    d = docx.Document()
    for text in (
        "渝府办发〔2021〕50号",
        "重庆市人民政府办公厅",
        "2021年5月16日",
        "贯彻落实国务院办公厅2021年政务公开工作要点任务分工",
    ):
        d.add_paragraph(text)
    table = d.add_table(rows=1, cols=4)
    head = table.rows[0].cells
    head[0].merge(head[1]).text = "工作任务"
    head[2].text, head[3].text = "牵头单位", "责任单位"
    shown: list[str] = []
    run: list[int] = []  # rows of the current run of items under one lead
    run_lead = None

    def heading(text: str) -> None:
        cells = table.add_row().cells
        cells[0].merge(cells[3]).text = text

    for k, t in enumerate(tasks):
        new = [h for h in t["section"] if h not in shown]
        if (k and k % 20 == 0) or new or t["lead"] != run_lead:
            if run:
                _merge_down(table, 2, run[0], run[-1])
            run, run_lead = [], t["lead"]
        if k and k % 20 == 0:  # a page break repeats the headings above
            for h in shown:
                heading(h)
        if new:
            shown = list(t["section"])
            for h in new:
                heading(h)
        cells = table.add_row().cells
        cells[0].merge(cells[1]).text = t["text"]
        cells[2].text, cells[3].text = "、".join(t["lead"]), "、".join(t["units"])
        run.append(len(table.rows) - 1)
    _merge_down(table, 2, run[0], run[-1])
    path = tmp_path / "chongqing.docx"
    d.save(str(path))
    ex = extract(path)
    got = [(x.text, x.section, x.lead, x.units) for x in ex.tasks]
    assert got == [(t["text"], t["section"], t["lead"], t["units"]) for t in tasks]
    assert all(x.where.startswith("表1第") for x in ex.tasks)


def test_docx_in_the_layout_of_001(tmp_path: Path) -> None:
    """The Zhongshan tasks as a Word table laid out like 001: 工作任务 | 具体要求 |
    落实单位, the 工作任务 cell merged down over its requirements, the units cell
    worded "X牵头，Y按职责分工落实"."""
    plan = yaml.safe_load(PLAN_001.read_text(encoding="utf-8"))
    tasks = [t for t in plan["tasks"] if t.get("lead") and t.get("units")]
    d = docx.Document()
    for text in (
        "中府办函〔2021〕91号",
        "中山市人民政府办公室",
        "2021年7月5日",
        "中山市2021年政务公开工作要点分工方案",
    ):
        d.add_paragraph(text)
    table = d.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("工作任务", "具体要求", "落实单位"), strict=True):
        cell.text = text
    start = 1
    for k, t in enumerate(tasks):
        cells = table.add_row().cells
        cells[0].text = t["section"][-1]
        cells[1].text = t["text"]
        cells[2].text = f"{'、'.join(t['lead'])}牵头，{'、'.join(t['units'])}按职责分工落实"
        r = len(table.rows) - 1
        if k + 1 == len(tasks) or tasks[k + 1]["section"] != t["section"]:
            _merge_down(table, 0, start, r)
            start = r + 1
    path = tmp_path / "zhongshan.docx"
    d.save(str(path))
    ex = extract(path)
    got = [(x.text, x.section, x.lead, x.units) for x in ex.tasks]
    assert got == [(t["text"], t["section"][-1:], t["lead"], t["units"]) for t in tasks]


def test_a_table_pasted_as_tab_separated_text(tmp_path: Path) -> None:
    notice = tmp_path / "tabs.txt"
    notice.write_text(
        "某市人民政府办公室\n某府办发〔2022〕3号\n2022年4月3日\n某市2022年政务公开重点任务分工表\n"
        + "\n".join("\t".join(row) for row in TABLE)
        + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["市政府办公室"], ["各乡镇人民政府", "市政府各部门"], ["2022-09-30"]),
        (["市政府办公室"], ["市委网信办"], ["quarterly:end"]),
        (["市司法局"], ["市政府各部门"], ["2022-12-31"]),
    ]


def test_a_browser_copied_table_row_without_its_merged_cells(tmp_path: Path) -> None:
    """A browser copy gives a merged (rowspan) cell only in its first row: the rows below
    lack their leftmost cells, and an empty 牵头 cell stays empty: the responsible units
    never shift into the lead's column."""
    notice = tmp_path / "copied.txt"
    rows = [
        "工作任务\t工作要求\t牵头单位\t配合/责任单位",
        "一、加强市场主体信息公开\t1.增强政策制定实施的透明度和可预期性，提振市场主体信心。"
        "\t\t区直各有关单位，各片区管理局",
        "2.加大行业帮扶政策的公开力度，促进稳就业和消费恢复。\t\t区直各有关单位",
        "3.依法依规做好扩大有效投资相关规划信息公开。\t区经济发展局\t区直各有关单位",
    ]
    notice.write_text(
        "某区管委会办公室\n2022年6月1日\n某区2022年政务公开工作任务分工\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.lead, t.units) for t in ex.tasks] == [
        ([], ["区直各有关单位", "各片区管理局"]),
        ([], ["区直各有关单位"]),
        (["区经济发展局"], ["区直各有关单位"]),
    ]


def test_a_cell_of_two_paragraphs_broken_by_a_browser_copy(tmp_path: Path) -> None:
    """A 牵头 cell holding two units on two paragraphs comes out of a browser copy as two
    lines; the second (no number, cells to fill the row) continues the first's last cell."""
    notice = tmp_path / "copied.txt"
    rows = [
        "工作任务\t工作要求\t牵头单位\t配合/责任单位",
        "一、加强市场主体信息公开\t1.增强政策制定实施的透明度。\t\t区直各有关单位",
        "2.建立市场主体反映审批问题的办理和反馈机制。\t区经济发展局",
        "区行政审批局\t区直各有关单位，各片区管理局",
        "3.依法依规做好扩大有效投资相关规划信息公开。\t区发展改革局\t区直各有关单位",
    ]
    notice.write_text(
        "某区管委会办公室\n2022年6月1日\n某区2022年政务公开工作任务分工\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.text[:2], t.lead, t.units) for t in ex.tasks] == [
        ("1.", [], ["区直各有关单位"]),
        ("2.", ["区经济发展局", "区行政审批局"], ["区直各有关单位", "各片区管理局"]),
        ("3.", ["区发展改革局"], ["区直各有关单位"]),
    ]


def test_a_merged_lead_cell_carries_over_a_sub_heading_and_an_empty_one_is_doubted() -> None:
    """In the Chongqing table a page break printed row 1.政府网站 1) without its lead
    cell: the merged cell above (市政府办公厅) carries over the row's sub-heading, as one
    spot-check line with the other merged cells."""
    ex = extract(CQ_NOTICE)
    t = next(t for t in ex.tasks if "切实履行政府网站的主管" in t.text)
    assert (t.lead, t.units) == (["市政府办公厅"], ["市政府各部门", "各区县政府"])
    merged = next(r for r in ex.review if "合并单元格" in r.what)
    assert merged.kind == "rule" and t.where in merged.items
    assert not [r for r in ex.review if "牵头单位格为空，可能" in r.what]


def test_a_lead_cell_written_as_none_is_no_merged_lead(tmp_path: Path) -> None:
    """A Word table copied one cell per line: a row whose lead cell says 无 (or —) has
    no lead, where an absent cell would be the lead merged down from the row above."""
    notice = tmp_path / "none.txt"
    cells = [
        *("工作任务", "牵头单位", "责任单位", "一、推进重点领域信息公开"),
        *("公开本市年度重点项目的批准和实施信息。", "市发展改革委", "市直有关部门"),
        *("公开本部门的重大建设项目信息。", "市直有关部门"),
        *("做好政务新媒体的日常运维工作。", "无", "各乡镇人民政府"),
    ]
    head = "某市人民政府办公室\n\n某市2022年政务公开工作任务分工\n\n"
    notice.write_text(head + "\n \n".join(cells) + "\n", encoding="utf-8")
    assert [(t.text[:8], t.lead, t.units) for t in extract(notice).tasks] == [
        ("公开本市年度重点", ["市发展改革委"], ["市直有关部门"]),
        ("公开本部门的重大", ["市发展改革委"], ["市直有关部门"]),
        ("做好政务新媒体的", [], ["各乡镇人民政府"]),
    ]
