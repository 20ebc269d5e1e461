"""Importing a notice in the browser: upload or paste it, review the draft beside the
notice's own text, correct what the importer flagged, then check and load.

A draft is a folder under ``$DUBAN_HOME/drafts/<id>/``: the notice as uploaded, the
plan draft ``plan.yaml`` exactly as ``duban import --out`` writes it (its review list as
comments, no YAML anchors), and the extraction (``extraction.json``, the importer's JSON
export) that says where each field was read and which fields are in doubt. Saving
writes ``plan.yaml`` again, with every field a person changed marked ``核对[…]`` in its
note as a hand-reviewed draft is; "check and load" runs ``ledger.planfile`` — the same
code as ``duban plan validate`` and ``duban plan load`` — on that file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pendulum
import yaml
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledger import config
from ledger.audit import audit
from ledger.db import transaction
from ledger.directory_sync import jurisdictions, ledger_units
from ledger.evidence import safe_name
from ledger.load import DirectoryDrift
from ledger.planfile import PlanFileError, load_file
from ledger.users import SignedIn
from plans.cn_dates import due_from_words, due_in_words
from plans.directory import Directory
from plans.importer import REVIEWED, draft_plan, draft_yaml, dump_plan, extract
from plans.importer.draft import review_head
from plans.importer.still_open import PLAN_FIELDS, still_open
from plans.model import CHECKPOINT_KINDS
from plans.notice import read_notice
from plans.notice_limits import NoticeProblem
from plans.source import Problem
from web.deps import Changing, Refused, Signed
from web.pages import Web, WebDep

NOTICE_TYPES = (".txt", ".html", ".htm", ".docx", ".doc", ".wps", ".pdf", ".xlsx", ".xls")
MAX_NOTICE_BYTES = 20 * 1024 * 1024
_DRAFT_ID = re.compile(r"^[0-9a-f]{16}$")
FIELDS = ("lead", "units", "due")
_SPLIT = re.compile(r"[、，,；;\n]+")


def drafts_root() -> Path:
    return config.files() / "drafts"


def discarded_root() -> Path:
    """Where a discarded draft goes: out of the list, not off the disk (the operator can
    move it back). Its name is not a draft id, so it is never listed as a draft."""
    return drafts_root() / "discarded"


def _folder(draft: str) -> Path | None:
    folder = drafts_root() / draft
    return folder if _DRAFT_ID.match(draft) and (folder / "plan.yaml").is_file() else None


def _directory(web: Web, jurisdiction: str) -> Directory | None:
    if not jurisdiction:
        return None
    with transaction(web.ledger) as s:
        units = ledger_units(s, jurisdiction)
    return Directory.build(units, jurisdiction) if units else None


def new_draft(web: Web, name: str, data: bytes, jurisdiction: str, actor: str) -> str:
    """Read a notice into a new draft folder; its id. A notice the importer cannot read
    leaves nothing behind (NoticeProblem says why)."""
    draft = secrets.token_hex(8)
    folder = drafts_root() / draft
    folder.mkdir(parents=True)
    notice = folder / safe_name(name)
    try:
        notice.write_bytes(data)
        ex = extract(notice, _directory(web, jurisdiction))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    plan = draft_plan(ex, None, jurisdiction or None)
    (folder / "plan.yaml").write_text(draft_yaml(ex, plan), encoding="utf-8")
    (folder / "extraction.json").write_text(
        json.dumps(ex.as_format(), ensure_ascii=False), encoding="utf-8"
    )
    (folder / "draft.json").write_text(
        json.dumps(
            {"notice": notice.name, "jurisdiction": jurisdiction, "by": actor, "confirmed": []},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return draft


def _read(folder: Path) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The plan file's comment head, the plan, the extraction and the draft's own facts."""
    text = (folder / "plan.yaml").read_text(encoding="utf-8")
    head = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    return (
        head,
        yaml.safe_load(text) or {},
        json.loads((folder / "extraction.json").read_text(encoding="utf-8")),
        json.loads((folder / "draft.json").read_text(encoding="utf-8")),
    )


