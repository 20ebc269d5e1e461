"""The notices sent and to be sent (the outbox), filtered by plan, state and unit, and a
coordinator's retry of the ones that gave up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ledger import outbox_view
from ledger.db import transaction
from ledger.models import Plan, Unit
from ledger.reports import ActionError
from ledger.supervise import rung_label
from web.deps import Changing, Signed, find_plan
from web.pages import WebDep, local, units_named

router = APIRouter()


@router.get("/notices", response_class=HTMLResponse)
def notices_get(
    who: Signed, web: WebDep, plan: str = "", status: str = "", unit: str = ""
) -> Response:
    error = ""
    with transaction(web.ledger) as s:
        p = find_plan(s, plan) if plan else None
        found, error = units_named(s, unit, p.jurisdiction if p else None)
        u: Unit | None = found[0] if found and len(found) == 1 else None
        if found is not None and u is None:
            error = error or f"“{unit}”是 {len(found)} 个单位的分组，请填写一个单位"
        try:
            rows = (
                []
                if error
                else outbox_view.recent(s, plan=p, unit=u, status=status or None, limit=300)
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
                    "channel": outbox_view.channel_name(n.channel),
                    "recipient": n.recipient,
                    "status": outbox_view.NOTIFICATION_STATES.get(n.status, n.status),
                    "dead": n.status == "dead",
                    "attempts": n.attempts,
                    "when": local(n.next_attempt_at) if n.next_attempt_at else "",
                    "error": (n.last_error or "")[:120],
                }
                for n, name in rows
            ],
            plan=plan,
            state=status,
            unit=unit,
            error=error,
            states=outbox_view.NOTIFICATION_STATES,
            plans=s.execute(
                select(Plan.key, Plan.title).order_by(Plan.year.desc(), Plan.key)
            ).all(),
        )


@router.post("/notices/retry", response_model=None)
def notices_retry(
    who: Changing, web: WebDep, ids: Annotated[list[int] | None, Form()] = None
) -> Response:
    with transaction(web.ledger) as s:
        n = outbox_view.requeue_dead(s, web.clock(), actor=f"web:{who.user.name}", ids=ids or [])
    return RedirectResponse(f"/notices?status=dead&retried={n}", status_code=303)
