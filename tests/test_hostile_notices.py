"""Notices no office would send: each is refused at once with a message naming the limit
or the encoding, and no draft is written (the real notices stay far inside the bounds)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import opencc
import pytest
from typer.testing import CliRunner

from duban.cli import app
from plans.importer import MAX_ITEMS
from plans.notice import read_notice
from plans.notice_limits import MAX_COLUMNS, MAX_DOCX_XML, MAX_TEXT_BYTES
from tests.conftest import ROOT

runner = CliRunner()
CQ_NOTICE = ROOT / "plans" / "notices" / "chongqing-2021.txt"


def refused(path: Path, tmp_path: Path) -> str:
    draft = tmp_path / "draft.yaml"
    r = runner.invoke(app, ["import", str(path), "--out", str(draft)], env={"COLUMNS": "200"})
    assert r.exit_code == 1, r.output
    assert not draft.exists()
    return r.output


def test_a_huge_text_file_is_refused_by_size(tmp_path: Path) -> None:
    f = tmp_path / "huge.txt"
    line = "1.公开财政预决算信息（牵头单位：市财政局）\n".encode()
    f.write_bytes(line * (MAX_TEXT_BYTES // len(line) + 10))
    assert "超过通知文件的上限" in refused(f, tmp_path)


def test_more_items_than_any_notice_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "many.txt"
    items = "".join(
        f"{i}.公开第{i}项信息（牵头单位：市财政局）\n" for i in range(1, MAX_ITEMS + 200)
    )
    f.write_text(
        "某市人民政府办公室关于印发任务分工的通知\n一、重点工作\n" + items, encoding="utf-8"
    )
    assert f"超过一份通知的上限 {MAX_ITEMS} 项" in refused(f, tmp_path)


def _docx(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for name, data in parts.items():
            z.writestr(name, data)
    assert path.stat().st_size < 1024 * 1024  # small on disk
    return path


def _declare_small(path: Path, member: str) -> None:
    """Patch the sizes a zip declares for ``member`` (local header and central
    directory) to 100 bytes, as a crafted file would."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := data.find(sig, at)) >= 0:
            name_at = at + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
            at += 4
    path.write_bytes(bytes(data))


def test_a_docx_that_inflates_past_any_notice_is_refused(tmp_path: Path) -> None:
    f = _docx(tmp_path / "bomb.docx", {"word/document.xml": b" " * (MAX_DOCX_XML + 1024)})
    assert "word/document.xml 解压后超过" in refused(f, tmp_path)


def test_any_part_of_a_docx_is_bounded_as_it_inflates_whatever_it_declares(tmp_path: Path) -> None:
    """A styles.xml bomb beside a small body, and a body that declares 100 bytes: both
    are refused as they inflate, with their reason in Chinese (never an empty one)."""
    styles = _docx(
        tmp_path / "styles.docx",
        {"word/document.xml": b"<w:document/>", "word/styles.xml": b" " * (MAX_DOCX_XML + 1024)},
    )
    out = refused(styles, tmp_path)
    assert "word/styles.xml 解压后超过 40 MB" in out and "压缩炸弹" in out
    lying = _docx(tmp_path / "lying.docx", {"word/document.xml": b" " * (MAX_DOCX_XML + 1024)})
    _declare_small(lying, "word/document.xml")
    with zipfile.ZipFile(lying) as z:
        assert z.getinfo("word/document.xml").file_size == 100
    out = refused(lying, tmp_path)  # read no further than it declares, then its CRC fails
    assert "压缩包已损坏（校验和不符，文件内容被改动过）" in out


def test_a_docx_of_countless_empty_paragraphs_is_refused_before_it_is_parsed(
    tmp_path: Path,
) -> None:
    body = b"<w:document><w:body>" + b"<w:p/>" * 200_000 + b"</w:body></w:document>"
    f = _docx(tmp_path / "empty.docx", {"word/document.xml": body})
    assert "个段落，不像一份通知" in refused(f, tmp_path)


