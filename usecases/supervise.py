"""督办巡检 now: reminders, 催办, 督办 and 通报 due by a moment, with their documents, and
the chase of 督办单 not acknowledged (签收) in time.

The daily Prefect flow and ``duban sweep`` run this; each door only reports the
outcome. (The simulator's days call ``ledger.supervise.sweep_all`` alone: a scratch
ledger needs no heartbeat and no rendered files.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pendulum
from sqlalchemy.orm import Session, sessionmaker

from documents.render import Progress, loopback_warning
from ledger.acknowledge import chase_unacknowledged
from ledger.db import transaction
from ledger.heartbeats import beating, sweep_name
from ledger.queries import calendar_gaps
from ledger.reports import get_plan
from ledger.supervise import SweepResult, sweep_all
from plans.workdays import WorkCalendar
from usecases.documents import issue_documents


@dataclass
class Supervised:
    """What one sweep did, for a door to say."""

    result: SweepResult
    circulars: list[str] = field(default_factory=list)  # numbers of the new 通报
    calendar_gaps: dict[int, str] = field(default_factory=dict)  # year → warning
    loopback: str | None = None  # links written open only on this machine
    unacknowledged: int = 0  # 督办单 not acknowledged in time, chased now (签收)


def supervise_now(
    factory: sessionmaker[Session],
    now: pendulum.DateTime,
    cal: WorkCalendar,
    plan: str | None = None,
    *,
    progress: Progress | None = None,
    documents: bool = True,
    warn: Callable[[str], None] | None = None,
) -> Supervised:
    """One sweep of ``plan`` (every plan when None) as of ``now``, recorded as a heartbeat;
    then the 通报 it reached and every new document rendered (unless ``documents`` is
    False: a rehearsal that wants the decisions only). Raises ``ActionError`` for an
    unknown plan. ``warn`` hears each calendar warning before the sweep starts, so it is
    said even when the sweep then fails."""
    plan_id = None
    if plan:
        with transaction(factory) as s:
            plan_id = get_plan(s, plan).id
    with transaction(factory) as s:
        gaps = calendar_gaps(s, cal, now.date())
    if warn is not None:
        for message in gaps.values():
            warn(message)
    with beating(factory, sweep_name(plan)):
        r = sweep_all(factory, now.in_timezone("UTC"), cal, plan_id=plan_id)
        with transaction(factory) as s:
            chased = chase_unacknowledged(s, now.in_timezone("UTC"), plan_id=plan_id)
        r.notices += chased.notices
        r.no_recipient += chased.no_recipient
        circulars = (
            issue_documents(factory, r.circular_plans, now, cal, progress) if documents else []
        )
    warning = loopback_warning() if (r.notices or r.documents) else None
    return Supervised(r, circulars, gaps, warning, chased.documents)
