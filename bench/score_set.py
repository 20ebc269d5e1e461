"""Score the importer on a set of notices and show only the totals, so that a held-out set
can measure the importer without its developers seeing how each held-out notice is read.

    python bench/score_set.py GOLD_DIR NOTICE [NOTICE ...] [--per-notice] [--one-line[=none]]
                              [--pdf-copy[=COLUMNS]] [--office=docx|pdf|doc|xlsx] [--doubled]

Each notice is imported with ``.venv/bin/duban import NOTICE --json OUT`` into a temporary
directory, and ``shared/eval/score.py`` scores the results against the gold readings
``GOLD_DIR/<stem>.yaml`` of the notices given (and of no others). By default only score.py's
TOTAL line is printed; ``--per-notice`` prints its row for every notice as well. Use it on
development notices only: tests/notices/holdout/README.md says why.

``--one-line`` first rewrites each notice (.txt) the way a web archive or a crawler stores a
page (shared/eval/real/README.md, "as-found"): the header lines stay (``标题: …`` lines up to
a ``==== 正文 ====`` rule, or leading ``key: value`` lines), and the whole body goes on one
line, its lines joined by a space (``--one-line=none``: by nothing). Comparing the two runs
measures how much the importer depends on the line breaks a notice happens to keep.

``--pdf-copy`` rewrites each notice (.txt) the way text copied out of a PDF comes: every
prose line broken where it reaches the page's right margin, COLUMNS wide (default 56: the
28 characters of a 公文 page, a CJK character counting two). Table rows are left as they
are (a tab, a bar or a run of spaces between cells, or a row's continuation far indented),
and so is everything from a table given one cell per line (a header of column names such
as 序号 / 工作任务 / 责任单位) on, a line of 400 characters or more (an archive's whole
body: a PDF never held one) and a saved web page with its tags.

``--office=docx`` rewrites each notice (.txt) as the Word document an office receives
(``bench/office_copy.py``: rows whose cells a tab or a bar parts become a Word table),
``--office=pdf`` as the PDF LibreOffice prints from that document, ``--office=doc`` as that
document saved by LibreOffice as an old Word file, ``--office=xlsx`` as the notice pasted
into a spreadsheet (a paragraph a row, a table row across the columns). A saved web page
stays as it is.

``--doubled`` writes every line break of each notice (.txt) twice, as a web page copied
with a blank line after each paragraph gives it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

from opencc import OpenCC

sys.path.insert(0, str(Path(__file__).resolve().parent))
from office_copy import convert, is_page, write_docx, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
SCORE = ROOT.parent / "shared" / "eval" / "score.py"
DUBAN = ROOT / ".venv" / "bin" / "duban"
_T2S = OpenCC("t2s")  # a traditional notice's column names (責任單位) read as simplified

# An archive's own header: a "==== 正文 ====" rule ends it; without one, leading
# "字段: 值" lines of the kinds archives write (shared/eval/real/as-found) are the header.
_BODY_RULE = re.compile(r"^=+\s*正文\s*=+\s*$")
_HEADER_LINE = re.compile(
    r"^(标题|发布时间|文号|发布机构|栏目|原文链接|本地目录|来源|索引号)\s*[:：]"
)


def one_line(text: str, glue: str) -> str:
    """The notice as an archive keeps it: header lines, then the body on a single line."""
    lines = text.splitlines()
    rule = next((i for i, line in enumerate(lines) if _BODY_RULE.match(line)), None)
    if rule is not None:
        head, body = lines[: rule + 1], lines[rule + 1 :]
    else:
        n = 0
        while n < len(lines) and _HEADER_LINE.match(lines[n]):
            n += 1
        head, body = lines[:n], lines[n:]
    joined = glue.join(line.strip() for line in body if line.strip())
    return "\n".join([*head, joined]) + "\n"


# a table's row: cells set apart by a tab, a bar or a run of spaces, or a row's wrapped
# cell far indented; a column name alone on its line starts a table of one cell per line
_ROW = re.compile(r"\t|\||\S {2,}\S|^ {12}")
_COLUMN_NAME = re.compile(
    r"^\s*(序号|编号|(?:\S\s?){0,6}(?:单位|部门|时限|时间|节点|任务|措施|内容|要求|范围|举措|事项|目标))\s*$"
)


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def pdf_copy(text: str, columns: int) -> str:
    """The notice as copied out of a PDF: prose lines broken at the page's margin. A
    saved web page (its tags kept) is no PDF copy and stays as it is."""
    if re.search(r"<(p|div|span|td|form|address)\b", text[:20000], re.I):
        return text
    lines = text.splitlines()
    simplified = [_T2S.convert(line) for line in lines]
    filled = [k for k, line in enumerate(simplified) if line.strip()]
    table = next(
        (
            k
            for n, k in enumerate(filled)
            if sum(bool(_COLUMN_NAME.match(simplified[j])) for j in filled[n : n + 6]) >= 3
        ),
        len(lines),
    )
    out: list[str] = []
    for k, line in enumerate(lines):
        if k >= table or len(line) >= 400 or _ROW.search(line):
            out.append(line)
            continue
        cur, width = "", 0
        for ch in line:
            if width + _width(ch) > columns:
                out.append(cur)
                cur, width = "", 0
            cur, width = cur + ch, width + _width(ch)
        out.append(cur)
    return "\n".join(out) + "\n"


def import_notice(notice: Path, out: Path) -> bool:
    """Import one notice to ``out/<stem>.json``; False when the importer wrote nothing."""
    target = out / f"{notice.stem}.json"
    subprocess.run(
        [str(DUBAN), "import", str(notice), "--json", str(target)],
        capture_output=True,
        check=False,
        cwd=out,
    )
    return target.exists()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold_dir", type=Path)
    ap.add_argument("notices", type=Path, nargs="+")
    ap.add_argument("--per-notice", action="store_true", help="print every notice's row too")
    ap.add_argument(
        "--one-line",
        nargs="?",
        const="space",
        choices=["space", "none"],
        help="join each notice's body into one line first (by a space, or by nothing)",
    )
    ap.add_argument(
        "--pdf-copy",
        nargs="?",
        const=56,
        type=int,
        metavar="COLUMNS",
        help="break each notice's prose lines at a page margin first (56: 28 characters)",
    )
    ap.add_argument(
        "--office",
        choices=["docx", "pdf", "doc", "xlsx"],
        help="rewrite each notice as a Word document first, as the PDF printed from it, as "
        "an old Word file saved from it, or pasted into a spreadsheet",
    )
    ap.add_argument(
        "--doubled",
        action="store_true",
        help="write every line break twice first (a web copy's blank line after each line)",
    )
    args = ap.parse_args(argv)

    if not SCORE.exists():
        print(f"score.py is missing: expected it at {SCORE}", file=sys.stderr)
        return 2
    if not DUBAN.exists():
        print(f"the importer is missing: expected {DUBAN} (is .venv set up?)", file=sys.stderr)
        return 2
    missing = [n for n in args.notices if not (args.gold_dir / f"{n.stem}.yaml").exists()]
    if missing:
        names = ", ".join(n.name for n in missing)
        print(f"no gold reading in {args.gold_dir} for: {names}", file=sys.stderr)
        return 2
    copies = (args.one_line, args.pdf_copy, args.office, args.doubled)
    if sum(map(bool, copies)) > 1:
        print(
            "--one-line, --pdf-copy, --office and --doubled are different copies: give one",
            file=sys.stderr,
        )
        return 2
    if any(copies) and any(n.suffix.lower() != ".txt" for n in args.notices):
        print(
            "--one-line, --pdf-copy, --office and --doubled rewrite text notices (.txt) only",
            file=sys.stderr,
        )
        return 2

    with tempfile.TemporaryDirectory(prefix="duban-score-set-") as tmp:
        work = Path(tmp)
        gold, preds, texts = work / "gold", work / "pred", work / "notices"
        for d in (gold, preds, texts):
            d.mkdir()
        failed: list[str] = []
        sources: list[tuple[Path, Path]] = []
        for notice in args.notices:
            # only the notices given are scored: score.py scores every gold file it finds
            shutil.copy(args.gold_dir / f"{notice.stem}.yaml", gold / f"{notice.stem}.yaml")
            source = notice
            if args.one_line:
                source = texts / notice.name
                glue = " " if args.one_line == "space" else ""
                source.write_text(one_line(notice.read_text(encoding="utf-8"), glue), "utf-8")
            elif args.doubled:
                source = texts / notice.name
                text = notice.read_text(encoding="utf-8")
                source.write_text(text.replace("\n", "\n\n"), "utf-8")
            elif args.pdf_copy:
                source = texts / notice.name
                text = notice.read_text(encoding="utf-8")
                source.write_text(pdf_copy(text, args.pdf_copy), "utf-8")
            elif args.office == "xlsx" and not is_page(text := notice.read_text(encoding="utf-8")):
                source = texts / f"{notice.stem}.xlsx"
                write_xlsx(text, source)
            elif args.office and not is_page(text := notice.read_text(encoding="utf-8")):
                source = texts / f"{notice.stem}.docx"
                write_docx(text, source)
            sources.append((notice, source))
        if args.office in ("pdf", "doc"):
            docs = [s for _, s in sources if s.suffix == ".docx"]
            convert(docs, texts, args.office)
            to = f".{args.office}"
            sources = [(n, s.with_suffix(to) if s.suffix == ".docx" else s) for n, s in sources]
        for notice, source in sources:
            if not import_notice(source.resolve(), preds):
                failed.append(notice.stem)
        result = subprocess.run(
            [sys.executable, str(SCORE), str(gold), str(preds)],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0 or not result.stdout.strip():
        print(f"score.py failed:\n{result.stderr}", file=sys.stderr)
        return 1
    lines = result.stdout.strip().splitlines()
    if args.per_notice:
        print("\n".join(lines))
        if failed:
            print(f"no JSON from the importer (scored as missing): {', '.join(failed)}")
    else:
        print(lines[-1])
        if failed:
            print(f"({len(failed)} of {len(args.notices)} notices gave no JSON)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
