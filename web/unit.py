"""The unit's side: ``/u/<token>`` shows the 催办单/督办单 the unit was sent (opening
the page records them 已阅; a named person 签收 each), its 自查表 (a row per standing
task in the current round, answered all at once or row by row) and its dated milestones
in every active plan, and takes a report (text, a 公开 link, files) or an extension request, which
stops the escalation exactly as ``duban report`` does and is audited as
``unit-link:<unit>``.

A token shows one unit's data and nothing else; an unknown one answers 404, an
expired or revoked one 410 with a page that says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from ledger import config
from ledger.acknowledge import acknowledge, mark_read, unit_documents
from ledger.db import transaction
from ledger.evidence import Upload
from ledger.labels import LATE_STATUSES, PROGRESS_LABELS, REVIEW_NAMES, STATUS_LABELS
from ledger.links import LinkError, open_link
from ledger.models import OPEN_STATES, Assignment, Item, Milestone, Plan, Report, Unit
from ledger.queries import latest_reports, milestone_status, soon_after
from ledger.reports import ActionError, record_report, request_extension
from ledger.selfcheck import ProgressEntry, record_progress, selfchecks
from web.pages import Web, WebDep, same, unit_csrf


def decision(r: Report | None) -> str:
    """The coordinator's word on the latest report, as the unit reads it."""
    if r is None:
        return ""
    if r.kind == "extension":
        verdict = {"accepted": "同意延期", "returned": "不同意延期"}.get(
            r.review_state, "延期申请待批复"
        )
        return verdict + (f"：{r.review_comment}" if r.review_comment else "")
    if r.review_state == "returned":
        return f"退回整改：{r.review_comment or '（无意见）'}；整改期限 {r.rectify_due_date or '—'}"
    return REVIEW_NAMES.get(r.review_state, r.review_state)


def next_step(m: Milestone, at: dt.datetime) -> str:
    if m.state == "reported":
        return "已报送，等待审核"
    if m.state == "done":
        return "已办结"
    if m.state == "waiting":
        return "待相关事件发生后开始计时"
    if m.due_at is not None and m.due_at <= at:
        return "已逾期，请尽快报送；逾期将依次发出催办、督办直至通报"
    return f"请于 {m.due_date} 前报送；若到期未报送，将发出催办"


def unit_page(
    web: Web,
    session: Session,
    unit: Unit,
    token: str,
    at: dt.datetime,
    message: str = "",
    error: str = "",
    status: int = 200,
    kept: dict[int, dict[str, str]] | None = None,
) -> HTMLResponse:
    """The unit's 自查表 of each plan (its standing tasks in the current round), then its
    dated work. Reads the unit's own rows only: plans come as their titles, never as
    their stored documents."""
    rows = session.execute(
        select(Milestone, Item.title, Plan.id, Plan.title, Plan.doc_no)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Plan, Plan.id == Milestone.plan_id)
        .where(
            Milestone.unit_id == unit.id, Milestone.state != "archived", Item.standing.is_(False)
        )
        .order_by(Plan.key, Milestone.due_at.nulls_last(), Item.seq)
    ).all()
    latest = latest_reports(session, [m.id for m, *_ in rows])
    soon = soon_after(at, config.calendar())
    plans: dict[int, dict[str, Any]] = {}
    open_rows = []
    documents = unit_documents(session, unit.id)
    for m, title, plan_id, plan_title, doc_no in rows:
        now_status = milestone_status(m.state, m.due_at, at, soon)
        r = latest.get(m.id)
        row = {
            "id": m.id,
            "title": title,
            "due": m.due_date or "待事件",
            "state": STATUS_LABELS[now_status],
            "css": "late"
            if now_status in LATE_STATUSES
            else "near"
            if now_status == "near"
            else "done"
            if now_status == "done"
            else "wait",
            "next": next_step(m, at),
            "decision": decision(r),
            "files": [f.rsplit("/", 1)[-1] for f in r.files] if r else [],
        }
        plans.setdefault(plan_id, {"title": plan_title, "doc_no": doc_no, "rows": []})
        plans[plan_id]["rows"].append(row)
        if m.state in OPEN_STATES:
            open_rows.append(row)
    return web.page(
        "unit.html.j2",
        status,
        title=unit.name,
        unit=unit,
        token=token,
        plans=list(plans.values()),
        open=open_rows,
        message=message,
        selfchecks=selfchecks(session, unit.id, at, config.calendar()),
        kept=kept or {},
        progress_labels=PROGRESS_LABELS,
        error=error,
        csrf=unit_csrf(token),
        limit_mb=f"{web.upload_bytes / 1024 / 1024:g}",
        documents=documents,
        unsigned=sum(1 for d in documents if not d.acknowledged_at),
    )


