"""A saved web page's text: paragraphs as lines, a data table's rows as rows with their
cells, scripts, styles and navigation dropped.
"""

from __future__ import annotations

from html.parser import HTMLParser

from plans.notice_limits import MAX_COLUMNS, MAX_ROWSPAN, NoticeProblem

BLOCK = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "td",
    "th",
    "section",
    "article",
    "title",
}
SKIP = {"script", "style", "noscript", "head", "nav", "footer", "select", "option"}


class PageText(HTMLParser):
    """Text lines of a page; a data table's row becomes one line with its cells, with
    ``rowspan`` cells carried down as in .docx. A layout table (a cell holding
    paragraphs) is read as the paragraphs it holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str, list[str]]] = []
        self.buf: list[str] = []
        self.start = 1
        self.skip = 0
        # open rows (nested tables stack): the cells so far, each a list of its lines
        self.rows: list[list[list[tuple[int, str]]]] = []
        self.cell: list[tuple[int, str]] | None = None
        self.cells_open: list[list[tuple[int, str]] | None] = []
        self.span: dict[int, tuple[int, str]] = {}  # column → (rows left, text)
        self.rowspan = 1
        self.row_start = 1

    def flush(self) -> None:
        text = "".join(self.buf).strip()
        if text and self.cell is not None:
            self.cell.append((self.start, text))
        elif text:
            self.lines.append((self.start, text, []))
        self.buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skip += 1
        if tag in BLOCK:
            self.flush()
        if self.skip:
            return
        if tag == "tr":
            self.rows.append([])
            self.cells_open.append(self.cell)
            self.cell = None
            self.row_start = self.getpos()[0]
        elif tag in ("td", "th") and self.rows:
            self.cell = []
            span = dict(attrs).get("rowspan") or "1"
            # a span past any real table is clamped (rows that never come are not made)
            self.rowspan = min(int(span), MAX_ROWSPAN) if span.isdigit() else 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP and self.skip:
            self.skip -= 1
        if tag in BLOCK:
            self.flush()
        if self.skip:
            return
        if tag in ("td", "th") and self.rows and self.cell is not None:
            row = self.rows[-1]
            self._carry(row)
            if len(row) >= MAX_COLUMNS:
                raise NoticeProblem(
                    f"表格一行超过 {MAX_COLUMNS} 列（第 {self.getpos()[0]} 行），不像通知中的表格"
                )
            if self.rowspan > 1:
                self.span[len(row)] = (self.rowspan - 1, " ".join(t for _, t in self.cell))
            row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.rows:
            row = self.rows.pop()
            if row:  # an empty row holds nothing of its own: spans do not flow into it
                self._carry(row)
            self.span = {k: v for k, v in self.span.items() if v[0] > 0}
            self.cell = self.cells_open.pop()
            self._emit(row)

    def _carry(self, row: list[list[tuple[int, str]]]) -> None:
        """Fill the columns a cell from a row above spans into (``rowspan``)."""
        while len(row) in self.span:
            left, text = self.span[len(row)]
            row.append([(self.row_start, text)])
            self.span[len(row) - 1] = (left - 1, text)

    def _emit(self, row: list[list[tuple[int, str]]]) -> None:
        """A closed row: into the enclosing cell of a nested table, else onto the page."""
        if len(row) >= 2 and all(len(c) <= 1 for c in row):
            texts = [c[0][1] if c else "" for c in row]
            no = next((c[0][0] for c in row if c), self.row_start)
            out = [(no, " | ".join(texts), texts)]
        else:  # a layout table: its cells hold the page's paragraphs
            out = [(no, text, []) for cell in row for no, text in cell]
        if self.cell is not None:
            self.cell.extend((no, text) for no, text, _ in out)
        else:
            self.lines.extend(out)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.buf:
            self.start = self.getpos()[0]
        for i, part in enumerate(data.split("\n")):
            if i:
                self.flush()
                self.start = self.getpos()[0] + i
            self.buf.append(part)
