"""Tables drawn with box characters, as law databases and older text exports give a notice's
分工表 (┌─┬─┐ │ ├─┼─┤ └─┴─┘, their heavy and double forms, or ASCII +--+ and |).

Each drawn table is read back into rows of cells, as a Word table's rows come, so that the
table reader places the cells by the header's columns. A drawing shows merged cells by where
it draws a cell's border: a 牵头单位 cell covering several task rows has no border between
them. The rows are the cells of the task column (the column most borders part), a cell
listing several bulleted tasks (△…, ▲…) one row each; a merged cell's text is given to every
row it spans, as read_docx gives a merged-down Word cell.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass

Raw = list[tuple[int, str, list[str]]]

_EDGE = "│┃║├┝┠┣╟╞╠┤┥┨┫╢╡╣┼┿╂╋╫╪╬┌┍┎┏╓╒╔┐┑┒┓╖╕╗└┕┖┗╙╘╚┘┙┚┛╜╛╝┬┭┮┯┰┱┲┳╥╤╦┴┵┶┷┸┹┺┻╨╧╩"
_RULE = "─━═┄┅┈┉╌╍"
# a line of a drawn table: it opens at the table's left edge (an ASCII one with + or |)
_DRAWN = re.compile(rf"^\s*[{_EDGE}]")
_ASCII = re.compile(r"^\s*(?:\+[-=+| ]*[-=]{3,}[-=+| ]*\+|\|.*\|)\s*$")
_SEP = re.compile(rf"[{_EDGE}]")
_BOTTOM = re.compile(r"^\s*[└┕┖┗╙╘╚]")
_ASCII_SEP = re.compile(r"[|+]")
_BORDER_PIECE = re.compile(rf"^\s*[{_RULE}]+\s*$")
_ASCII_BORDER = re.compile(r"^\s*[-=]{3,}\s*$")
# a task listed in a cell among others: △进一步调整…, ▲加强…
_BULLET = re.compile(r"^\s*[△▲●■◆◇○□★☆•·※]")


@dataclass
class _Cell:
    start: int  # where the cell begins in the drawing: the line after the rule above it
    lines: list[tuple[int, str]]  # (index, text) of its content lines

    @property
    def text(self) -> str:
        return "".join(t.strip() for _, t in self.lines)


def _pieces(line: str, ascii_drawn: bool) -> list[str]:
    """The columns' pieces of a drawn line, left edge to right edge."""
    parts = (_ASCII_SEP if ascii_drawn else _SEP).split(line.strip())
    if len(parts) >= 2 and not parts[0].strip():
        parts = parts[1:]
    if parts and not parts[-1].strip():
        parts = parts[:-1]
    return parts


def _runs(raw: Raw) -> list[tuple[int, int, bool]]:
    """(first, end, ascii) of every drawn table: a run of drawn lines holding a border."""
    out = []
    k = 0
    while k < len(raw):
        ascii_drawn = bool(_ASCII.match(raw[k][1])) and raw[k][1].strip().startswith("+")
        opens = _DRAWN if not ascii_drawn else _ASCII
        if raw[k][2] or not opens.match(raw[k][1]):
            k += 1
            continue
        end = k
        while end < len(raw) and not raw[end][2] and opens.match(raw[end][1]):
            end += 1
            if _BOTTOM.match(raw[end - 1][1]):
                break  # └─┴─┘ closes the table: a drawing below it is another
        if end - k >= 3:
            out.append((k, end, ascii_drawn))
        k = end
    return out


def _columns(pieces: list[list[str]]) -> int:
    """The table's number of columns: what most of its lines part into."""
    counts = Counter(len(p) for p in pieces if len(p) > 1)
    return max(counts, key=lambda n: (counts[n], n), default=0)