def _entries(
    form: FormData, session: Session, unit: Unit
) -> tuple[str, list[ProgressEntry], dict[int, dict[str, str]]]:
    """The answered rows of a posted 自查表 (or only the row whose button was pressed),
    each checked to be this unit's open progress milestone of the form's plan."""
    only = str(form.get("only") or "")
    kept: dict[int, dict[str, str]] = {}
    for name in form:
        if name.startswith(("state_", "text_", "url_")) and name.split("_", 1)[1].isdigit():
            field, row = name.split("_", 1)
            kept.setdefault(int(row), {})[field] = str(form.get(name) or "").strip()
    if only.isdigit():
        kept = {k: v for k, v in kept.items() if k == int(only)} or {int(only): {}}
    entries: list[ProgressEntry] = []
    plan_key = ""
    for mid, values in sorted(kept.items()):
        if not any(values.values()) and not only:
            continue  # a row left blank is not part of this submission
        found = session.execute(
            select(Milestone, Item.key, Item.title, Item.standing, Plan.key)
            .join(Assignment, Assignment.id == Milestone.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .join(Plan, Plan.id == Milestone.plan_id)
            .where(Milestone.id == mid)
        ).first()
        if found is None or found[0].unit_id != unit.id or not found[3]:
            raise LinkError("没有这个事项。请从本单位的页面填写自查表。", 404)
        m, item_key, title, _, key = found
        if plan_key and key != plan_key:
            raise ActionError("一次只能提交一个计划的自查表，请分别提交")
        plan_key = key
        if m.state not in OPEN_STATES:
            raise ActionError(f"“{title}”已报送，等待审核，无需重复报送")
        code = values.get("state", "")
        if code not in PROGRESS_LABELS:
            raise ActionError(f"“{title}”：请选择进展（{'、'.join(PROGRESS_LABELS.values())}）")
        url = values.get("url", "")
        if url and not url.startswith(("http://", "https://")):
            raise ActionError(
                f"“{title}”：公开链接 {url!r} 不是网址，请填写以 http:// 或 https:// 开头的完整地址"
            )
        files = [
            Upload(f.filename or "", f.file)
            for f in form.getlist(f"files_{mid}")
            if isinstance(f, StarletteUpload) and f.filename
        ]
        entries.append(
            ProgressEntry(
                item_key,
                code,
                values.get("text", ""),
                [url] if url else [],
                list(files),
                m.occurrence,
                label=f"“{title}”",
            )
        )
    return plan_key, entries, kept


router = APIRouter()


@router.get("/u/{token}", response_class=HTMLResponse)
def unit_get(token: str, request: Request, web: WebDep, ok: str = "", n: int = 0) -> HTMLResponse:
    now = web.clock()
    with transaction(web.ledger) as s:
        try:
            unit = open_link(s, token, now)
        except LinkError as exc:
            return web.refuse(exc.status, str(exc))
        if not request.scope.get("duban.head"):  # a link checker's HEAD reads nothing
            mark_read(s, unit.id, now)  # 已阅: the unit opened the page its documents lead to
        message = {
            "sign": "已签收。请抓紧办理并报送。",
            "report": "已收到报送，催办已停止，等待协调单位审核。",
            "progress": f"已收到 {n} 项任务的进展，这些任务的催办已停止，等待协调单位审核。",
            "extension": "已收到延期申请，批复前催办照常。",
        }.get(ok, "")
        return unit_page(web, s, unit, token, now, message=message)


@router.post("/u/{token}/progress", response_class=HTMLResponse, response_model=None)
async def unit_progress(token: str, request: Request, web: WebDep) -> Response:
    """A 自查表: every answered row at once, or the one row whose button was pressed."""
    form = await request.form(max_files=2000, max_fields=4000)
    try:
        return await run_in_threadpool(_progress, web, token, form)
    finally:
        await form.close()


def _progress(web: Web, token: str, form: FormData) -> Response:
    now = web.clock()
    kept: dict[int, dict[str, str]] = {}
    try:
        with transaction(web.ledger) as s:  # all rows or none
            unit = open_link(s, token, now)
            if not same(str(form.get("csrf") or ""), unit_csrf(token)):
                raise LinkError("表单已失效（缺少校验码）。请重新打开通知中的链接后提交。", 403)
            plan_key, entries, kept = _entries(form, s, unit)
            done = record_progress(
                s,
                plan_key=plan_key,
                unit_name=unit.name,
                entries=entries,
                evidence_dir=config.files() / "evidence",
                actor=f"unit-link:{unit.name}",
                now=now,
                max_bytes=web.upload_bytes,
            )
    except LinkError as exc:
        return web.refuse(exc.status, str(exc))
    except (ActionError, ValueError) as exc:
        with transaction(web.ledger) as s:
            return unit_page(
                web,
                s,
                open_link(s, token, now),
                token,
                now,
                error=str(exc),
                status=400,
                kept=kept,
            )
    return RedirectResponse(f"/u/{token}?ok=progress&n={len(done)}", status_code=303)


@router.post("/u/{token}/sign", response_class=HTMLResponse, response_model=None)
def unit_sign(
    token: str,
    web: WebDep,
    document: int = Form(...),
    person: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    """签收 of one 催办单/督办单 by a named person of the unit."""
    now = web.clock()
    try:
        with transaction(web.ledger) as s:
            unit = open_link(s, token, now)
            if not same(csrf, unit_csrf(token)):
                raise LinkError("表单已失效（缺少校验码）。请重新打开通知中的链接后提交。", 403)
            acknowledge(s, unit, document, person, actor=f"unit-link:{unit.name}", now=now)
    except LinkError as exc:
        return web.refuse(exc.status, str(exc))
    except ActionError as exc:
        with transaction(web.ledger) as s:
            return unit_page(
                web, s, open_link(s, token, now), token, now, error=str(exc), status=400
            )
    return RedirectResponse(f"/u/{token}?ok=sign#documents", status_code=303)


@router.post("/u/{token}/report", response_class=HTMLResponse, response_model=None)
def unit_report(
    token: str,
    web: WebDep,
    milestone: int = Form(...),
    text: str = Form(...),
    url: str = Form(""),
    extension: str = Form(""),
    csrf: str = Form(""),
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    now = web.clock()
    uploads = [Upload(f.filename or "", f.file) for f in files or [] if f.filename]
    try:
        with transaction(web.ledger) as s:  # all or nothing: an error rolls it back
            unit = open_link(s, token, now)
            if not same(csrf, unit_csrf(token)):
                raise LinkError("表单已失效（缺少校验码）。请重新打开通知中的链接后提交。", 403)
            m = s.get(Milestone, milestone)
            if m is None or m.unit_id != unit.id:  # another unit's work is not here
                raise LinkError("没有这个事项。请从本单位的页面选择事项报送。", 404)
            item = s.get_one(Item, s.get_one(Assignment, m.assignment_id).item_id)
            plan = s.get_one(Plan, m.plan_id)
            actor = f"unit-link:{unit.name}"
            if url and not url.startswith(("http://", "https://")):
                raise ActionError(
                    f"公开链接 {url!r} 不是网址，请填写以 http:// 或 https:// 开头的完整地址"
                )
            if extension:
                request_extension(
                    s,
                    plan_key=plan.key,
                    unit_name=unit.name,
                    item_key=item.key,
                    new_due=dt.date.fromisoformat(extension),
                    reason=text,
                    actor=actor,
                    now=now,
                    occurrence=m.occurrence,
                )
            else:
                record_report(
                    s,
                    plan_key=plan.key,
                    unit_name=unit.name,
                    item_key=item.key,
                    text=text,
                    urls=[url] if url else [],
                    files=list(uploads),
                    evidence_dir=config.files() / "evidence",
                    actor=actor,
                    now=now,
                    occurrence=m.occurrence,
                    max_bytes=web.upload_bytes,
                )
    except LinkError as exc:
        return web.refuse(exc.status, str(exc))
    except (ActionError, ValueError) as exc:
        with transaction(web.ledger) as s:
            return unit_page(
                web, s, open_link(s, token, now), token, now, error=str(exc), status=400
            )
    kind = "extension" if extension else "report"
    return RedirectResponse(f"/u/{token}?ok={kind}", status_code=303)
