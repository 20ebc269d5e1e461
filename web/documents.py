"""What a coordinator starts or downloads: an ad-hoc check (here, or on the Prefect
server when one is configured) and its Word report, the 台账 as a workbook, the
催办单/督办单 with their 签收, and the latest 通报.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import pendulum
from fastapi import APIRouter, Form
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask

from ledger import config, queries
from ledger.acknowledge import plan_documents, plan_documents_count
from ledger.db import transaction
from ledger.models import Document
from ledger.reports import ActionError
from usecases.check import check_now
from web.deps import Changing, OnPlan, Signed
from web.pages import WebDep, local, units_named

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

router = APIRouter()


def download(path: Path, name: str, media: str, *, then_remove: Path | None = None) -> FileResponse:
    return FileResponse(
        path,
        media_type=media,
        filename=name,
        content_disposition_type="attachment",
        background=BackgroundTask(shutil.rmtree, then_remove, True) if then_remove else None,
    )


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


@router.post("/p/{key}/check", response_class=HTMLResponse, response_model=None)
def check_post(
    key: str,
    who: Changing,
    web: WebDep,
    units: Annotated[list[str] | None, Form()] = None,
    tasks: str = Form(""),
) -> Response:
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


@router.get("/p/{key}/checks/{name}", response_model=None)
def check_file(key: str, name: str, who: Signed, web: WebDep) -> Response:
    folder = config.files() / "checks"
    found = {p.name: p for p in folder.glob(f"{key}-检查-*.docx")} if folder.is_dir() else {}
    if name not in found:  # only a listed file, never a path
        return web.refuse(404, "没有这份检查报告。", who)
    return download(found[name], name, DOCX)


@router.get("/p/{key}/export.xlsx", response_model=None)
def export(at: OnPlan) -> Response:
    from plans.sheets import write_sheet

    now = at.web.clock()
    with at.open() as (s, plan):
        title = plan.title
        rows = queries.ledger_rows(s, plan, now, config.calendar())
    stamp = pendulum.instance(now).in_timezone("Asia/Shanghai")
    folder = Path(tempfile.mkdtemp(prefix="duban-export-"))
    target = folder / f"{at.key}-台账-{stamp.format('YYYY-MM-DD')}.xlsx"
    write_sheet(
        target,
        title=f"{title}　台账（截至{stamp.format('YYYY年M月D日 HH:mm')}）",
        sheet="台账",
        header=queries.LEDGER_HEADER,
        rows=[r.cells() for r in rows],
    )
    return download(target, target.name, XLSX, then_remove=folder)


DOCUMENTS_PAGE = 200  # rows per page of the documents list


@router.get("/p/{key}/documents", response_class=HTMLResponse)
def documents_page(at: OnPlan, unsigned: str = "", unit: str = "", page: int = 1) -> Response:
    """The plan's 催办单/督办单 with their 签收, newest first: who acknowledged each and
    when, which were only opened (已阅), which nobody has acknowledged; of one unit or
    group when asked, a page at a time."""
    now = at.web.clock()
    with at.open() as (s, plan):
        units, error = units_named(s, unit, plan.jurisdiction)
        ids = None if units is None else [u.id for u in units]
        only = unsigned == "1"
        matched = plan_documents_count(s, plan, unsigned_only=only, unit_ids=ids)
        pages = max(1, -(-matched // DOCUMENTS_PAGE))
        page = min(max(page, 1), pages)
        rows = plan_documents(
            s,
            plan,
            unsigned_only=only,
            unit_ids=ids,
            offset=(page - 1) * DOCUMENTS_PAGE,
            limit=DOCUMENTS_PAGE,
        )
        return at.web.page(
            "documents.html.j2",
            title=f"催办单/督办单：{plan.title}",
            signed=at.who,
            plan=plan,
            rows=rows,
            unsigned=only,
            unit=unit,
            error=error,
            matched=matched,
            page=page,
            pages=pages,
            query={"unsigned": "1" if only else "", "unit": unit},
            count=plan_documents_count(s, plan, unsigned_only=True),
            now=local(now),
        )


@router.get("/p/{key}/circular.docx", response_model=None)
def circular(at: OnPlan) -> Response:
    with transaction(at.web.ledger) as s:
        plan = at.find(s)
        doc = (
            s.scalars(
                select(Document)
                .where(Document.plan_id == plan.id, Document.kind == "circular")
                .order_by(Document.id.desc())
            ).first()
            if plan
            else None
        )
        path = config.stored(doc.path_docx) if doc is not None and doc.path_docx else None
    if path is None or not path.is_file():
        return at.web.refuse(404, "本计划还没有通报（用 duban circular 生成）。", at.who)
    return download(path, path.name, DOCX)