def recent_drafts(limit: int = 20) -> list[dict[str, Any]]:
    """The latest drafts, newest first, for the import page: a draft closed in the
    browser is not lost."""
    root = drafts_root()
    if not root.is_dir():
        return []
    found = sorted(
        ((f / "plan.yaml").stat().st_mtime, f) for f in root.iterdir() if _folder(f.name)
    )[::-1][:limit]
    out = []
    for mtime, folder in found:
        info = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
        saved = dt.datetime.fromtimestamp(mtime, dt.UTC)
        out.append(
            {
                "id": folder.name,
                "notice": info.get("notice", ""),
                "by": _person(info.get("by", "")),
                "saved": pendulum.instance(saved)
                .in_timezone("Asia/Shanghai")
                .format("YYYY-MM-DD HH:mm"),
            }
        )
    return out


def _person(actor: str) -> str:
    """Who imported a draft, as a person reads it: 王科长, not ``web:王科长``."""
    return actor.split(":", 1)[1] if actor.startswith(("web:", "cli:")) else actor


def _names(value: str, before: list[str]) -> list[str]:
    """A field's names as typed (顿号 between them). A name that holds a 顿号 itself
    (市、区县政府门户网站主办单位, one group) stays whole where it was in the draft."""
    if value.strip() == "、".join(before):
        return list(before)
    parts = [n.strip() for n in _SPLIT.split(value) if n.strip()]
    out: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i + 1, -1):  # the longest run that is a name it had
            if "、".join(parts[i:j]) in before:
                out.append("、".join(parts[i:j]))
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return out


def _mark_reviewed(entry: dict[str, Any], changed: list[str]) -> None:
    """``核对[units,due]`` in the note: a re-import (``--diff``) keeps these fields."""
    note = entry.get("note") or ""
    m = REVIEWED.search(note)
    done = set(m.group(1).split(",")) if m else set()
    fields = ",".join(f for f in ("text", "kind", *FIELDS) if f in done | set(changed))
    mark = f"核对[{fields}]"
    entry["note"] = REVIEWED.sub(mark, note) if m else (f"{note}；{mark}" if note else mark)


def _dues(value: str, before: list[str], year: int) -> list[str]:
    """A deadline field as typed: the words the page showed keep the rules they stood
    for; new words are read as a deadline cell is (长期, 每季度末, 2023年6月底前)."""
    if value.strip() == "、".join(due_in_words(r) for r in before):
        return list(before)
    return [
        r
        for part in _SPLIT.split(value)
        if part.strip()
        for r in due_from_words(part.strip(), year)
    ]


def _edit_entry(
    entry: dict[str, Any], form: dict[str, str], fields: tuple[str, ...], year: int
) -> int:
    """One task's or checkpoint's fields from the form; how many changed."""
    eid, edits = entry["id"], []
    text = form.get(f"{eid}.text")
    if text is not None and text.strip() and text.strip() != entry["text"]:
        entry["text"] = text.strip()
        edits.append("text")
    kind = form.get(f"{eid}.kind")
    if kind in CHECKPOINT_KINDS and kind != entry.get("kind"):
        entry["kind"] = kind
        edits.append("kind")
    for f in fields:
        value = form.get(f"{eid}.{f}")
        if value is None:
            continue
        before = [str(v) for v in entry.get(f) or []]
        new = _dues(value, before, year) if f == "due" else _names(value, before)
        if new != before:
            entry[f] = new
            edits.append(f)
    if edits:
        _mark_reviewed(entry, edits)
    return len(edits)


def apply_edits(plan: dict[str, Any], form: dict[str, str]) -> tuple[int, set[str]]:
    """The form's values into the plan: how many fields changed, and what the person
    confirmed (``t012.units``, ``year``): fields changed, and fields ticked as read
    right, whose lines leave the review list."""
    changed, confirmed = 0, set[str]()
    for key in ("id", "title", "doc_no", "issuer", "coordinator", "jurisdiction"):
        if key in form and (form[key].strip() or None) != plan.get(key):
            plan[key] = form[key].strip() or None
            changed += 1
            confirmed.add(key)
    if form.get("year", "").strip().isdigit() and int(form["year"]) != plan.get("year"):
        plan["year"], changed = int(form["year"]), changed + 1
        confirmed.add("year")
    if "issued" in form and form["issued"].strip() != str(plan.get("issued") or ""):
        plan["issued"], changed = form["issued"].strip() or None, changed + 1
        confirmed.add("issued")
    if form.get("ok.plan"):
        confirmed |= set(PLAN_FIELDS)
    year = int(plan.get("year") or dt.date.today().year)
    for kind, fields in (("tasks", FIELDS), ("checkpoints", ("units", "due"))):
        for entry in plan.get(kind) or []:
            changed += _edit_entry(entry, form, fields, year)
            if form.get(f"ok.{entry['id']}"):
                confirmed |= {f"{entry['id']}.{f}" for f in ("text", "kind", *FIELDS)}
    return changed, confirmed


