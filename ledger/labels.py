"""Chinese labels of the ledger's codes, for pages, the CLI and the 台账.

Code branches on codes (``Report.progress == "done"``), never on these texts.
"""

from __future__ import annotations

PROGRESS_LABELS = {"done": "已完成", "ongoing": "推进中", "not_started": "未开展"}
STANDING_KIND = "持续推进任务"  # the 台账's category of a task with no date of its own
DATED_KIND = "任务"


def progress_code(text: str) -> str | None:
    """A progress state as a unit or a spreadsheet writes it (code or label), or None."""
    text = text.strip()
    if text in PROGRESS_LABELS:
        return text
    return next((code for code, label in PROGRESS_LABELS.items() if label == text), None)
