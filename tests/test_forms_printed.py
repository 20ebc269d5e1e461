"""A notice in a Word document or its PDF reads as the same text in a .txt does: the
paragraphs of a document are text, so a table pasted into it as text (a cell a
paragraph) or a web page's body pasted as one paragraph is read as in a .txt, and a
table row that a page break splits in the PDF is one row again."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pdfplumber
from docx.shared import Pt

from plans.importer import extract
from tests.test_forms import HEAD, convert


def tasks(path: Path) -> list[tuple[str, list[str], list[str], list[str]]]:
    return [(t.text, t.lead, t.units, [d.value for d in t.due]) for t in extract(path).tasks]


def document(tmp_path: Path, paragraphs: list[str], name: str) -> Path:
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    path = tmp_path / name
    d.save(str(path))
    return path


# a table copied from a web page a cell a line, as an office pastes it into Word
CELLS = ["序号", "工作任务", "牵头单位", "责任单位", "完成时限"]
for n, (task, lead, units, due) in enumerate(
    [
        ("公开本级政府预决算和部门预决算，细化到项级科目。", "县财政局", "县政府各部门", "6月底前"),
        ("公开重大建设项目批准和实施信息。", "县发展改革局", "各乡镇人民政府", "年底前"),
        ("做好义务教育招生入学政策解读。", "县教育局", "各乡镇人民政府", "长期坚持"),
    ],
    start=1,
):
    CELLS += [str(n), task, lead, units, due]


def test_a_table_pasted_as_text_into_a_word_document_reads_as_the_text(
    tmp_path: Path,
) -> None:
    """Each cell a paragraph of its own, the 序号 cells bare numbers: the .docx, and the
    PDF printed from it (where a number alone mid-page is a cell, not a page number),
    read as the .txt of the same lines does."""
    text = tmp_path / "notice.txt"
    text.write_text("\n".join([*HEAD, *CELLS]) + "\n", encoding="utf-8")
    expected = tasks(text)
    assert [(t[1], t[2], t[3]) for t in expected] == [
        (["县财政局"], ["县政府各部门"], ["2023-06-30"]),
        (["县发展改革局"], ["各乡镇人民政府"], ["2023-12-31"]),
        (["县教育局"], ["各乡镇人民政府"], ["ongoing"]),
    ]
    word = document(tmp_path, [*HEAD, *CELLS], "notice.docx")
    assert tasks(word) == expected
    assert tasks(convert(word, "pdf")) == expected


def test_a_web_pages_body_pasted_as_one_paragraph_reads_as_the_text(tmp_path: Path) -> None:
    """The whole body glued into one paragraph, as a web archive stores it and an office
    pastes it: parted into its items as in a .txt, not refused as a notice with no task."""
    body = (
        "一、加强政策公开1.公开本级政府预决算和部门预决算，细化到项级科目，"
        "同步公开预算绩效目标和评价结果。（牵头单位：县财政局；责任单位：县政府各部门）"
        "2.公开重大建设项目批准和实施信息，及时发布项目进展和竣工验收情况，年底前完成。"
        "（牵头单位：县发展改革局；责任单位：各乡镇人民政府）二、做好政策解读"
        "3.做好义务教育招生入学政策解读，通过图解、问答等形式回应群众关切。"
        "（牵头单位：县教育局）4.做好医疗保障政策解读，及时发布参保缴费和待遇调整信息。"
        "（牵头单位：县医疗保障局；责任单位：各乡镇人民政府）"
    )
    text = tmp_path / "notice.txt"
    text.write_text("\n".join([*HEAD, body]) + "\n", encoding="utf-8")
    expected = tasks(text)
    assert len(body) >= 200  # as long as an archive's body: a line of paragraphs
    assert [t[1] for t in expected] == [
        ["县财政局"],
        ["县发展改革局"],
        ["县教育局"],
        ["县医疗保障局"],
    ]
    assert tasks(document(tmp_path, [*HEAD, body], "notice.docx")) == expected


def test_a_table_row_split_by_a_page_break_is_one_row(tmp_path: Path) -> None:
    """Word lets a table row break across pages: in the PDF the row's first half ends one
    page and the rest of its cells (no number of their own) begin the next. Each item
    keeps its whole text and all its units, as the .docx has them."""
    d = docx.Document()
    for text in HEAD:
        d.add_paragraph(text)
    rows = 24
    table = d.add_table(rows=rows + 1, cols=4)
    table.style = "Table Grid"
    for cell, name in zip(
        table.rows[0].cells, ["序号", "工作任务", "牵头单位", "责任单位"], strict=True
    ):
        cell.text = name
    for n in range(1, rows + 1):
        cells = table.rows[n].cells
        cells[0].text = str(n)
        cells[1].text = (
            f"推进第{n}项重点领域信息公开，围绕群众关切，及时准确发布相关信息，"
            "对公开内容开展定期检查，发现问题立即整改，确保信息权威准确、更新及时。" * 2
        )
        cells[2].text = "县财政局"
        cells[3].text = "县政府各部门、各乡镇人民政府（街道办事处）"
    for paragraph in d.paragraphs:
        paragraph.paragraph_format.first_line_indent = Pt(28)
    path = tmp_path / "table.docx"
    d.save(str(path))
    pdf = convert(path, "pdf")
    with pdfplumber.open(str(pdf)) as opened:
        firsts = [
            table[0][0] for page in opened.pages[1:] if (table := page.extract_table()) and table[0]
        ]
    assert any(not (cell or "").strip() for cell in firsts)  # some row goes on over a page
    expected = tasks(path)
    assert len(expected) == rows
    assert all(t[2] == ["县政府各部门", "各乡镇人民政府(街道办事处)"] for t in expected)
    assert tasks(pdf) == expected


PRINTED = Path(__file__).parent / "notices" / "printed"


def printed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    word = tmp_path / f"{name}.docx"
    word.write_bytes((PRINTED / f"{name}.docx").read_bytes())
    return word, convert(word, "pdf")


def test_a_long_table_with_page_numbers_reads_as_its_document(tmp_path: Path) -> None:
    """A thirteen-row table over four pages, the page number in the footer (— 3 —, or a
    bare 3 centred): rows a page break split are one row again, no page number joins a
    task, and a bare number close under the text is still the page's number."""
    for name in ("n03_table_span_dash", "n08_table_span_bare", "n13_bare_close_footer"):
        word, pdf = printed(tmp_path, name)
        expected = tasks(word)
        assert len(expected) == 13
        assert tasks(pdf) == expected, name
        assert not any(re.search(r"—\s*\d+\s*—$", t[0]) for t in tasks(pdf))