_MOVED = re.compile(r"原文中带期限的句子已作为检查节点[^；]*")


def _refresh_notes(plan: dict[str, Any], ex: dict[str, Any], review: list[dict[str, Any]]) -> None:
    """Each entry's note names what of the review list is still open about it, as the
    importer wrote it (来源；待核对：…), keeping what else it says."""
    for kind in ("tasks", "checkpoints"):
        sources = ex.get(kind) or []
        for i, entry in enumerate(plan.get(kind) or []):
            read = sources[i] if i < len(sources) else {}
            wheres = {read.get("source"), (read.get("sources") or {}).get("units")} - {None}
            names = {str(n) for f in ("lead", "units") for n in entry.get(f) or []}
            todo = list(
                dict.fromkeys(
                    f["what"]
                    for f in review
                    if (wheres & set(f.get("items") or []) and not f.get("unknown"))
                    or f.get("unknown") in names
                )
            )
            note = entry.get("note") or ""
            src = re.match(r"来源：[^；]*", note)
            parts = [src.group(0)] if src else []
            parts += [f"待核对：{'；'.join(todo)}"] if todo else []
            parts += _MOVED.findall(note) + [m.group(0) for m in REVIEWED.finditer(note)]
            if parts:
                entry["note"] = "；".join(parts)
            else:
                entry.pop("note", None)


def save(
    folder: Path, plan: dict[str, Any], review: list[dict[str, Any]], ex: dict[str, Any]
) -> None:
    """The plan file, headed by the review list as it now stands, each entry's note
    saying what is still open about it."""
    info = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
    _refresh_notes(plan, ex, review)
    clean = {k: v for k, v in plan.items() if v is not None}
    head = review_head(info.get("notice", ""), [f"{f['where']}：{f['what']}" for f in review])
    (folder / "plan.yaml").write_text(head + dump_plan(clean), encoding="utf-8")


def _confirm(folder: Path, more: set[str]) -> set[str]:
    """Record what the person confirmed in the draft's own facts; all of it so far."""
    path = folder / "draft.json"
    info = json.loads(path.read_text(encoding="utf-8"))
    done = set(info.get("confirmed") or []) | more
    info["confirmed"] = sorted(done)
    path.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return done


@dataclass
class Row:
    """One task or checkpoint of the draft as the page shows it."""

    entry: dict[str, Any]
    source: str  # the notice line it was read from (an anchor on the page)
    units_source: str
    flags: dict[str, list[str]]  # field → what the review list doubts of it
    unknown: dict[str, str]  # unit name not in the directory → the closest known name
    checks: dict[str, list[str]]  # field → a reading rule that decided it, to spot-check

    @property
    def due_text(self) -> str:
        """The deadlines in a notice's words, as the page shows and takes them."""
        return "、".join(due_in_words(str(r)) for r in self.entry.get("due") or [])


def rows(
    plan: dict[str, Any],
    ex: dict[str, Any],
    directory: Directory | None,
    review: list[dict[str, Any]],
    kind: str = "tasks",
) -> list[Row]:
    """The plan's tasks (or checkpoints) with where each was read and what of the review
    list, as it stands, is about it."""
    out = []
    sources = ex.get(kind) or []
    for i, entry in enumerate(plan.get(kind) or []):
        read = sources[i] if i < len(sources) else {}
        where = read.get("source", "")
        units_at = (read.get("sources") or {}).get("units") or where
        flags: dict[str, list[str]] = {}
        checks: dict[str, list[str]] = {}
        for f in review:
            if where and where in f.get("items", []) and not f.get("unknown"):
                (checks if f.get("kind") == "rule" else flags).setdefault(f["about"], []).append(
                    f["what"]
                )
        unknown = {}
        if directory is not None:
            for name in (*entry.get("lead", []), *entry.get("units", [])):
                if directory.resolve(str(name)) is None:
                    unknown[str(name)] = directory.suggest(str(name)) or ""
        out.append(Row(entry, where, units_at, flags, unknown, checks))
    return out