def test_a_broken_docx_says_why_in_chinese(tmp_path: Path) -> None:
    f = tmp_path / "broken.docx"
    f.write_bytes(b"PK\x03\x04" + b"\0" * 200)
    out = refused(f, tmp_path)
    assert "压缩包已损坏" in out and "（）" not in out
    none = _docx(tmp_path / "nobody.docx", {"word/other.xml": b"<x/>"})
    assert "没有正文（word/document.xml）" in refused(none, tmp_path)


def test_rowspan_to_infinity_is_clamped_and_wide_rows_refused(tmp_path: Path) -> None:
    page = tmp_path / "span.html"
    cells = "".join(f'<td rowspan="999999999">单位{i}</td>' for i in range(8))
    page.write_text(
        "<html><body><table><tr><td>序号</td><td>工作任务</td></tr>"
        f"<tr>{cells}</tr>" + "<tr></tr>" * 20_000 + "</table></body></html>",
        encoding="utf-8",
    )
    lines = read_notice(page)
    assert len(lines) <= 3  # the empty rows receive nothing; nothing is multiplied
    wide = tmp_path / "wide.html"
    wide.write_text(
        "<table><tr>" + "<td>x</td>" * (MAX_COLUMNS + 5) + "</tr></table>", encoding="utf-8"
    )
    assert f"超过 {MAX_COLUMNS} 列" in refused(wide, tmp_path)


def test_big5_is_read_and_shift_jis_refused(tmp_path: Path) -> None:
    """A Big5 notice (Hong Kong, Taiwan, old systems) is Chinese: read. Shift-JIS text
    decodes as GB18030 into plausible nonsense: refused, naming what was detected."""
    head = "\n".join(CQ_NOTICE.read_text(encoding="utf-8").splitlines()[:60])
    big5 = tmp_path / "big5.txt"
    big5.write_bytes(opencc.OpenCC("s2t").convert(head).encode("big5hkscs", errors="ignore"))
    draft = tmp_path / "big5.yaml"
    r = runner.invoke(app, ["import", str(big5), "--out", str(draft)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "重庆市人民政府办公厅" in draft.read_text(encoding="utf-8")
    sjis = tmp_path / "sjis.txt"
    text = (
        "東京都の政府は、新しい政策を発表しました。これは市民のためのものです。\n"
        "一、重点工作\n1.公開について、各部局が対応します。\n" * 20
    )
    sjis.write_bytes(text.encode("shift_jis"))
    out = refused(sjis, tmp_path)
    assert "不是中文文本" in out and "cp932" in out


@pytest.mark.parametrize("name", ["chongqing-2021.txt"])
def test_real_notices_are_far_inside_the_bounds(name: str) -> None:
    path = ROOT / "plans" / "notices" / name
    assert path.stat().st_size < MAX_TEXT_BYTES / 20


def test_a_plan_nested_fifty_thousand_deep_is_refused_with_its_line(tmp_path: Path) -> None:
    """PyYAML composes nested nodes by recursion: [[[[… 50,000 deep was a 1,004-line
    RecursionError. It is refused before composing, with its line, in Chinese; a plan's
    own depth is far inside the bound."""
    for name, text, line in (
        ("flat.yaml", "[" * 50_000, 1),
        ("task.yaml", "id: p\ntasks:\n  - units: " + "[" * 100 + "x" + "]" * 100 + "\n", 3),
    ):
        plan = tmp_path / name
        plan.write_text(text, encoding="utf-8")
        r = runner.invoke(app, ["plan", "validate", str(plan)], env={"COLUMNS": "200"})
        assert r.exit_code == 1
        assert f"{plan}:{line}: 错误" in r.output and "嵌套超过 64 层" in r.output
        assert "RecursionError" not in r.output and "Traceback" not in r.output
    ok = runner.invoke(app, ["plan", "validate", str(ROOT / "plans" / "zhongshan-2021.yaml")])
    assert "嵌套" not in ok.output
