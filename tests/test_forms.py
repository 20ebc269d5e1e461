"""One notice in every form an office receives it: a .docx, the PDF LibreOffice prints
of it, the .doc it saves, and the spreadsheet of its table read as the .docx does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docx
import pdfplumber
import pytest
from openpyxl import Workbook

from plans.importer import extract
from plans.notice_limits import NoticeProblem
from plans.other_forms import office

HEAD = [
    "泓川县人民政府办公室",
    "泓政办发〔2023〕12号",
    "泓川县人民政府办公室关于印发泓川县2023年政务公开重点任务分工的通知",
    "各乡镇人民政府，县政府各部门：",
    "现将《泓川县2023年政务公开重点任务分工》印发给你们，请认真贯彻落实。",
    "泓川县人民政府办公室",
    "2023年3月6日",
    "泓川县2023年政务公开重点任务分工",
]
HEADER = ["序号", "工作任务", "牵头单位", "责任单位", "完成时限"]
ROWS = [
    [
        "1",
        "公开本级政府预决算和部门预决算，细化到项级科目。",
        "县财政局",
        "县政府各部门",
        "2023年6月30日前",
    ],
    ["2", "公开重大建设项目批准和实施信息。", "县发展改革局", "县住建局、各乡镇人民政府", "年底前"],
    ["3", "每季度公开财政收支执行情况。", "县财政局", "县统计局", "每季度末"],
    ["4", "做好义务教育招生入学政策解读。", "县教育局", "各乡镇人民政府", "长期坚持"],
]
EXPECTED = [
    (["县财政局"], ["县政府各部门"], ["2023-06-30"]),
    (["县发展改革局"], ["县住建局", "各乡镇人民政府"], ["2023-12-31"]),
    (["县财政局"], ["县统计局"], ["quarterly:end"]),
    (["县教育局"], ["各乡镇人民政府"], ["ongoing"]),
]


def reading(path: Path) -> list[tuple[list[str], list[str], list[str]]]:
    return [(t.lead, t.units, [d.value for d in t.due]) for t in extract(path).tasks]


@pytest.fixture
def notice_docx(tmp_path: Path) -> Path:
    d = docx.Document()
    for text in HEAD:
        d.add_paragraph(text)
    table = d.add_table(rows=1 + len(ROWS), cols=len(HEADER))
    table.style = "Table Grid"  # ruled, as offices print them
    for r, row in enumerate([HEADER, *ROWS]):
        for cell, text in zip(table.rows[r].cells, row, strict=True):
            cell.text = text
    path = tmp_path / "notice.docx"
    d.save(str(path))
    return path


def convert(path: Path, to: str) -> Path:
    program = office()
    if program is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer)")
    out = path.parent / f"to-{to}"
    subprocess.run(
        [
            program,
            f"-env:UserInstallation=file://{path.parent / 'lo'}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    return out / f"{path.stem}.{to}"


def test_the_docx_reads_as_its_table_says(notice_docx: Path) -> None:
    assert reading(notice_docx) == EXPECTED


def test_a_pdf_of_the_notice_reads_as_its_docx(notice_docx: Path) -> None:
    pdf = convert(notice_docx, "pdf")
    assert reading(pdf) == EXPECTED
    ex = extract(pdf)
    assert ex.meta["doc_no"].value == "泓政办发〔2023〕12号"
    assert ex.tasks[0].where.startswith("第1页表1第")  # a page's table row, for the review


def test_a_doc_of_the_notice_reads_as_its_docx(notice_docx: Path) -> None:
    # by way of .odt: LibreOffice's Word 97 export drops a python-docx table it reads
    assert reading(convert(convert(notice_docx, "odt"), "doc")) == EXPECTED


def test_a_spreadsheet_of_the_table_with_merged_cells(tmp_path: Path) -> None:
    """The 任务分解表 as a spreadsheet: the notice's title rows, then the table; the 牵头
    cell merged down over two rows leads both."""
    book = Workbook()
    sheet = book.active
    for text in HEAD:
        sheet.append([text])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    first = len(HEAD) + 2
    sheet.cell(first + 1, 3).value = None  # row 2's lead, merged with row 1's above it
    sheet.merge_cells(start_row=first, start_column=3, end_row=first + 1, end_column=3)
    path = tmp_path / "notice.xlsx"
    book.save(str(path))
    got = reading(path)
    assert got[0] == EXPECTED[0] and got[2:] == EXPECTED[2:]
    assert got[1] == (["县财政局"], *EXPECTED[1][1:])  # the merged cell's lead


def test_what_cannot_be_read_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scanned = tmp_path / "scan.pdf"
    scanned.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(NoticeProblem, match="PDF"):
        extract(scanned)
    bomb = tmp_path / "bomb.xlsx"
    shutil.copyfile(Path(__file__), bomb)  # not a zip at all
    with pytest.raises(NoticeProblem, match="压缩包已损坏"):
        extract(bomb)
    monkeypatch.setattr("plans.other_forms.office", lambda: None)
    old = tmp_path / "old.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(NoticeProblem, match="需要 LibreOffice，本机没有安装"):
        extract(old)


def test_a_pdf_of_a_prose_notice_keeps_each_measure_whole(tmp_path: Path) -> None:
    """Measures written as paragraphs, each several lines long and closed by its bracket,
    over more than one page: in the PDF each paragraph is still one measure with its text
    and units, across the lines a sentence ends on and across the page break."""
    d = docx.Document()
    for text in HEAD:
        d.add_paragraph(text)
    units = ["县财政局", "县教育局", "县民政局", "县住建局", "县卫生健康局", "县交通运输局"]
    sentence = (
        "围绕群众关切的重点领域，按照应公开尽公开的要求，及时准确发布相关信息。"
        "对公开内容开展定期检查，发现问题立即整改，确保信息权威准确、更新及时。"
    )
    for n in range(12):
        lead, other = units[n % 6], units[(n + 1) % 6]
        d.add_paragraph(
            f"{n + 1}.推进第{n + 1}项重点领域信息公开。{sentence * (2 + n % 3)}"
            f"（牵头单位：{lead}；责任单位：{other}）"
        )
    path = tmp_path / "prose.docx"
    d.save(str(path))
    pdf = convert(path, "pdf")
    with pdfplumber.open(str(pdf)) as opened:
        assert len(opened.pages) >= 2  # a measure goes on over the page break
    as_docx = [(t.text, t.lead, t.units) for t in extract(path).tasks]
    assert len(as_docx) == 12
    assert [(t.text, t.lead, t.units) for t in extract(pdf).tasks] == as_docx


# A notice pasted into a sheet: a paragraph a row in the first column. Its table was kept
# in fixed-width columns, its wrapped cells indented under their column.
PASTED = [
    *HEAD[:-1],
    "泓川县2023年政务公开重点任务分工",
    "一、推进决策公开",
    "（一）公开重大行政决策事项目录，2023年6月底前完成。（牵头单位：县司法局 县政府办；"
    "责任单位：县政府各部门）",
    "二、重点领域信息公开",
    "序号    重点任务                                  责任单位                    完成时限",
    "1       公开重大建设项目批准和实施信息，按季度更  县发展改革局（牵头）、      每季度末",
    "        新项目进展。                              县住建局",
    "2       公开义务教育招生入学政策。                县教育局                    —",
]


def test_a_notice_pasted_into_a_spreadsheet_reads_as_its_text(tmp_path: Path) -> None:
    """Each paragraph a row of one cell is text, as a .txt's line is: its spaces stay as
    they are, and the indent of a fixed-width table's wrapped cell keeps it in its column."""
    book = Workbook()
    for text in PASTED:
        book.active.append([text])
    sheet = tmp_path / "notice.xlsx"
    book.save(str(sheet))
    text = tmp_path / "notice.txt"
    text.write_text("\n".join(PASTED) + "\n", encoding="utf-8")
    assert reading(sheet) == reading(text)
    assert [t.text[:6] for t in extract(sheet).tasks] == [
        "(一)公开重",
        "公开重大建设",
        "公开义务教育",
    ]
    assert reading(sheet)[1] == (["县发展改革局"], ["县住建局"], ["quarterly:end"])