def _problem(p: Problem, plan: dict[str, Any]) -> str:
    """A compile problem as the page says it: the task's id (t012) rather than
    ``tasks[11]``, the plan file's line rather than the server's path."""
    label = "错误" if p.severity == "error" else "警告"
    m = re.match(r"(tasks|checkpoints)\[(\d+)\](.*)", p.field)
    entries = plan.get(m.group(1)) or [] if m else []
    if m and int(m.group(2)) < len(entries):
        what = {"tasks": "任务", "checkpoints": "节点"}[m.group(1)]
        field = FIELD_NAMES.get(m.group(3).split("[")[0].lstrip("."), "")
        where = f"{what} {entries[int(m.group(2))].get('id', '')} {field}".strip()
    else:
        where = FIELD_NAMES.get(p.field, p.field) or "计划"
    return (
        f"{label}：{where}：{p.message}（plan.yaml 第{p.line}行）"
        if p.line
        else f"{label}：{where}：{p.message}"
    )


FIELD_NAMES = {
    "lead": "牵头单位",
    "units": "责任单位",
    "due": "期限",
    "text": "任务",
    "coordinator": "协调单位",
    "title": "标题",
    "year": "年度",
    "issued": "印发日期",
    "jurisdiction": "辖区",
    "doc_no": "文号",
    "issuer": "发文机关",
}


def _anchor(where: str) -> str:
    return "src-" + re.sub(r"\W", "-", where)


router = APIRouter()


@dataclass(frozen=True)
class Opened:
    """A draft's page: who asks, and the draft's folder."""

    web: Web
    who: SignedIn
    draft: str
    folder: Path


def _opened(web: Web, who: SignedIn, draft: str) -> Opened:
    folder = _folder(draft)
    if folder is None:
        raise Refused(web.refuse(404, "没有这份草稿。", who))
    return Opened(web, who, draft, folder)


def open_draft(draft: str, who: Signed, web: WebDep) -> Opened:
    return _opened(web, who, draft)


def change_draft(draft: str, who: Changing, web: WebDep) -> Opened:
    return _opened(web, who, draft)


OnDraft = Annotated[Opened, Depends(open_draft)]
ChangingDraft = Annotated[Opened, Depends(change_draft)]


def draft_view(
    d: Opened, *, problems: list[str] | None = None, saved: str = "", status: int = 200
) -> HTMLResponse:
    """The draft beside the notice's text, with what is still open about it."""
    web, folder = d.web, d.folder
    _, plan, ex, info = _read(folder)
    directory = _directory(web, plan.get("jurisdiction") or info.get("jurisdiction") or "")
    review = still_open(plan, ex, directory, set(info.get("confirmed") or []))
    flagged = {w for f in review for w in f.get("items") or [f["where"]]}
    lines = read_notice(folder / info["notice"])
    return web.page(
        "draft.html.j2",
        status,
        title=f"草稿：{plan.get('title', '')}",
        signed=d.who,
        draft=d.draft,
        plan=plan,
        info=info,
        rows=rows(plan, ex, directory, review),
        points=rows(plan, ex, directory, review, "checkpoints"),
        kinds=CHECKPOINT_KINDS,
        review=review,
        plan_flags={f["about"] for f in review},
        lines=lines,
        flagged=flagged,
        anchor=_anchor,
        problems=problems or [],
        saved=saved,
        names=sorted(directory.units) + sorted(directory.groups) if directory else [],
    )


def import_page(web: Web, who: SignedIn, *, error: str = "", done: str = "") -> HTMLResponse:
    with transaction(web.ledger) as s:
        known = jurisdictions(s)
    return web.page(
        "import.html.j2",
        400 if error else 200,
        title="导入通知",
        signed=who,
        known=known,
        error=error,
        done=done,
        drafts=recent_drafts(),
    )


@router.get("/import", response_class=HTMLResponse, response_model=None)
def import_form(who: Signed, web: WebDep) -> Response:
    return import_page(web, who)


