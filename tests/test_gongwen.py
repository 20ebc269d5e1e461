"""Documents in the national 公文 format (GB/T 9704-2012), checked in the .docx and,
where LibreOffice is installed, by rendering each kind to PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document as Docx
from docx.shared import Length

from documents.gongwen import Gongwen, _column_widths
from tests.conftest import PLAN_001, UNITS_ZS, cli

PLAN = "zhongshan-2021-zwgk"


@pytest.fixture
def documents(tmp_path: Path, duban_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """One of each kind, made as a coordinator makes them: sweeps and a check."""
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    for day in ("2021-07-20", "2021-07-22", "2021-07-26"):
        cli("sweep", "--at", f"{day}T09:00")
    cli("check", PLAN, "--at", "2021-09-20", "--no-notify")
    folder = duban_home / "documents" / PLAN
    return {
        "催办单": next(folder.glob("催办〔2021〕1号-*.docx")),
        "督办单": next(folder.glob("督办〔2021〕1号-*.docx")),
        "通报": folder / "通报〔2021〕1号.docx",
        "检查报告": next((duban_home / "checks").glob("*.docx")),
    }


def open_link_of(caption: str, path: Path) -> bool:
    """The printed link opens the page of the unit the document is addressed to."""
    from ledger import config
    from ledger.db import open_ledger, transaction
    from ledger.links import open_link

    with transaction(open_ledger(config.database_url())) as s:
        unit = open_link(s, caption.rsplit("/", 1)[1])
        return unit.name in Docx(str(path)).paragraphs[3].text or unit.name in "\n".join(
            p.text for p in Docx(str(path)).paragraphs
        )


def test_each_kind_is_laid_out_by_the_standard(documents: dict[str, Path]) -> None:
    for kind, path in documents.items():
        d = Docx(str(path))
        s = d.sections[0]

        def mm(*lengths: Length) -> list[float]:
            return [round(x.mm, 1) for x in lengths]

        assert mm(s.page_width, s.page_height) == [210, 297], kind  # A4, not Letter
        assert mm(s.top_margin, s.bottom_margin, s.left_margin, s.right_margin) == [
            37,
            35,
            28,
            26,
        ], kind  # the 156 × 225 mm text block
        normal = d.styles["Normal"]
        assert normal.font.size.pt == 16 and normal.font.name == "仿宋_GB2312", kind  # 3号
        mark = d.paragraphs[0].runs[0]
        assert mark.text == "中山市人民政府办公室" and str(mark.font.color.rgb) == "FF0000"
        texts = [p.text for p in d.paragraphs]
        if kind in ("催办单", "督办单"):  # the unit's link as a QR code beside the signature
            code, signed = d.tables[-1].rows[0].cells
            caption = code.paragraphs[-1].text
            assert caption.startswith("扫码在线报送：http://127.0.0.1:8780/u/"), kind
            assert "graphicData" in code.paragraphs[0]._p.xml, kind
            assert open_link_of(caption, path)
            texts += [p.text for p in signed.paragraphs if p.text]
            assert signed.paragraphs[-1].paragraph_format.right_indent.pt > 0, kind
            assert d.paragraphs[-1].paragraph_format.keep_with_next, kind  # text with seal
        assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", texts[-1]), kind  # 成文日期
        assert texts[-2] == "中山市人民政府办公室", kind  # 署名
        body = "\n".join(texts + [c.text for t in d.tables for r in t.rows for c in r.cells])
        assert not re.search(r"\bcp-|\bt\d{2}\b", body), kind  # names, never internal ids
        footer = s.footer.paragraphs[0]._p.xml
        assert "PAGE" in footer and "— " in s.footer.paragraphs[0].text, kind
        assert d.settings.odd_and_even_pages_header_footer, kind
        with zipfile.ZipFile(path) as z:  # fallbacks for machines without the offices' fonts
            fonts = z.read("word/fontTable.xml").decode("utf-8")
        assert 'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts, kind
    circular = Docx(str(documents["通报"]))
    assert "通报〔2021〕1号" in [p.text for p in circular.paragraphs]
    header = circular.tables[0].rows[0]._tr.xml
    assert "w:tblHeader" in header  # repeated on every page
    widths = [c.width for c in circular.tables[0].rows[1].cells]
    assert abs(sum(w.mm for w in widths) - 156) < 1 and len(set(widths)) > 2  # fitted


def test_column_widths_fit_the_content() -> None:
    rows = [
        ["单位", "期限", "逾期工作日", "已采取措施"],
        ["市人力资源社会保障局", "2021-07-19", "5", "催办〔2021〕16号、督办〔2021〕16号，通知8条"],
    ]
    w = _column_widths(rows, 4)
    assert abs(sum(w) - 156) < 0.01
    assert w[1] < w[3]  # the date is set in full
    # "逾期工作日" over a column of "5" stands on one line, not three
    assert w[2] >= 5 * 10.5 / 72 * 25.4


def test_the_markdown_twin_is_read_in_one_convention() -> None:
    g = Gongwen.from_markdown(
        "# 某某市人民政府办公室\n\n**督办〔2021〕3号**\n\n## 黄色督办单\n\n"
        "某某局：\n\n正文。\n\n| 甲 | 乙 |\n| --- | ---: |\n| 1 | 2 |\n\n"
        "某某市人民政府办公室\n\n2021年7月22日\n"
    )
    assert (g.issuer, g.doc_no, g.title, g.addressee) == (
        "某某市人民政府办公室",
        "督办〔2021〕3号",
        "黄色督办单",
        "某某局：",
    )
    assert (g.signature, g.date) == ("某某市人民政府办公室", "2021年7月22日")
    assert [k for k, _ in g.blocks] == ["para", "table"]


def _pdf_pages(pdf: Path) -> tuple[int, tuple[float, float]]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout).groups()  # type: ignore[union-attr]
    return pages, (float(w), float(h))


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
    reason="LibreOffice (soffice) or poppler (pdfinfo) is not installed: "
    "documents are not rendered (.ci/run installs both)",
)
def test_documents_render_on_a4_in_few_pages(documents: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, documents.values()),
        ],
        capture_output=True,
        check=True,
        timeout=240,
    )
    most = {"催办单": 1, "督办单": 1, "通报": 4, "检查报告": 6}  # 通报: 54 late units
    for kind, path in documents.items():
        pages, (w, h) = _pdf_pages(out / path.with_suffix(".pdf").name)
        assert abs(w - 595.3) < 1.5 and abs(h - 841.9) < 1.5, kind  # A4 in points
        assert 1 <= pages <= most[kind], (kind, pages)


def test_task_titles_print_without_number_and_in_chinese_punctuation() -> None:
    from plans.wording import printed_text, printed_title

    assert (
        printed_text("(三)加强督促落实。县(区)政府办公室要建立自查整改机制,及时发现问题,")
        == "加强督促落实。县（区）政府办公室要建立自查整改机制，及时发现问题。"
    )
    assert (
        printed_text(
            "1．推动清单化，于2020年9月30日前完成。〔责任单位：市政府办公室、县（区）人民政府〕"
        )
        == "推动清单化，于2020年9月30日前完成。"
    )
    assert printed_title("一、总体要求") == "总体要求"
    assert printed_title("（二）推进决策公开") == "推进决策公开"
    assert printed_title("12345热线") == "12345热线"  # a number that is not an outline number
    assert (
        printed_text("2．做好1,000户 10:30 见 http://a.example/c?x=1,2 ")
        == "做好1,000户 10:30 见 http://a.example/c?x=1,2。"
    )


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) or poppler is not installed",
)
def test_a_long_sheet_flows_and_keeps_its_last_paragraph_with_the_signature(tmp_path: Path) -> None:
    """GB/T 9704: the signature page is never bare; the body does not jump to page 2."""
    from documents.render import markdown_to_docx

    body = "\n\n".join(
        f"第{i}段。" + "各责任单位要结合业务实际制定具体工作计划。" * 4 for i in range(1, 6)
    )
    md = (
        f"# 某某市人民政府办公室\n\n**督办〔2021〕3号**\n\n## 黄色督办单\n\n某某局：\n\n"
        f"{body}\n\n某某市人民政府办公室\n\n2021年7月22日\n"
    )
    path = tmp_path / "long.docx"
    markdown_to_docx(md, path, "yellow", "https://duban.example.gov.cn/u/abcdefghijkl")
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        check=True,
        timeout=240,
    )
    pages = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "long.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == 2
    body_lines = [
        ln for ln in pages[0].split("某某局：")[1].splitlines() if ln.strip() and "—" not in ln
    ]
    assert len(body_lines) >= 12  # page 1 is filled: the body flows
    last = pages[1].split("第 5 段")  # the last paragraph stands with the signature
    assert len(last) == 2 and "某某市人民政府办公室" in last[1] and "2021 年 7 月 22 日" in last[1]


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) or poppler is not installed",
)
def test_a_long_task_fills_page_one_of_its_sheet(tmp_path: Path) -> None:
    """Seed 004's 加强督促落实 (seven lines): the task text stays on page 1 beside the rest
    of the body; only the closing paragraph goes with the signature to page 2 (it used to
    take the task text along and leave page 1 half empty)."""
    from documents.render import _env, markdown_to_docx

    task = (
        "(三)加强督促落实。市政府各部门、县(区)政府办公室要建立自查整改机制,及时发现问题,"
        "整改落实。市政府办公室每月定期对县(区)政府网站、市政府部门网站、“四川省政府信息公开"
        "目录管理系统”、微信微博等网络载体进行网上检查,重点检查栏目更新、内容保障等情况,"
        "每年组织开展全覆盖现场检查1次,重点检查政务公开工作相关要求贯彻落实情况及工作开展"
        "情况,检查结果纳入年度考核。"
    )
    from plans.wording import printed_text

    md = _env.get_template("supervision.md.j2").render(
        issuer="资阳市人民政府办公室",
        doc_no_text="督办〔2020〕12号",
        grade_name="黄色",
        doc_name="督办单",
        unit="市政府办公室",
        plan_title="资阳市全面推进政务公开工作的实施意见",
        doc_no="资府办发〔2020〕31号",
        item_title="加强督促落实",
        due_date_cn="2020年9月30日",
        due_weekday="星期三",
        issued_on_cn="2020年10月12日",
        item_text=printed_text(task),
        rung_kind="duban",
        next_rung_name="通报",
        next_at_cn="2020年10月14日",
    )
    path = tmp_path / "sheet.docx"
    markdown_to_docx(md, path, "yellow", "https://duban.example.gov.cn/u/abcdefghijkl")
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        check=True,
        timeout=240,
    )
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [p.replace("\n", "").replace(" ", "") for p in text.split("\f") if p.strip()]
    assert "任务要求：加强督促落实。" in pages[0] and "检查结果纳入年度考核。" in pages[0]
    assert "(三)" not in pages[0] and "县（区）政府办公室" in pages[0]
    assert pages[-1].startswith("经催办仍未报送") and "资阳市人民政府办公室" in pages[-1]
