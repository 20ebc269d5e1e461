"""The review queue: a plan's reports waiting for a coordinator, one report's decision, a
unit's whole 自查表 at once, and the evidence files a report carries.

A decision is made by the ledger function the CLI calls, audited as ``web:<user>``; it
takes a coordinator and the session's CSRF token (``Changing``, deps.py).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pendulum
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from ledger import board as boards
from ledger import config
from ledger.db import transaction
from ledger.labels import PROGRESS_LABELS
from ledger.models import Assignment, Item, Plan, Report
from ledger.reports import ActionError, review_report
from ledger.selfcheck import review_selfcheck
from web.deps import Changing, ChangingPlan, OnPlan, PlanPage, Signed
from web.documents import download
from web.pages import WebDep, local

router = APIRouter()


@router.get("/p/{key}/review", response_class=HTMLResponse)
def review_get(at: OnPlan, error: str = "", ok: str = "") -> Response:
    web = at.web
    with at.open() as (s, plan):
        pending = boards.review_queue(s, plan)
        by_unit: dict[str, list[boards.Pending]] = {}
        for p in pending:
            if p.report.kind == "progress" and p.report.milestone_id is not None:
                by_unit.setdefault(p.unit, []).append(p)
        sheets = {u: rows for u, rows in by_unit.items() if len(rows) > 1}
        pending = [p for p in pending if not any(p in rows for rows in sheets.values())]
        today = pendulum.instance(web.clock()).in_timezone(plan.timezone).date()
        return web.page(
            "review.html.j2",
            title=f"审核：{plan.title}",
            signed=at.who,
            plan=plan,
            pending=pending,
            sheets=sheets,
            error=error,
            ok=ok,
            progress_labels=PROGRESS_LABELS,
            default_due=(today + dt.timedelta(days=14)).isoformat(),
            local=local,
        )


@router.post("/reviews/{report_id}", response_model=None)
def review_post(
    report_id: int,
    who: Changing,
    web: WebDep,
    decision: str = Form(""),
    comment: str = Form(""),
    due: str = Form(""),
) -> Response:
    key = ""
    try:
        with transaction(web.ledger) as s:
            report = s.get(Report, report_id)
            if report is None:
                return web.refuse(404, f"没有编号为 {report_id} 的报送。", who)
            key = s.get_one(Plan, s.get_one(Item, report.assignment.item_id).plan_id).key
            if decision not in ("accept", "return"):
                raise ActionError("请选择“采纳（销号）”或“退回整改”")
            review_report(
                s,
                report_id,
                accept=decision == "accept",
                comment=comment,
                new_due=dt.date.fromisoformat(due) if due else None,
                cal=config.calendar(),
                actor=f"web:{who.user.name}",
                now=web.clock(),
            )
    except (ActionError, ValueError) as exc:
        return RedirectResponse(f"/p/{key}/review?error={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/p/{key}/review?ok={report_id}", status_code=303)


@router.post("/p/{key}/reviews", response_model=None)
async def review_many_post(request: Request, at: ChangingPlan) -> Response:
    """A unit's whole 自查表 reviewed at once: a decision (and comment) per row."""
    form = await request.form()
    return await run_in_threadpool(_review_many, at, form)


def _review_many(at: PlanPage, form: FormData) -> Response:
    web, who, key = at.web, at.who, at.key
    decisions = [
        (int(name[2:]), str(value) == "accept", str(form.get(f"c_{name[2:]}") or "").strip())
        for name, value in form.multi_items()
        if name.startswith("d_") and name[2:].isdigit() and value
    ]
    due = str(form.get("due") or "")
    try:
        with at.open() as (s, plan):
            ids = [rid for rid, _, _ in decisions]
            mine = (
                set(
                    s.scalars(
                        select(Report.id)
                        .join(Assignment)
                        .join(Item)
                        .where(Report.id.in_(ids), Item.plan_id == plan.id)
                    )
                )
                if ids
                else set()
            )
            if set(ids) - mine:
                return web.refuse(404, "所选报送不属于本计划。", who)
            accepted, returned = review_selfcheck(
                s,
                decisions,
                new_due=dt.date.fromisoformat(due) if due else None,
                cal=config.calendar(),
                actor=f"web:{who.user.name}",
                now=web.clock(),
            )
    except (ActionError, ValueError) as exc:
        return RedirectResponse(f"/p/{key}/review?error={quote(str(exc))}", status_code=303)
    said = f"采纳 {accepted} 项" + (f"，退回整改 {returned} 项" if returned else "")
    return RedirectResponse(f"/p/{key}/review?ok={quote(said)}", status_code=303)


@router.get("/files/{report_id}/{n}", response_model=None)
def evidence_file(report_id: int, n: int, who: Signed, web: WebDep) -> Response:
    with transaction(web.ledger) as s:
        report = s.get(Report, report_id)
        if report is None or not 0 <= n < len(report.files):
            return web.refuse(404, "没有这个附件。", who)
        stored = report.files[n]
    root = (config.files() / "evidence").resolve()
    path = (root / stored).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return web.refuse(404, "附件文件已不在数据目录中。", who)
    return download(path, path.name, "application/octet-stream")
