"""What any notice file may hold before it is refused, and the error that says so.

Shared by every reader (text, web page, Word, PDF, spreadsheet), so that a hostile file
meets the same bounds whatever its form.
"""

from __future__ import annotations


class NoticeProblem(ValueError):
    """The file cannot be read as a notice; the message names it and says why."""


# Bounds no real notice reaches (the longest seed is 48 KB, 600 lines, 174 items, tables of
# 5 columns): a file past them is refused before it costs minutes and gigabytes.
MAX_TEXT_BYTES = 8 * 1024 * 1024  # .txt / .html on disk
MAX_DOCX_BYTES = 30 * 1024 * 1024  # .docx on disk (pictures included)
MAX_DOCX_XML = 40 * 1024 * 1024  # any XML part of a .docx once inflated
MAX_LINES = 40_000
MAX_COLUMNS = 64
MAX_ROWSPAN = 1000


def size_mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"
