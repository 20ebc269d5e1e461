"""The unit directory in the browser: a blank template, the directories held, and an
upload (.xlsx or .csv) that is checked exactly as ``duban units import`` checks it
(``plans.directory.read_directory``, then ``ledger.load.import_directory``) and
shows what would change before anything is applied.

The preview runs the import in a transaction that is rolled back; the confirming
form carries the checked directory itself (as the CSV ``duban units export``
writes), so any web worker can apply it and nothing is staged on one machine's
disk. Applying checks it all again.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from ledger import config
from ledger.db import transaction
from ledger.directory_sync import DirectoryError, ledger_units
from ledger.load import DirectoryDrift, import_directory
from ledger.models import Unit
from ledger.users import SignedIn
from plans.directory import DirectoryFile, read_directory, write_directory
from plans.directory_template import write_template
from web.deps import Changing, Signed
from web.pages import Web, WebDep

MAX_DIRECTORY_BYTES = 5 << 20  # a province's directory is well under 1 MB
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Preview:
    """What importing the uploaded directory would do (or did)."""

    jurisdiction: str = ""
    problems: list[str] = field(default_factory=list)
    errors: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)
    plan_lines: list[str] = field(default_factory=list)
    directory_csv: str = ""  # the checked directory, carried by the confirming form


def _read(data: bytes, suffix: str) -> DirectoryFile:
    with tempfile.TemporaryDirectory(prefix="duban-units-") as tmp:
        path = Path(tmp) / f"名录{suffix}"
        path.write_bytes(data)
        df = read_directory(path)
    return df


def check_directory(
    web: Web,
    data: bytes,
    suffix: str,
    name: str,
    jurisdiction: str,
    *,
    replace: bool,
    apply: bool,
    actor: str,
) -> Preview:
    """``duban units import`` for a file from the browser: problems named by line and
    column, else the changes; applied only with ``apply`` (the CLI's --yes)."""
    df = _read(data, suffix)
    p = Preview()
    p.problems = [str(x).replace(str(df.path), name) for x in df.problems]
    if df.errors:
        p.errors = True
        return p
    j = jurisdiction.strip() or (df.jurisdiction or "")
    if df.jurisdiction and jurisdiction.strip() and jurisdiction.strip() != df.jurisdiction:
        p.problems.insert(0, f"{name} 第一行写明辖区为 {df.jurisdiction}，与所填辖区 {j} 不同")
        p.errors = True
        return p
    if not j:
        p.problems.insert(0, f"{name} 没有写明辖区：在第一行写“辖区：资阳市”，或在上面填写辖区")
        p.errors = True
        return p
    p.jurisdiction = j
    try:
        with web.ledger() as s, s.begin() as tx:
            r = import_directory(
                s, df.units, jurisdiction=j, cal=config.calendar(), actor=actor, replace=replace
            )
            if not apply:
                tx.rollback()
    except (DirectoryError, DirectoryDrift) as exc:
        p.problems.insert(0, f"{name}：{exc}")
        p.errors = True
        return p
    sync = r.sync
    p.created, p.updated, p.unchanged = sync.created, sync.updated, sync.unchanged
    p.deactivated, p.plan_lines = sync.deactivated, r.lines()
    p.directory_csv = write_directory(df.units, None, j) or ""
    return p


router = APIRouter()


def units_page(web: Web, who: SignedIn, status: int = 200, **ctx: object) -> HTMLResponse:
    with transaction(web.ledger) as s:
        held = s.execute(
            select(Unit.jurisdiction, func.count())
            .where(Unit.active.is_(True))
            .group_by(Unit.jurisdiction)
            .order_by(Unit.jurisdiction)
        ).all()
    return web.page(
        "units.html.j2",
        status,
        title="单位名录",
        signed=who,
        held=[(j, n, quote(j)) for j, n in held],
        **ctx,
    )


@router.get("/units", response_class=HTMLResponse, response_model=None)
def units_get(who: Signed, web: WebDep) -> Response:
    return units_page(web, who)


@router.get("/units/template.xlsx", response_model=None)
def units_template(_: Signed) -> Response:
    with tempfile.TemporaryDirectory(prefix="duban-units-") as tmp:
        path = Path(tmp) / "单位名录.xlsx"
        write_template(path)
        data = path.read_bytes()
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote('空白单位名录.xlsx')}"
        },
    )


@router.get("/units/export.xlsx", response_model=None)
def units_export(who: Signed, web: WebDep, jurisdiction: str = "") -> Response:
    with transaction(web.ledger) as s:
        units = ledger_units(s, jurisdiction)
    if not units:
        return web.refuse(404, f"台账中没有辖区“{jurisdiction}”的单位名录。", who)
    with tempfile.TemporaryDirectory(prefix="duban-units-") as tmp:
        path = Path(tmp) / "名录.xlsx"
        write_directory(units, path, jurisdiction)
        data = path.read_bytes()
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''"
            + quote(f"{jurisdiction}单位名录.xlsx")
        },
    )


@router.post("/units", response_class=HTMLResponse, response_model=None)
def units_post(
    who: Changing,
    web: WebDep,
    jurisdiction: str = Form(""),
    replace: str = Form(""),
    directory: str = Form(""),
    action: str = Form("preview"),
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if action == "apply" and directory:
        name, suffix, data = "核对过的名录", ".csv", directory.encode("utf-8-sig")
    elif upload is not None and upload.filename:
        name = upload.filename
        suffix = Path(name).suffix.lower()
        if suffix not in (".xlsx", ".csv"):
            return units_page(
                web, who, 400, error=f"{name}：单位名录请上传 .xlsx（Excel）或 .csv 文件"
            )
        data = upload.file.read(MAX_DIRECTORY_BYTES + 1)
        if len(data) > MAX_DIRECTORY_BYTES:
            return units_page(
                web,
                who,
                400,
                error=f"{name}：文件超过 {MAX_DIRECTORY_BYTES >> 20} MB，不像一份单位名录",
            )
    else:
        return units_page(web, who, 400, error="请选择单位名录文件（.xlsx 或 .csv）")
    apply = action == "apply"
    p = check_directory(
        web,
        data,
        suffix,
        name,
        jurisdiction,
        replace=bool(replace),
        apply=apply,
        actor=f"web:{who.user.name}",
    )
    if p.errors:
        return units_page(
            web,
            who,
            400,
            error=f"{name} 有错误，未导入任何单位。",
            preview=p,
            replace=bool(replace),
        )
    if apply:
        return units_page(
            web,
            who,
            done=f"已导入{p.jurisdiction}的单位名录：新增 {len(p.created)}，"
            f"更新 {len(p.updated)}，未变 {p.unchanged}"
            + (f"，停用 {len(p.deactivated)}" if p.deactivated else "")
            + "。",
            applied=p,
        )
    return units_page(web, who, preview=p, replace=bool(replace))
