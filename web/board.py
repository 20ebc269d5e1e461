"""The coordinators' board: the plans, a plan's board of lights and its chart, the tasks
and one task's units. The review queue is in review.py, checks and downloads in
documents.py, the notifications sent in outbox.py.

Every page but ``/`` (the login page in place for nobody signed in) takes a dependency
of deps.py: nobody signed in goes to the login page, a plan not in the ledger is a 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import board as boards
from ledger import config, queries
from ledger.acknowledge import plan_documents_count
from ledger.db import transaction
from ledger.models import Document, Item, Plan
from ledger.progress_chart import completion_series
from web import auth
from web.deps import OnPlan
from web.pages import WebDep, local, units_named
from web.svg import completion_chart

LIST_UNITS = 300  # above this many units, the board names none in lists: they are typed

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, web: WebDep) -> Response:
    """The plans and their progress; the login page, in place, for nobody signed in."""
    who = auth.signed_in(web, request)
    if who is None:
        return auth.login_page(web)
    with transaction(web.ledger) as s:
        rows = boards.plans_progress(s, web.clock(), config.calendar())
        return web.page("plans.html.j2", title="计划", signed=who, plans=rows)


@router.get("/p/{key}", response_class=HTMLResponse)
def board(
    at: OnPlan,
    unit: str = "",
    light: str = "",
    task: str = "",
    section: str = "",
    page: int = 1,
) -> Response:
    web = at.web
    now = web.clock()
    with at.open() as (s, plan):
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
        unsigned = plan_documents_count(s, plan, unsigned_only=True)
        return web.page(
            "board.html.j2",
            title=plan.title,
            signed=at.who,
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
            now=local(now),
            units=b.units if len(b.units) <= LIST_UNITS else [],
            has_circular=circular is not None,
            unsigned=unsigned,
            query={"unit": unit, "light": light, "task": task, "section": section},
        )


@router.get("/p/{key}/chart.svg")
def chart(at: OnPlan, unit: str = "", task: str = "", section: str = "") -> Response:
    """The board's completion chart for the same filter, as its own image: the board
    answers without it, and a browser keeps it for five minutes."""
    now = at.web.clock()
    with at.open() as (s, plan):
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


@router.get("/p/{key}/tasks", response_class=HTMLResponse)
def tasks_page(at: OnPlan, section: str = "") -> Response:
    """Every task with its completion over all its units, in plan order."""
    web = at.web
    now = web.clock()
    with at.open() as (s, plan):
        rows = boards.task_summaries(s, plan, now, config.calendar(), section=section)
        return web.page(
            "tasks.html.j2",
            title=f"任务一览：{plan.title}",
            signed=at.who,
            plan=plan,
            rows=rows,
            section=section,
            sections=_sections(s, plan),
            now=local(now),
        )


@router.get("/p/{key}/t/{item_key}", response_class=HTMLResponse)
def task_page(at: OnPlan, item_key: str, page: int = 1) -> Response:
    """One task: every unit's rounds and latest progress side by side."""
    web = at.web
    now = web.clock()
    with transaction(web.ledger) as s:
        plan = at.find(s)
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
            return web.refuse(404, f"计划 {at.key} 中没有事项 {item_key}。", at.who)
        rows, pages = boards.task_units(s, plan, item, now, config.calendar(), page=page)
        return web.page(
            "task.html.j2",
            title=item.title,
            signed=at.who,
            plan=plan,
            item=item,
            rows=rows,
            now=local(now),
            local=local,
            page=min(max(1, page), pages),
            pages=pages,
            category=queries.category(item),
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
