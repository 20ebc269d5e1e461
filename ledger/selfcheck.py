"""The 自查表: a unit answers for every standing task it holds in one form.

A standing task (持续推进, no date of its own) owes progress at each of the plan's
checks: one milestone per unit and round. At a check a unit holding 36 such tasks
files one 自查表, a row per task, instead of 36 reports; each row that is answered
stops its own escalation. The unit's page (``/u/<token>``), ``duban report`` with
several ``--task`` or a ``--rows`` sheet, and the tests all come through here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import evidence
from ledger.labels import LATE_STATUSES, PROGRESS_LABELS, REVIEW_NAMES, STATUS_LABELS, progress_code
from ledger.models import OPEN_STATES, Assignment, Item, Milestone, Plan, Report
from ledger.queries import milestone_status, soon_after
from ledger.reports import ActionError, Recorded, record_report, review_report
from plans.compile import ASSIGNMENT_ROLES
from plans.duerules import end_of_day
from plans.text import decode_chinese
from plans.workdays import WorkCalendar


@dataclass(frozen=True)
class SelfCheckRow:
    """One task of a unit's 自查表 in the current round."""

    milestone_id: int
    item_key: str
    title: str
    section: str
    role: str  # 牵头 / 责任 / 配合
    due_date: dt.date | None
    state: str  # the milestone's state code
    status: str  # as of the form's moment: a code of ledger.labels.STATUS_LABELS
    last_progress: str  # the unit's latest word on the task (any round): 推进中 …
    last_text: str
    last_review: str
    last_at: dt.datetime | None

    @property
    def label(self) -> str:
        """The status as the 台账 says it (未到期, 已逾期, 待审核 …)."""
        return STATUS_LABELS[self.status]

    @property
    def css(self) -> str:
        """The page's colour class of the status."""
        if self.status in LATE_STATUSES:
            return "late"
        return {"near": "near", "done": "done"}.get(self.status, "wait")

    @property
    def editable(self) -> bool:
        return self.state in OPEN_STATES


@dataclass
class SelfCheck:
    """One plan's 自查表 for one unit: the round's rows, in plan order."""

    plan_key: str
    plan_title: str
    doc_no: str | None
    occurrence: str
    due_date: dt.date | None
    rows: list[SelfCheckRow] = field(default_factory=list)
    near: bool = True  # due within NEAR_WORKDAYS (or late): the page shows it open

    @property
    def open_count(self) -> int:
        return sum(1 for r in self.rows if r.editable)


def selfchecks(
    session: Session, unit_id: int, at: dt.datetime, cal: WorkCalendar | None = None
) -> list[SelfCheck]:
    """The unit's 自查表 of each plan: the round (occurrence) of its earliest open
    progress milestone, every standing task of the unit in that round. Reads only the
    unit's own rows (the (unit_id, state) index), whatever the plan's size."""
    rows = session.execute(
        select(
            Milestone.id,
            Milestone.assignment_id,
            Milestone.occurrence,
            Milestone.due_date,
            Milestone.due_at,
            Milestone.state,
            Milestone.plan_id,
            Item.key,
            Item.title,
            Item.section,
            Item.seq,
            Assignment.role,
        )
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(
            Milestone.unit_id == unit_id,
            Milestone.state != "archived",
            Item.standing,
            Item.archived_at.is_(None),
        )
    ).all()
    rounds: dict[int, tuple[dt.datetime, str]] = {}
    for r in rows:
        if r.state in OPEN_STATES and r.due_at is not None:
            best = rounds.get(r.plan_id)
            if best is None or (r.due_at, r.occurrence) < best:
                rounds[r.plan_id] = (r.due_at, r.occurrence)
    if not rounds:
        return []
    plans = {
        p.id: p
        for p in session.execute(
            select(Plan.id, Plan.key, Plan.title, Plan.doc_no).where(Plan.id.in_(rounds))
        )
    }
    soon = soon_after(at, cal) if cal is not None else None
    near = _near_until(at, cal) if cal is not None else None
    latest: dict[int, Report] = {}
    for report in session.scalars(
        select(Report)
        .where(
            Report.unit_id == unit_id,
            Report.kind == "progress",
            Report.assignment_id.in_({r.assignment_id for r in rows}),
        )
        .order_by(Report.submitted_at, Report.id)
    ):
        latest[report.assignment_id] = report
    out: dict[int, SelfCheck] = {}
    for r in sorted(rows, key=lambda r: r.seq):
        current = rounds.get(r.plan_id)
        if current is None or r.occurrence != current[1]:
            continue
        p = plans[r.plan_id]
        form = out.setdefault(
            r.plan_id,
            SelfCheck(
                p.key,
                p.title,
                p.doc_no,
                current[1],
                r.due_date,
                near=near is None or current[0] <= near,
            ),
        )
        last = latest.get(r.assignment_id)
        form.rows.append(
            SelfCheckRow(
                r.id,
                r.key,
                r.title,
                " / ".join(r.section),
                ASSIGNMENT_ROLES.get(r.role, r.role),
                r.due_date,
                r.state,
                milestone_status(r.state, r.due_at, at, soon),
                PROGRESS_LABELS.get(last.progress or "", "") if last else "",
                last.text if last else "",
                review_text(last),
                last.submitted_at if last else None,
            )
        )
    return list(out.values())


NEAR_WORKDAYS = 10  # a round due within this many working days is shown open


