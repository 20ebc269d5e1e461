"""督查检查 now: each unit's completion as of a moment, the report as a document, and a
检查结果通知 to each lagging unit. The check flow, ``duban check``, the board's 检查
form and the simulator all run this."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pendulum
from sqlalchemy.orm import Session, sessionmaker

from documents.check_report import word_copy, write_check_report
from ledger import config
from ledger.checks import CheckReport, record_check, run_check
from ledger.db import transaction
from ledger.reports import get_plan, get_unit
from plans.workdays import WorkCalendar


@dataclass(frozen=True)
class Checked:
    report: CheckReport
    path: Path  # the report's Markdown; its .docx is beside it
    notices: int  # 检查结果通知 written
    plan_title: str


def check_now(
    factory: sessionmaker[Session],
    plan: str,
    now: pendulum.DateTime,
    cal: WorkCalendar,
    *,
    actor: str,
    units: list[str] | None = None,
    tasks: list[str] | None = None,
    notify: bool = True,
    folder: Path | None = None,
    word: bool = True,
) -> Checked:
    """Check ``plan`` as of ``now`` (only ``units``, named or by alias, and ``tasks`` when
    given), write the report into ``folder`` (the data directory's checks/ by default)
    with its Word copy unless ``word`` is False, and notify lagging units unless
    ``notify`` is False. Raises ``ActionError`` for an unknown plan or unit (units by name or
    alias, as ``get_unit`` finds them); ``tasks`` keys that match nothing select nothing."""
    folder = folder if folder is not None else config.files() / "checks"
    with transaction(factory) as s:
        p = get_plan(s, plan)
        names = [get_unit(s, u, p.jurisdiction).name for u in units or []] or None
        report = run_check(s, plan, now.in_timezone("UTC"), units=names, items=tasks or None)
        path = write_check_report(report, folder)
        sent = record_check(s, report, str(path), actor=actor, cal=cal, notify=notify)
        title = p.title
    if word:
        word_copy(path)
    return Checked(report, path, sent, title)
