"""Notices as offices send them in Word files: .docx read with python-docx, after a
streaming check that no part of the file inflates, or multiplies its elements, past
any real notice.

A .docx is a zip. Its declared sizes are whatever the sender wrote, so each part is
inflated here chunk by chunk and counted as it comes: the first part past its bound
stops the reading, before python-docx (which inflates and parses every part whole)
is asked to open the file.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from plans.notice import (
    Line,
    _clean,
    _clean_cell,
    text_lines,
    text_rows,
)
from plans.notice_limits import (
    MAX_DOCX_BYTES,
    MAX_DOCX_XML,
    MAX_LINES,
    NoticeProblem,
    size_mb,
)
from plans.text import reading_form

MAX_DOCX_TOTAL = 120 * 1024 * 1024  # every part together, pictures included, inflated
MAX_DOCX_PARTS = 2000  # a real .docx has a few dozen
# Tags in one XML part: a real notice's document.xml of 1 MB has about 60,000; a file
# of millions of empty paragraphs would cost python-docx gigabytes to build.
MAX_XML_TAGS = 1_500_000
MAX_PARAGRAPHS = 100_000  # empty ones included; a notice has a few thousand
CHUNK = 1 << 20


def _refuse(path: Path, why: str) -> NoticeProblem:
    return NoticeProblem(f"{path}: 不是可以读取的 {path.suffix.lower() or '.docx'} 文件：{why}")


def _count_part(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, total: int) -> int:
    """Inflate one part as a stream, refusing it at the first bound it passes; the
    running total of inflated bytes."""
    xml = info.filename.endswith((".xml", ".rels"))
    size = tags = paragraphs = 0
    tail = b""
    with z.open(info) as part:
        while chunk := part.read(CHUNK):
            size += len(chunk)
            total += len(chunk)
            if xml and size > MAX_DOCX_XML:
                raise _refuse(
                    path,
                    f"其中 {info.filename} 解压后超过 {size_mb(MAX_DOCX_XML)}"
                    "（真实的通知不到 1 MB），可能是压缩炸弹，拒绝读取",
                )
            if total > MAX_DOCX_TOTAL:
                raise _refuse(path, f"各部分解压后合计超过 {size_mb(MAX_DOCX_TOTAL)}，拒绝读取")
            if not xml:
                continue
            tags += chunk.count(b"<")
            seam = tail + chunk
            paragraphs += seam.count(b"<w:p>") + seam.count(b"<w:p ") + seam.count(b"<w:p/>")
            paragraphs -= tail.count(b"<w:p>") + tail.count(b"<w:p ") + tail.count(b"<w:p/>")
            tail = chunk[-6:]
            if tags > MAX_XML_TAGS:
                raise _refuse(
                    path,
                    f"其中 {info.filename} 有超过 {MAX_XML_TAGS:,} 个元素，不像一份通知，拒绝读取",
                )
            if paragraphs > MAX_PARAGRAPHS:
                raise _refuse(
                    path,
                    f"其中 {info.filename} 有超过 {MAX_PARAGRAPHS:,} 个段落，"
                    "不像一份通知，拒绝读取",
                )
    return total


def check_docx(path: Path) -> None:
    """Refuse a .docx too big on disk, or any part of which inflates or multiplies past
    any real notice (a zip bomb), before python-docx opens it. Every refusal says why."""
    size = path.stat().st_size
    if size > MAX_DOCX_BYTES:
        raise NoticeProblem(
            f"{path}: 文件有 {size_mb(size)}，超过 .docx 通知的上限 {size_mb(MAX_DOCX_BYTES)}"
        )
    check_zip(path, "word/document.xml", "Word/WPS")


def check_zip(path: Path, body: str, program: str) -> None:
    """An Office file (a zip of XML parts) inflated part by part as a stream and
    refused at the first bound it passes; ``body`` is the part it cannot lack."""
    again = f"请在 {program} 中重新另存为 {path.suffix.lower()}"
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            if len(parts) > MAX_DOCX_PARTS:
                raise _refuse(path, f"压缩包中有 {len(parts)} 个部分，超过上限 {MAX_DOCX_PARTS}")
            if not any(i.filename == body for i in parts):
                raise _refuse(path, f"没有正文（{body}）；请确认文件类型，或{again}")
            total = 0
            for info in parts:
                total = _count_part(z, info, path, total)
    except zipfile.BadZipFile as exc:
        raise _refuse(path, f"压缩包已损坏（{_zip_reason(exc)}）；{again}") from None
    except (OSError, EOFError, NotImplementedError, RuntimeError, zlib.error) as exc:
        raise _refuse(path, f"压缩包无法解压（{_zip_reason(exc)}）；{again}") from None


def _zip_reason(exc: BaseException) -> str:
    """What went wrong in a zip, in Chinese where the library's words are known."""
    text = str(exc)
    known = {
        "Bad CRC-32": "校验和不符，文件内容被改动过",
        "File is not a zip file": "不是 zip 格式",
        "Bad magic number": "文件头损坏",
        "encrypted": "文件已加密",
        "Truncated file header": "文件不完整",
        "compression method": "使用了不支持的压缩方式",
    }
    return (
        next((cn for en, cn in known.items() if en in text), None)
        or f"{type(exc).__name__}{'：' + text if text else ''}"
    )