def test_a_bracket_short_of_the_margin_ends_its_measure(tmp_path: Path) -> None:
    """No first-line indents: （牵头单位：…） three characters short of the margin closes its
    measure; the next measure is not read into its units."""
    _, pdf = printed(tmp_path, "n11_noindent_twoline_title")
    read = {t[0][:8]: (t[1], t[2]) for t in tasks(pdf)}
    assert read["县供销社要组织农"] == (["县供销社"], ["县商务局", "粮食局"])
    assert read["县市场监管局要加"] == (["县市场监管局"], ["县公安局"])


def test_tabs_in_a_word_paragraph_set_words_out_and_part_no_cells(tmp_path: Path) -> None:
    """牵头单位：X⇥责任单位：Y⇥完成时限：… on one line, a signature and date pushed right by
    tabs: the units are read without a cell's bar, the date under the signature is the
    issue date."""
    word, _ = printed(tmp_path, "n12_typed_spaces_tabs")
    ex = extract(word)
    assert all("|" not in unit for t in ex.tasks for unit in t.lead + t.units)
    assert str(ex.meta["issued"].value) == "2023-04-10"


def test_a_unit_line_under_an_item_that_fills_the_margin_stays_a_unit(tmp_path: Path) -> None:
    """Items with a first-line indent, each followed by its unit on a line of its own (a
    table flattened into paragraphs). Items of every length, so that some end exactly at
    the right margin with 。: the unindented unit line after them is a name, not the
    sentence going on, and the PDF reads as the text does."""
    units = ["县财政局", "各乡镇人民政府"]
    paragraphs = [*HEAD, "一、加强重点领域信息公开"]
    for k in range(1, 29):
        words = "做好政策解读和回应关切工作"[: k % 14] + "细化" * (k // 14)
        paragraphs += [f"{k}.公开重点领域信息，{words}，按要求及时更新。", units[k % 2]]
    text = tmp_path / "notice.txt"
    text.write_text("\n".join(paragraphs) + "\n", encoding="utf-8")
    d = docx.Document()
    d.styles["Normal"].font.size = Pt(14)
    for words in paragraphs:
        para = d.add_paragraph(words)
        if words[0].isdigit():
            para.paragraph_format.first_line_indent = Pt(28)
    word = tmp_path / "notice.docx"
    d.save(str(word))
    expected = tasks(text)
    assert [t[2] for t in expected] == [[units[k % 2]] for k in range(1, 29)]
    assert tasks(convert(word, "pdf")) == expected


def test_review_guards_read_as_their_documents(tmp_path: Path) -> None:
    """A second review's notices (tests/notices/printed/r22_*): a measure whose bracket
    a page break splits after 完成时限：, a wrapped line that opens with 审核把关 or 来源渠道
    (words, not the page's 来源：), a short last line ending in 。” or with no stop at all
    after a full stop at the margin, and a printed web page with 来源：/责任编辑： lines.
    Each PDF reads as its document: nothing cut, nothing dropped, no unit borrowed."""
    for name in (
        "r22_pdf_pagebreak_after_stop",
        "r22_pdf_wrap_starts_shenhe",
        "r22_pdf_short_quote_line",
        "r22_pdf_short_tail_no_stop",
        "r22_pdf_flush_web_print",
    ):
        word, pdf = printed(tmp_path, name)
        expected = tasks(word)
        assert expected and all(t[2] or t[1] for t in expected[:2]), name
        assert tasks(pdf) == expected, name
