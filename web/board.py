"""The coordinators' side: plans, the board, the review queue, checks, notices, exports.

Every route passes ``auth.guard``: nobody signed in goes to the login page, a
changing form needs its session's CSRF token and a coordinator (a viewer gets
403). Changes are made by the ledger functions the CLI calls, audited as
``web:<user>``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import pendulum
from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from ledger import board as boards
from ledger import config, notices, queries
from ledger.db import transaction
from ledger.labels import PROGRESS_LABELS
from ledger.models import Assignment, Document, Item, Plan, Report, Unit
from ledger.progress_chart import completion_series
from ledger.reports import ActionError, get_plan, review_report
from ledger.selfcheck import review_selfcheck
from ledger.supervise import rung_label
from ledger.users import SignedIn
from usecases.check import check_now
from web import auth
from web.pages import Web, units_named
from web.svg import completion_chart

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(
    path: Path, name: str, media: str, *, then_remove: Path | None = None
) -> FileResponse:
    return FileResponse(
        path,
        media_type=media,
        filename=name,
        content_disposition_type="attachment",
        background=BackgroundTask(shutil.rmtree, then_remove, True) if then_remove else None,
    )


def _local(at: dt.datetime) -> str:
    return pendulum.instance(at).in_timezone("Asia/Shanghai").format("YYYY-MM-DD HH:mm")


def _prefect_run(plan: str, units: list[str] | None, tasks: list[str] | None) -> str:
    """Start the plan's ``duban-check`` deployment on the configured Prefect server; the
    flow run's address."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api = os.environ["PREFECT_API_URL"]
    # Prefect reads its settings once, at import, and a server thread has no context of
    # its own: point the client at the configured server here.
    with temporary_settings(updates={PREFECT_API_URL: api}):
        run = run_deployment(
            f"duban-check/{plan}",
            parameters={"plan": plan, "units": units, "tasks": tasks},
            timeout=0,
        )
    ui = os.environ.get("PREFECT_UI_URL") or api.removesuffix("/api")
    # sync_compatible: called from sync code, run_deployment returns the FlowRun itself
    return f"{ui}/runs/flow-run/{run.id}"  # type: ignore[union-attr]


LIST_UNITS = 300  # above this many units, the board names none in lists: they are typed