def read_docx(path: Path) -> list[Line]:
    """Paragraphs and table rows of a .docx, in document order; a table row keeps its
    cells, one per grid column."""
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_docx(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # parts python-docx cannot make sense of
        raise _refuse(
            path,
            f"无法按 Word 文档解析（{type(exc).__name__}{'：' + str(exc) if str(exc) else ''}）",
        ) from None
    raw: list[tuple[int, str, list[str]]] = []
    labels: dict[int, str] = {}
    n = t = 0
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            n += 1
            if n > MAX_LINES:
                raise NoticeProblem(f"{path}: 超过 {MAX_LINES} 段文字和表格行，不像一份通知")
            # blank paragraphs kept: a table pasted as text parts its cells by them
            raw.append((n, reading_form(Paragraph(block, document).text), []))
            labels[n] = f"第{n}段"
        elif tag == "tbl":
            t += 1
            for r, row in enumerate(Table(block, document).rows, start=1):
                # One cell per grid column, so columns stay aligned with the header. A
                # cell merged down repeats its text in each row (a lead spanning rows);
                # a cell merged across leaves the columns it covers empty.
                grid = row.cells
                cells = [
                    reading_form(_clean_cell(c.text))
                    if k == 0 or c._tc is not grid[k - 1]._tc
                    else ""
                    for k, c in enumerate(grid)
                ]
                if not any(cells):
                    continue
                n += 1
                if n > MAX_LINES:
                    raise NoticeProblem(f"{path}: 超过 {MAX_LINES} 段文字和表格行，不像一份通知")
                labels[n] = f"表{t}第{r}行"
                if len(grid) > 1 and all(c._tc is grid[0]._tc for c in grid):
                    # a row merged across the whole table: a heading, read as a line of text
                    raw.append((n, reading_form(_clean(grid[0].text)), []))
                else:
                    raw.append((n, " | ".join(cells), cells))
    # the paragraphs are text as a .txt gives it: a table pasted as text into the
    # document, or a web page's body pasted as one paragraph, is read as there
    return text_lines(text_rows(_tabs_set_out(raw)), labels.__getitem__)


def _tabs_set_out(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """In a document a tab sets words out on the line (a signature pushed right, 牵头单位：X
    and 责任单位：Y side by side); only rows of a table pasted as text, one paragraph after
    another, part their cells by tabs."""
    text = [t.strip("\t") if not row else t for _, t, row in raw]
    tabbed = [not row and "\t" in t for t, (_, _, row) in zip(text, raw, strict=True)]
    out = []
    for k, (no, _, row) in enumerate(raw):
        t = text[k]
        if tabbed[k] and not (k and tabbed[k - 1]) and not (k + 1 < len(raw) and tabbed[k + 1]):
            t = re.sub(r"\t+", " ", t)
        out.append((no, t, row))
    return out
