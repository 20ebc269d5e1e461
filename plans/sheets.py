"""Spreadsheets an office prints and files as they are.

Every export duban writes (the unit directory, the 台账) shares one shape: a
title row, a bold header frozen under it, columns as wide as their content,
an autofilter, and A4 landscape print setup with the header repeated on every
page. Widths count a CJK character as two, as Excel does.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

MIN_WIDTH, MAX_WIDTH = 6, 48
# A cell starting with one of these is a formula to Excel and WPS (=HYPERLINK(…) that
# sends the sheet away, +cmd|…, @SUM(…)): text from users is never written as one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value for a CSV cell: text that a spreadsheet would run as a formula gets a
    leading apostrophe (the usual guard; ``uncsv_cell`` takes it off again)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def uncsv_cell(text: str) -> str:
    """The text ``csv_cell`` guarded, as it was."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def display_width(text: str) -> int:
    """Columns a text takes in Excel: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_sheet(
    path: Path, *, title: str, sheet: str, header: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    """One sheet: title row, frozen bold header, fitted widths, A4 landscape."""
    from openpyxl import Workbook  # only exports need it
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.header_footer import HeaderFooterItem
    from openpyxl.worksheet.properties import PageSetupProperties

    thin = Side(style="thin", color="999999")
    wb = Workbook()
    ws = wb.worksheets[0]  # a new workbook holds one sheet, the active one
    ws.title = sheet[:31]
    ncols = max(len(header), 1)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="left", vertical="center")
    ws.row_dimensions[1].height = 24
    ws.append(list(header))
    for col in range(1, ncols + 1):
        cell = ws.cell(2, col)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for r in rows:
        ws.append(["" if v is None else v for v in r])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"  # text, never a live formula
    widths = [display_width(str(h)) for h in header]
    for r in rows:
        for i, v in enumerate(r[:ncols]):
            widths[i] = max(widths[i], display_width("" if v is None else str(v)))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, MIN_WIDTH), MAX_WIDTH)
    for row in ws.iter_rows(min_row=3, max_row=ws.max_row):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(ncols)}{max(ws.max_row, 2)}"
    ws.print_title_rows = "1:2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    # The page setup and footer parts are set whole: a new sheet's defaults are empty
    # ones, which the stubs type as optional.
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    footer = HeaderFooterItem()
    footer.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter = footer
    wb.save(path)