def _table(raw: Raw, first: int, end: int, ascii_drawn: bool) -> Raw | None:
    lines = [raw[k][1] for k in range(first, end)]
    pieces = [_pieces(t, ascii_drawn) for t in lines]
    width = _columns(pieces)
    border = _ASCII_BORDER if ascii_drawn else _BORDER_PIECE
    if width < 2:
        return None
    cells: list[list[_Cell]] = [[] for _ in range(width)]
    whole: list[int] = []  # lines a piece spans the whole table on (a heading row)
    for k, p in enumerate(pieces):
        # in ASCII only a line opening with + draws rules (a cell's "--" says none)
        ruled = not ascii_drawn or lines[k].strip().startswith("+")
        rule = ruled and all(border.match(x) or not x.strip() for x in p)
        rule = rule and any(border.match(x) for x in p)
        if rule and len(p) != width:  # the table's top, bottom, or a rule across it
            for col in cells:
                col.append(_Cell(k + 1, []))
            continue
        if len(p) != width:
            if len(p) == 1 and p[0].strip():
                whole.append(k)
                for col in cells:
                    col.append(_Cell(k + 1, []))
                continue
            return None  # a row merged across some columns: not read as a drawing
        for c, x in enumerate(p):
            if ruled and border.match(x):
                cells[c].append(_Cell(k + 1, []))
            elif x.strip():
                if not cells[c]:
                    cells[c].append(_Cell(k, []))
                cells[c][-1].lines.append((k, x))
    # the task column: most cells, then most text
    filled = [[x for x in col if x.lines] for col in cells]
    key = max(range(width), key=lambda c: (len(filled[c]), sum(len(x.text) for x in filled[c]), -c))
    # a cell listing several tasks, each opening with a bullet (△…, ▲…), is a row a task
    # where most of the column's cells open so; a cell or two with bullets lists points
    body = filled[key][1:]
    marked = sum(bool(_BULLET.match(x.lines[0][1])) for x in body)
    bulleted = len(body) >= 2 and 2 * marked >= len(body)
    rows: list[tuple[int, int, str]] = []  # (first line, last line, key text)
    for cell in filled[key]:
        parts: list[list[tuple[int, str]]] = []
        for k, t in cell.lines:
            if not parts or (bulleted and _BULLET.match(t) and parts[-1]):
                parts.append([])
            parts[-1].append((k, t))
        for n, part in enumerate(parts):
            last = parts[n + 1][0][0] - 1 if n + 1 < len(parts) else part[-1][0]
            rows.append((part[0][0], last, "".join(t.strip() for _, t in part)))
    out: Raw = []
    head_done = False
    starts = [[x.start for x in col] for col in cells]
    # the rows and the headings across the table, in the drawing's order
    entries = sorted([(k, None) for k in whole] + [(r[0], r) for r in rows], key=lambda e: e[0])
    for k, entry in entries:
        no = raw[first + k][0]
        if entry is None:
            out.append((no, _clean_piece(pieces[k][0]), []))
            continue
        start, last, key_text = entry
        row = [
            _clean_piece(key_text) if c == key else _cell_text(cells[c], starts[c], start, last)
            for c in range(width)
        ]
        if head_done and bulleted and not _BULLET.match(key_text):
            out.append((no, row[key], []))  # a group's heading among bulleted tasks
            continue
        head_done = True
        out.append((no, " | ".join(row), row))
    return out


def _cell_text(col: list[_Cell], starts: list[int], start: int, last: int) -> str:
    """What a column holds beside the task lines start..last: the cells drawn there, and
    a cell merged down over them from above (no rule between). A cell its rules close
    empty is empty, never the text of the cell above it."""
    found: list[str] = []
    j = bisect_right(starts, last) - 1
    while j >= 0:
        cell = col[j]
        if j + 1 < len(col) and starts[j + 1] - 1 < start:
            break  # this cell and those above end before the row
        beside = any(start <= k <= last for k, _ in cell.lines)
        if cell.lines and (beside or cell.start <= start):
            found.append(cell.text)
        j -= 1
    return _clean_piece("，".join(reversed(found)))


def _clean_piece(text: str) -> str:
    return _BULLET.sub("", text).strip()


def drawn_tables(raw: Raw) -> Raw:
    """Every drawn table of a text read back into rows of cells; other lines as they are."""
    runs = _runs(raw)
    if not runs:
        return raw
    out: Raw = []
    k = 0
    for first, end, ascii_drawn in runs:
        out.extend(raw[k:first])
        table = _table(raw, first, end, ascii_drawn)
        out.extend(table if table is not None else raw[first:end])
        k = end
    out.extend(raw[k:])
    return out