def _near_until(at: dt.datetime, cal: WorkCalendar) -> dt.datetime:
    today = pendulum.instance(at).in_timezone("Asia/Shanghai").date()
    return end_of_day(cal.add_workdays(today, NEAR_WORKDAYS), "Asia/Shanghai").in_timezone("UTC")


def review_text(r: Report | None) -> str:
    """The coordinator's word on a report, with its comment (已采纳：… / 已退回：…)."""
    if r is None:
        return ""
    word = REVIEW_NAMES.get(r.review_state, r.review_state)
    return word + (f"：{r.review_comment}" if r.review_comment else "")


@dataclass
class ProgressEntry:
    """One answered row: where the task stands, what was done, the evidence."""

    item_key: str
    progress: str  # done | ongoing | not_started
    text: str
    urls: list[str] = field(default_factory=list)
    files: list[Path | evidence.Upload] = field(default_factory=list)
    occurrence: str | None = None
    label: str = ""  # how the row is named in an error (第3行, a task's title …)


def record_progress(
    session: Session,
    *,
    plan_key: str,
    unit_name: str,
    entries: list[ProgressEntry],
    evidence_dir: Path,
    actor: str,
    now: dt.datetime | None = None,
    max_bytes: int = evidence.MAX_FILE_BYTES,
) -> list[Recorded]:
    """Record a 自查表's answered rows, all or none: an error names its row, and the
    caller's transaction rolls every row back."""
    if not entries:
        raise ActionError("自查表没有填写任何一行：请至少为一项任务选择进展并填写说明")
    done: list[Recorded] = []
    for e in entries:
        try:
            done.append(
                record_report(
                    session,
                    plan_key=plan_key,
                    unit_name=unit_name,
                    item_key=e.item_key,
                    text=e.text,
                    urls=e.urls,
                    files=e.files,
                    evidence_dir=evidence_dir,
                    actor=actor,
                    now=now,
                    occurrence=e.occurrence,
                    progress=e.progress,
                    max_bytes=max_bytes,
                )
            )
        except ActionError as exc:
            raise ActionError(
                f"{e.label or e.item_key}：{exc}（本次填写均未保存，请改正后重新提交）"
            ) from exc
    return done


ROW_COLUMNS = {
    "任务": ("任务编号", "任务", "编号", "task"),
    "进展": ("进展", "进展情况", "状态", "progress"),
    "说明": ("报送说明", "工作进展", "说明", "完成情况", "text"),
    "链接": ("公开链接", "链接", "网址", "url"),
}


def read_rows(path: Path) -> list[ProgressEntry]:
    """A 自查表 filled in a spreadsheet (.xlsx or .csv): a header row naming the columns
    任务编号, 进展, 报送说明 and (optional) 公开链接, a row per task. Errors name the
    file, the row and the column."""
    rows = _sheet(path)
    if not rows:
        raise ActionError(f"{path}：文件是空的")
    header = [c.strip() for c in rows[0]]
    where: dict[str, int] = {}
    for name, aliases in ROW_COLUMNS.items():
        for i, h in enumerate(header):
            if h in aliases:
                where[name] = i
                break
    missing = [ROW_COLUMNS[n][0] for n in ("任务", "进展", "说明") if n not in where]
    if missing:
        raise ActionError(
            f"{path} 第1行：缺少列 {'、'.join(missing)}（表头应为 任务编号、进展、"
            "报送说明，可加 公开链接）"
        )
    out: list[ProgressEntry] = []
    for n, row in enumerate(rows[1:], start=2):

        def cell(name: str, row: list[str] = row) -> str:
            i = where.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        if not any(c.strip() for c in row):
            continue
        code = progress_code(cell("进展"))
        if code is None:
            raise ActionError(
                f"{path} 第{n}行 进展：{cell('进展')!r} 应为 " + "、".join(PROGRESS_LABELS.values())
            )
        url = cell("链接")
        if url and not url.startswith(("http://", "https://")):
            raise ActionError(
                f"{path} 第{n}行 公开链接：{url!r} 不是以 http:// 或 https:// 开头的网址"
            )
        out.append(
            ProgressEntry(
                cell("任务"), code, cell("说明"), [url] if url else [], label=f"{path} 第{n}行"
            )
        )
    return out


def _sheet(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return list(csv.reader(io.StringIO(decode_chinese(path.read_bytes()))))
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        rows = [
            ["" if c is None else str(c) for c in r]
            for r in wb.worksheets[0].iter_rows(values_only=True)
        ]
        wb.close()
        return rows
    raise ActionError(f"{path}：只支持 .xlsx 或 .csv 的自查表")


def review_selfcheck(
    session: Session,
    decisions: list[tuple[int, bool, str]],
    *,
    new_due: dt.date | None,
    cal: WorkCalendar,
    actor: str,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """A unit's 自查表 reviewed at once: each row accepted (销号) or returned for 整改 with
    the one deadline given; all or none. Returns (accepted, returned)."""
    if not decisions:
        raise ActionError("没有选择要审核的报送")
    if any(not accept for _, accept, _ in decisions) and new_due is None:
        raise ActionError("有退回整改的行：请给出整改期限")
    for rid, accept, comment in decisions:
        try:
            review_report(
                session,
                rid,
                accept=accept,
                comment=comment,
                new_due=new_due,
                cal=cal,
                actor=actor,
                now=now,
            )
        except ActionError as exc:
            raise ActionError(f"报送 {rid}：{exc}（本次审核均未保存）") from exc
    returned = sum(1 for _, accept, _ in decisions if not accept)
    return len(decisions) - returned, returned