def test_names_a_space_parts_in_a_word_table_cell_stay_apart(tmp_path: Path) -> None:
    """A cell listing its units with spaces between them (安监站 安监所), as small offices
    type them, names each unit, as the same cell does in a PDF or a spreadsheet."""
    d = docx.Document()
    for text in HEAD:
        d.add_paragraph(text)
    table = d.add_table(rows=2, cols=3)
    for r, row in enumerate(
        [["序号", "工作任务", "责任单位"], ["1", "开展烟花爆竹专项整治。", "安监站 派出所"]]
    ):
        for cell, text in zip(table.rows[r].cells, row, strict=True):
            cell.text = text
    path = tmp_path / "notice.docx"
    d.save(str(path))
    assert reading(path) == [([], ["安监站", "派出所"], [])]


def test_a_letter_spaced_header_and_a_cell_of_names_on_two_lines(tmp_path: Path) -> None:
    """责 任 科 室 in a Word table's header is the column's name, not two names (责任科,
    室); in a sheet, names a cell puts on lines of their own (县财政局⏎各乡镇人民政府) are
    two units, as a space between them makes them."""
    d = docx.Document()
    for text in HEAD:
        d.add_paragraph(text)
    table = d.add_table(rows=2, cols=4)
    rows = [
        ["序 号", "工 作 任 务", "责 任 科 室", "完 成 时 限"],
        ["1", "加强传染病防控", "疾控股", "长期坚持"],
    ]
    for r, row in enumerate(rows):
        for cell, text in zip(table.rows[r].cells, row, strict=True):
            cell.text = text
    word = tmp_path / "notice.docx"
    d.save(str(word))
    assert reading(word) == [([], ["疾控股"], ["ongoing"])]

    book = Workbook()
    for row in [
        *([t] for t in HEAD),
        HEADER[:4],
        ["1", "稳定粮食生产", "县农业农村局", "县财政局\n各乡镇人民政府"],
    ]:
        book.active.append(row)
    sheet = tmp_path / "notice.xlsx"
    book.save(str(sheet))
    assert reading(sheet) == [(["县农业农村局"], ["县财政局", "各乡镇人民政府"], [])]


WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def test_full_width_digits_read_as_ascii_ones(tmp_path: Path) -> None:
    """A notice typed with full-width digits (１．, 〔２０２３〕１２号, ２０２３年６月底前) reads
    as the same notice typed with ASCII ones, as text and as a Word table: a long paragraph
    is not parted at the space a PDF conversion left after a digit (之日起７ 个工作日)."""
    numbered = [
        "一、推进基层政务公开",
        "1．编制基层政务公开事项标准目录，2023年9月30日前完成。〔责任单位：县政府办公室、县司法局〕",
        "2．每季度更新村务公开栏。〔责任单位：各乡镇人民政府〕",
        "二、深化重点领域公开",
        "1．全面推进决策公开。在决策前公布决策草案。",
        "2．全面推进执行公开。严格落实行政执法公示制度，在执法决定作出之日起20 个工作日内，"
        "向社会公布执法机关、对象、类别、结论等信息，行政许可、行政处罚在决定作出之日起7 个"
        "工作日内公开；推进监管情况公开，重点公开安全生产、生态环境、卫生防疫、食品药品、"
        "保障性住房、质量价格、交通运输、城乡建设、商贸流通等监管信息，公开民生资金等分配使用"
        "情况；围绕实施精准扶贫、精准脱贫，加大扶贫对象、扶贫资金分配、扶贫资金使用等信息公开"
        "力度，接受社会监督。",
        "3．全面推进结果公开。公开重大决策落实情况。〔责任单位：县政府各部门、各乡镇人民政府〕",
    ]
    plain, wide = tmp_path / "plain.txt", tmp_path / "wide.txt"
    plain.write_text("\n".join(PASTED + numbered) + "\n", encoding="utf-8")
    wide.write_text("\n".join(PASTED + numbered).translate(WIDE) + "\n", encoding="utf-8")
    assert reading(wide) == reading(plain)
    assert [t.text[:6] for t in extract(wide).tasks] == [t.text[:6] for t in extract(plain).tasks]
    assert extract(wide).meta["doc_no"].value == "泓政办发〔2023〕12号"

    d = docx.Document()
    for text in HEAD:
        d.add_paragraph(text.translate(WIDE))
    table = d.add_table(rows=1 + len(ROWS), cols=len(HEADER))
    for r, row in enumerate([HEADER, *ROWS]):
        for cell, text in zip(table.rows[r].cells, row, strict=True):
            cell.text = text.translate(WIDE)
    path = tmp_path / "wide.docx"
    d.save(str(path))
    assert reading(path) == EXPECTED