def routes(app: FastAPI, web: Web) -> None:
    def plan_or_404(s: object, key: str) -> Plan | None:
        try:
            return get_plan(s, key)  # type: ignore[arg-type]
        except ActionError:
            return None

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        who = auth.signed_in(web, request)
        if who is None:
            return auth.login_page(web)
        with transaction(web.ledger) as s:
            rows = boards.plans_progress(s, web.clock(), config.calendar())
            return web.page("plans.html.j2", title="计划", signed=who, plans=rows)

    @app.get("/p/{key}", response_class=HTMLResponse)
    def board(
        request: Request,
        key: str,
        unit: str = "",
        light: str = "",
        task: str = "",
        section: str = "",
        page: int = 1,
    ) -> Response:
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        now = web.clock()
        with transaction(web.ledger) as s:
            plan = plan_or_404(s, key)
            if plan is None:
                return web.refuse(404, f"没有计划 {key}。", who)
            ids, item_ids, errors = _filters(s, plan, unit, task, section)
            b = boards.board(
                s,
                plan,
                now,
                config.calendar(),
                unit_ids=ids,
                only=light if light in boards.LIGHTS else None,
                item_ids=item_ids,
                page=page,
            )
            total = sum(b.lights.values())
            queue = boards.review_count(s, plan)
            circular = s.scalar(
                select(Document.id)
                .where(Document.plan_id == plan.id, Document.kind == "circular")
                .limit(1)
            )
            sections = _sections(s, plan)
            return web.page(
                "board.html.j2",
                title=plan.title,
                signed=who,
                plan=plan,
                board=b,
                total=total,
                unit=unit,
                light=light,
                error="；".join(errors),
                task=task,
                section=section,
                sections=sections,
                queue=queue,
                now=_local(now),
                units=b.units if len(b.units) <= LIST_UNITS else [],
                has_circular=circular is not None,
                query={"unit": unit, "light": light, "task": task, "section": section},
            )

    @app.get("/p/{key}/chart.svg")
    def chart(
        request: Request, key: str, unit: str = "", task: str = "", section: str = ""
    ) -> Response:
        """The board's completion chart for the same filter, as its own image: the board
        answers without it, and a browser keeps it for five minutes."""
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        now = web.clock()
        with transaction(web.ledger) as s:
            plan = plan_or_404(s, key)
            if plan is None:
                return web.refuse(404, f"没有计划 {key}。", who)
            ids, item_ids, _ = _filters(s, plan, unit, task, section)
            total = boards.milestone_total(
                s, plan, now, config.calendar(), unit_ids=ids, item_ids=item_ids
            )
            svg = completion_chart(
                completion_series(s, plan, now, unit_ids=ids, item_ids=item_ids), total
            )
        return Response(
            svg or '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
            media_type="image/svg+xml",
            headers={"Cache-Control": "private, max-age=300"},
        )

    def _filters(
        s: Session, plan: Plan, unit: str, task: str, section: str
    ) -> tuple[list[int] | None, list[int] | None, list[str]]:
        """The board's filter as unit and item ids (None: all), and what it could not find."""
        found, error = units_named(s, unit, plan.jurisdiction)
        ids = None if found is None else [u.id for u in found]
        errors, item_ids = [error] if error else [], None
        if task or section:
            item_ids = _items(s, plan, task, section)
            if not item_ids:
                errors.append(f"没有找到事项“{task or section}”")
        return ids, item_ids, errors

    @app.get("/p/{key}/tasks", response_class=HTMLResponse)
    def tasks_page(request: Request, key: str, section: str = "") -> Response:
        """Every task with its completion over all its units, in plan order."""
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        now = web.clock()
        with transaction(web.ledger) as s:
            plan = plan_or_404(s, key)
            if plan is None:
                return web.refuse(404, f"没有计划 {key}。", who)
            rows = boards.task_summaries(s, plan, now, config.calendar(), section=section)
            return web.page(
                "tasks.html.j2",
                title=f"任务一览：{plan.title}",
                signed=who,
                plan=plan,
                rows=rows,
                section=section,
                sections=_sections(s, plan),
                now=_local(now),
            )

    @app.get("/p/{key}/t/{item_key}", response_class=HTMLResponse)
    def task_page(request: Request, key: str, item_key: str, page: int = 1) -> Response:
        """One task: every unit's rounds and latest progress side by side."""
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        now = web.clock()
        with transaction(web.ledger) as s:
            plan = plan_or_404(s, key)
            item = (
                None
                if plan is None
                else s.scalar(
                    select(Item).where(
                        Item.plan_id == plan.id, Item.key == item_key, Item.archived_at.is_(None)
                    )
                )
            )
            if plan is None or item is None:
                return web.refuse(404, f"计划 {key} 中没有事项 {item_key}。", who)
            rows, pages = boards.task_units(s, plan, item, now, config.calendar(), page=page)
            return web.page(
                "task.html.j2",
                title=item.title,
                signed=who,
                plan=plan,
                item=item,
                rows=rows,
                now=_local(now),
                local=_local,
                page=min(max(1, page), pages),
                pages=pages,
                category=queries.category(item),
            )

    def _items(s: Session, plan: Plan, task: str, section: str) -> list[int]:
        """The items a board filter names: a key (t01), words of a title, a section."""
        q = select(Item.id, Item.key, Item.title, Item.section).where(
            Item.plan_id == plan.id, Item.archived_at.is_(None)
        )
        out = []
        for iid, k, title, sec in s.execute(q):
            if task and not (task == k or task in title):
                continue
            if section and section not in " / ".join(sec or []):
                continue
            out.append(iid)
        return out

    def _sections(s: Session, plan: Plan) -> list[str]:
        """The plan's top-level sections, in plan order (for the section filter)."""
        seen: dict[str, None] = {}
        for sec in s.scalars(
            select(Item.section)
            .where(Item.plan_id == plan.id, Item.archived_at.is_(None))
            .order_by(Item.seq)
        ):
            if sec:
                seen.setdefault(sec[0], None)
        return list(seen)

    @app.get("/p/{key}/review", response_class=HTMLResponse)
    def review_get(request: Request, key: str, error: str = "", ok: str = "") -> Response:
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        with transaction(web.ledger) as s:
            plan = plan_or_404(s, key)
            if plan is None:
                return web.refuse(404, f"没有计划 {key}。", who)
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
                signed=who,
                plan=plan,
                pending=pending,
                sheets=sheets,
                error=error,
                ok=ok,
                progress_labels=PROGRESS_LABELS,
                default_due=(today + dt.timedelta(days=14)).isoformat(),
                local=_local,
            )

    @app.post("/reviews/{report_id}", response_model=None)
    def review_post(
        request: Request,
        report_id: int,
        decision: str = Form(""),
        comment: str = Form(""),
        due: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        who = auth.guard(web, request, csrf, change=True)
        if not isinstance(who, SignedIn):
            return who
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

    @app.post("/p/{key}/reviews", response_model=None)
    async def review_many_post(request: Request, key: str) -> Response:
        """A unit's whole 自查表 reviewed at once: a decision (and comment) per row."""
        form = await request.form()
        return await run_in_threadpool(_review_many, request, key, form)

    def _review_many(request: Request, key: str, form: FormData) -> Response:
        who = auth.guard(web, request, str(form.get("csrf") or ""), change=True)
        if not isinstance(who, SignedIn):
            return who
        decisions = [
            (int(name[2:]), str(value) == "accept", str(form.get(f"c_{name[2:]}") or "").strip())
            for name, value in form.multi_items()
            if name.startswith("d_") and name[2:].isdigit() and value
        ]
        due = str(form.get("due") or "")
        try:
            with transaction(web.ledger) as s:
                plan = plan_or_404(s, key)
                if plan is None:
                    return web.refuse(404, f"没有计划 {key}。", who)
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

    @app.get("/files/{report_id}/{n}", response_model=None)
    def evidence_file(request: Request, report_id: int, n: int) -> Response:
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        with transaction(web.ledger) as s:
            report = s.get(Report, report_id)
            if report is None or not 0 <= n < len(report.files):
                return web.refuse(404, "没有这个附件。", who)
            stored = report.files[n]
        root = (config.home() / "evidence").resolve()
        path = (root / stored).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return web.refuse(404, "附件文件已不在数据目录中。", who)
        return _download(path, path.name, "application/octet-stream")

    @app.post("/p/{key}/check", response_class=HTMLResponse, response_model=None)
    def check_post(
        request: Request,
        key: str,
        csrf: str = Form(""),
        units: Annotated[list[str] | None, Form()] = None,
        tasks: str = Form(""),
    ) -> Response:
        who = auth.guard(web, request, csrf, change=True)
        if not isinstance(who, SignedIn):
            return who
        items = [t for t in tasks.replace("，", ",").replace(" ", ",").split(",") if t] or None
        # A list box gives one name a value; the text box of a large plan, several.
        chosen = [n for u in units or [] for n in re.split(r"[、,，;；\s]+", u) if n] or None
        if os.environ.get("PREFECT_API_URL"):
            try:
                url = _prefect_run(key, chosen, items)
            except Exception as exc:  # the server is configured but not reachable
                return web.refuse(502, f"无法通过 Prefect 启动检查：{exc}", who)
            return web.page(
                "check.html.j2", title="检查已启动", signed=who, key=key, flow_run=url, report=None
            )
        try:
            done = check_now(
                web.ledger,
                key,
                pendulum.instance(web.clock()),
                config.calendar(),
                actor=f"web:{who.user.name}",
                units=chosen,
                tasks=items,
            )
        except ActionError as exc:
            return web.refuse(400, str(exc), who)
        report, path, sent, title = done.report, done.path, done.notices, done.plan_title
        return web.page(
            "check.html.j2",
            title=f"检查：{title}",
            signed=who,
            key=key,
            report=report,
            file=path.with_suffix(".docx").name,
            sent=sent,
            flow_run="",
        )

    @app.get("/p/{key}/checks/{name}", response_model=None)
    def check_file(request: Request, key: str, name: str) -> Response:
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        folder = config.home() / "checks"
        found = {p.name: p for p in folder.glob(f"{key}-检查-*.docx")} if folder.is_dir() else {}
        if name not in found:  # only a listed file, never a path
            return web.refuse(404, "没有这份检查报告。", who)
        return _download(found[name], name, DOCX)

    @app.get("/p/{key}/export.xlsx", response_model=None)
    def export(request: Request, key: str) -> Response:
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        from plans.sheets import write_sheet

        now = web.clock()
        with transaction(web.ledger) as s:
            plan = plan_or_404(s, key)
            if plan is None:
                return web.refuse(404, f"没有计划 {key}。", who)
            title = plan.title
            rows = queries.ledger_rows(s, plan, now, config.calendar())
        stamp = pendulum.instance(now).in_timezone("Asia/Shanghai")
        folder = Path(tempfile.mkdtemp(prefix="duban-export-"))
        target = folder / f"{key}-台账-{stamp.format('YYYY-MM-DD')}.xlsx"
        write_sheet(
            target,
            title=f"{title}　台账（截至{stamp.format('YYYY年M月D日 HH:mm')}）",
            sheet="台账",
            header=queries.LEDGER_HEADER,
            rows=rows,
        )
        return _download(target, target.name, XLSX, then_remove=folder)

    @app.get("/p/{key}/circular.docx", response_model=None)
    def circular(request: Request, key: str) -> Response:
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        with transaction(web.ledger) as s:
            plan = plan_or_404(s, key)
            doc = (
                s.scalars(
                    select(Document)
                    .where(Document.plan_id == plan.id, Document.kind == "circular")
                    .order_by(Document.id.desc())
                ).first()
                if plan
                else None
            )
            path = Path(doc.path_docx) if doc is not None and doc.path_docx else None
        if path is None or not path.is_file():
            return web.refuse(404, "本计划还没有通报（用 duban circular 生成）。", who)
        return _download(path, path.name, DOCX)

    @app.get("/notices", response_class=HTMLResponse)
    def notices_get(request: Request, plan: str = "", status: str = "", unit: str = "") -> Response:
        who = auth.guard(web, request)
        if not isinstance(who, SignedIn):
            return who
        error = ""
        with transaction(web.ledger) as s:
            p = plan_or_404(s, plan) if plan else None
            found, error = units_named(s, unit, p.jurisdiction if p else None)
            u: Unit | None = found[0] if found and len(found) == 1 else None
            if found is not None and u is None:
                error = error or f"“{unit}”是 {len(found)} 个单位的分组，请填写一个单位"
            try:
                rows = (
                    []
                    if error
                    else notices.recent(s, plan=p, unit=u, status=status or None, limit=300)
                )
            except ActionError as exc:
                rows, error = [], str(exc)
            return web.page(
                "notices.html.j2",
                title="通知",
                signed=who,
                rows=[
                    {
                        "id": n.id,
                        "unit": name or "",
                        "kind": rung_label(n.step or n.kind),
                        "channel": notices.channel_name(n.channel),
                        "recipient": n.recipient,
                        "status": notices.NOTICE_STATES.get(n.status, n.status),
                        "dead": n.status == "dead",
                        "attempts": n.attempts,
                        "when": _local(n.next_attempt_at) if n.next_attempt_at else "",
                        "error": (n.last_error or "")[:120],
                    }
                    for n, name in rows
                ],
                plan=plan,
                state=status,
                unit=unit,
                error=error,
                states=notices.NOTICE_STATES,
                plans=s.execute(
                    select(Plan.key, Plan.title).order_by(Plan.year.desc(), Plan.key)
                ).all(),
            )

    @app.post("/notices/retry", response_model=None)
    def notices_retry(
        request: Request, csrf: str = Form(""), ids: Annotated[list[int] | None, Form()] = None
    ) -> Response:
        who = auth.guard(web, request, csrf, change=True)
        if not isinstance(who, SignedIn):
            return who
        with transaction(web.ledger) as s:
            n = notices.requeue_dead(s, web.clock(), actor=f"web:{who.user.name}", ids=ids or [])
        return RedirectResponse(f"/notices?status=dead&retried={n}", status_code=303)
