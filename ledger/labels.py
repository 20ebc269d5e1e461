"""Chinese labels of the ledger's codes, for pages, the CLI and the 台账.

Code branches on codes (``Report.progress == "done"``), never on these texts.
"""

from __future__ import annotations

# A milestone's status as of a moment: its stored state refined by its deadline
# (``ledger.queries.milestone_status``), and the words the 台账 and every page use.
STATUS_LABELS = {
    "waiting": "待事件",
    "reported": "待审核",
    "done": "已销号",
    "archived": "已归档",
    "rectifying": "整改中",
    "rectifying_late": "整改逾期",
    "pending": "未到期",
    "near": "临近期限",
    "late": "已逾期",
}
LATE_STATUSES = frozenset({"late", "rectifying_late"})  # past due and not done

PROGRESS_LABELS = {"done": "已完成", "ongoing": "推进中", "not_started": "未开展"}
STANDING_KIND = "持续推进任务"  # the 台账's category of a task with no date of its own
DATED_KIND = "任务"


def progress_code(text: str) -> str | None:
    """A progress state as a unit or a spreadsheet writes it (code or label), or None."""
    text = text.strip()
    if text in PROGRESS_LABELS:
        return text
    return next((code for code, label in PROGRESS_LABELS.items() if label == text), None)