@router.post("/import", response_class=HTMLResponse, response_model=None)
def import_post(
    who: Changing,
    web: WebDep,
    text: str = Form(""),
    jurisdiction: str = Form(""),
    notice: Annotated[UploadFile | None, File()] = None,
) -> Response:
    with transaction(web.ledger) as s:
        known = jurisdictions(s)

    def refuse(message: str) -> HTMLResponse:
        return import_page(web, who, error=message)

    if jurisdiction and jurisdiction not in known:
        return refuse(f"台账中没有辖区“{jurisdiction}”的单位名录")
    if notice is not None and notice.filename:
        name = notice.filename
        if not name.lower().endswith(NOTICE_TYPES):
            return refuse(
                f"{name}：只能导入 .docx、.doc、.wps、.pdf、.xlsx、.xls、.html 或 .txt 文件"
            )
        data = notice.file.read(MAX_NOTICE_BYTES + 1)
        if len(data) > MAX_NOTICE_BYTES:
            return refuse(f"{name}：文件超过 {MAX_NOTICE_BYTES >> 20} MB，不像一份通知")
    elif text.strip():
        name, data = "粘贴的通知.txt", text.encode("utf-8")
    else:
        return refuse("请选择通知文件，或把通知全文粘贴到文本框中")
    try:
        draft = new_draft(web, name, data, jurisdiction, f"web:{who.user.name}")
    except NoticeProblem as exc:
        return refuse(str(exc).replace(str(drafts_root()), "…"))
    return RedirectResponse(f"/drafts/{draft}", status_code=303)


@router.get("/drafts/{draft}", response_class=HTMLResponse, response_model=None)
def draft_page(d: OnDraft) -> Response:
    return draft_view(d)


@router.get("/drafts/{draft}/plan.yaml", response_model=None)
def draft_file(d: OnDraft) -> Response:
    return Response(
        (d.folder / "plan.yaml").read_bytes(),
        media_type="application/yaml",
        headers={"Content-Disposition": "attachment; filename=plan.yaml"},
    )


@router.post("/drafts/{draft}/discard", response_class=HTMLResponse, response_model=None)
def draft_discard(d: ChangingDraft) -> Response:
    """A draft nobody will load (the wrong notice, a second import of one): off the
    list, kept on disk under drafts/discarded/, and recorded in the audit log."""
    web, who, draft = d.web, d.who, d.draft
    notice = _read(d.folder)[3].get("notice", "")
    discarded_root().mkdir(exist_ok=True)
    d.folder.rename(discarded_root() / draft)
    with transaction(web.ledger) as s:
        audit(s, f"web:{who.user.name}", "draft.discard", entity="draft", key=draft, notice=notice)
    return import_page(
        web,
        who,
        done=f"已丢弃草稿“{notice}”。它已不在草稿列表中；如需找回，"
        f"请运维人员把 $DUBAN_HOME/drafts/discarded/{draft} "
        "移回 $DUBAN_HOME/drafts/。",
    )


@router.post("/drafts/{draft}", response_class=HTMLResponse, response_model=None)
async def draft_post(request: Request, d: ChangingDraft) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    web, who, folder = d.web, d.who, d.folder
    _, plan, ex, info = _read(folder)
    changed, confirmed = apply_edits(plan, form)
    confirmed = _confirm(folder, confirmed)
    directory = _directory(web, plan.get("jurisdiction") or info.get("jurisdiction") or "")
    save(folder, plan, still_open(plan, ex, directory, confirmed), ex)
    if form.get("action") != "load":
        return draft_view(d, saved=f"已保存（改动 {changed} 处）。")
    try:
        compiled, result = load_file(
            web.ledger, folder / "plan.yaml", config.calendar(), actor=f"web:{who.user.name}"
        )
    except PlanFileError as exc:
        return draft_view(
            d,
            status=400,
            problems=[
                exc.message.replace(str(folder / "plan.yaml"), "plan.yaml"),
                *(_problem(p, plan) for p in exc.problems),
            ],
        )
    except DirectoryDrift as exc:
        return draft_view(
            d,
            status=400,
            problems=[f"未作任何改动。计划 {exc.plan_key}：{'；'.join(exc.lines)}"],
        )
    if result is None:
        return draft_view(
            d,
            status=400,
            problems=[f"有 {len(compiled.errors)} 处错误，未加载："]
            + [_problem(p, plan) for p in compiled.problems],
        )
    return RedirectResponse(f"/p/{result.plan_key}", status_code=303)
