"""The Prefect flows. Each is a thin wrapper around plain ledger functions.

One sweep flow run handles every due milestone of a plan in batches, one
transaction each (a task run per notice would cost more than the notice).
"""

from __future__ import annotations

from typing import Any

import pendulum
from prefect import flow, get_run_logger
from prefect.states import Failed
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from flows.documents import Progress, docx_beside, loopback_warning, render_pending
from ledger import config, links
from ledger.checks import run_check, write_check
from ledger.circular import issue_circular
from ledger.db import open_ledger, transaction
from ledger.heartbeats import DISPATCH, beating, sweep_name
from ledger.lookback import look_back
from ledger.models import Notice, Plan
from ledger.queries import calendar_gaps
from ledger.reports import get_plan
from ledger.supervise import insert_notices, rung_label, sweep_all
from notifications.dispatch import (
    Dispatched,
    Settings,
    calendar_alert_rows,
    dispatch,
    operator_targets,
)
from notifications.render import Templates
from notifications.transports import Transports
from plans.duerules import parse_moment
from plans.workdays import WorkCalendar

TZ = "Asia/Shanghai"


def finish_documents(
    factory: sessionmaker[Session],
    circular_plans: set[int],
    now: pendulum.DateTime,
    cal: WorkCalendar,
    progress: Progress | None = None,
) -> list[str]:
    """After a sweep: a 通报 for each plan that reached it, then render every new document
    in bounded batches outside the ledger transaction (``progress`` hears how far)."""
    issued = []
    with transaction(factory) as s:
        for plan_id in sorted(circular_plans):
            c = issue_circular(s, s.get_one(Plan, plan_id), now.in_timezone("UTC"), cal)
            if c is not None and not c.existing:
                issued.append(c.document.context["doc_no_text"])
    render_pending(factory, config.home() / "documents", progress=progress)
    return issued


def loopback_alert_rows(
    session: Session, operators: list[str], now: pendulum.DateTime
) -> list[dict[str, Any]]:
    """An operator alert, once a day, while notices wait to go out with links that open
    only on this machine (DUBAN_PUBLIC_URL unset or a loopback address)."""
    message = loopback_warning()
    if message is None or not session.scalar(
        select(Notice.id).where(Notice.status == "pending", Notice.kind != "alert").limit(1)
    ):
        return []
    day = now.in_timezone(TZ).to_date_string()
    return [
        {
            "idempotency_key": f"loopback/{day}/{channel}/{to}",
            "plan_id": None,
            "milestone_id": None,
            "unit_id": None,
            "kind": "alert",
            "step": "alert",
            "channel": channel,
            "recipient": to,
            "status": "pending",
            "next_attempt_at": now.in_timezone("UTC"),
            "context": {"event": "loopback_link", "base": links.public_base(), "message": message},
        }
        for channel, to in operator_targets(operators)
    ]


def _when(at: str | None) -> pendulum.DateTime:
    if not at:
        return pendulum.now(TZ)
    return parse_moment(at, TZ)


@flow(name="duban-supervise", retries=2, retry_delay_seconds=60)
def supervise(
    plan: str | None = None, at: str | None = None, working_days_only: bool = True
) -> dict[str, Any]:
    """督办巡检: reminders, 催办, 督办, 通报 due by ``at`` (default: now).

    Scheduled daily at 09:00; on a day off (weekend, holiday) it does nothing,
    and on a 调休 Saturday it runs, which a Mon–Fri cron could not express.
    """
    log = get_run_logger()
    now = _when(at)
    cal = config.calendar()
    if working_days_only and not cal.is_workday(now.date()):
        log.info("%s 不是工作日，不巡检", now.to_date_string())
        return {"skipped": "not a working day"}
    factory = open_ledger(config.database_url())
    plan_id = None
    if plan:
        with transaction(factory) as s:
            plan_id = get_plan(s, plan).id
    with transaction(factory) as s:
        gaps = calendar_gaps(s, cal, now.date())
    for msg in gaps.values():  # loud in the run's log; the dispatcher alerts the operator
        log.warning("【注意】%s", msg)
    with beating(factory, sweep_name(plan)):
        r = sweep_all(factory, now.in_timezone("UTC"), cal, plan_id=plan_id)
        circulars = finish_documents(
            factory,
            r.circular_plans,
            now,
            cal,
            progress=lambda done, total: log.info("生成催办单/督办单/通报文件：%d/%d", done, total),
        )
    if (r.notices or r.documents) and (warning := loopback_warning()):
        log.warning("【注意】%s", warning)
    log.info(
        "巡检 %s：处理 %d 个节点，写入 %d 条通知（%s）",
        now.format("YYYY-MM-DD HH:mm"),
        r.milestones,
        r.notices,
        "，".join(f"{rung_label(k)} {v}" for k, v in sorted(r.by_rung.items())) or "无",
    )
    if r.no_recipient:
        log.warning("缺少联系方式：%s", "、".join(sorted(set(r.no_recipient))))
    if r.documents or circulars:
        log.info(
            "催办单/督办单 %d 份，通报 %d 份，见 %s",
            r.documents,
            len(circulars),
            config.home() / "documents",
        )
    if r.stale:
        log.warning(
            "%d 个步骤已过时未发送（巡检中断或计划加载过晚），%d 个节点本次无步骤可发，"
            "已记入审计日志",
            r.stale,
            r.stale_milestones,
        )
    return {
        "milestones": r.milestones,
        "notices": r.notices,
        "by_rung": dict(r.by_rung),
        "documents": r.documents,
        "circulars": circulars,
        "skipped_rungs": r.skipped,
        "stale_rungs": r.stale,
        "no_recipient": sorted(set(r.no_recipient)),
        "calendar_gaps": sorted(gaps),
    }


@flow(name="duban-check")
def check(
    plan: str,
    units: list[str] | None = None,
    tasks: list[str] | None = None,
    at: str | None = None,
    notify: bool = True,
) -> dict[str, Any]:
    """督查检查: per-unit completion as of ``at``; 检查结果通知 to lagging units."""
    log = get_run_logger()
    now = _when(at)
    factory = open_ledger(config.database_url())
    with transaction(factory) as s:
        report = run_check(s, plan, now.in_timezone("UTC"), units=units, items=tasks)
        path, sent = write_check(
            s,
            report,
            config.home() / "checks",
            actor="flow:check",
            cal=config.calendar(),
            notify=notify,
        )
    docx_beside(path)
    log.info(
        "检查报告已写入 %s；%d 个单位有未完成事项，发出 %d 条检查结果通知",
        path,
        len(report.lagging),
        sent,
    )
    return {
        "report": str(path),
        "units": len(report.units),
        "lagging": len(report.lagging),
        "notices": sent,
    }


@flow(name="duban-lookback")
def lookback(plan: str, due: str | None = None, at: str | None = None) -> dict[str, Any]:
    """回头看: open rectification items for last year's unfinished milestones."""
    log = get_run_logger()
    now = _when(at)
    factory = open_ledger(config.database_url())
    with transaction(factory) as s:
        r = look_back(
            s,
            plan,
            config.calendar(),
            actor="flow:lookback",
            due=_when(due).date() if due else None,
            now=now.in_timezone("UTC"),
        )
    log.info(
        "回头看 %s：新开整改事项 %d 项（已有 %d 项），整改期限 %s",
        r.predecessor,
        len(r.opened),
        r.already,
        r.due,
    )
    return {
        "predecessor": r.predecessor,
        "opened": len(r.opened),
        "already": r.already,
        "due": r.due.isoformat(),
    }


def dispatch_now(now: pendulum.DateTime, settings: Settings | None = None) -> Dispatched:
    """One dispatcher run with the operator's templates and channels.yaml; a broken
    template override or channel file fails here, before anything is claimed."""
    templates = Templates(config.home() / "templates")
    transports = Transports.from_home(config.home())
    factory = open_ledger(config.database_url())
    with transaction(factory) as s:  # once per unknown year: the key says so
        gaps = calendar_gaps(s, config.calendar(), now.in_timezone(TZ).date())
        insert_notices(
            s, calendar_alert_rows(gaps, transports.config.operators, now.in_timezone("UTC"))
        )
        insert_notices(s, loopback_alert_rows(s, transports.config.operators, now))
    with beating(factory, DISPATCH):
        return dispatch(
            factory,
            now.in_timezone("UTC"),
            templates,
            transports,
            settings,
            limit_for=transports.per_minute,
            operators=transports.config.operators,
        )


@flow(name="duban-dispatch")
def dispatcher(at: str | None = None) -> Any:
    """Deliver due notices, one digest per recipient, channel and day; retry failures.
    A run in which messages failed, stayed unknown or were given up ends Failed (with
    the same summary), so a monitor watching flow runs sees it."""
    log = get_run_logger()
    r = dispatch_now(_when(at))
    if r.deliveries or r.sent or r.failed or r.dead or r.stale:
        log.info(
            "发出 %d 条消息（含 %d 条通知），失败 %d，结果未知 %d，放弃 %d，顺延 %d，"
            "已过时未发送 %d",
            r.sent,
            r.notices,
            r.failed,
            r.unknown,
            r.dead,
            r.deferred,
            r.stale,
        )
    for kind, n in sorted(r.outboxed_kinds.items()):
        log.warning(
            "【注意】channels.yaml 没有配置渠道 %s：%d 条消息只写入了本机发件箱，并未送达任何人",
            kind,
            n,
        )
    summary = {
        "deliveries": r.deliveries,
        "notices": r.notices,
        "sent": r.sent,
        "failed": r.failed,
        "unknown": r.unknown,
        "dead": r.dead,
        "deferred": r.deferred,
        "stale": r.stale,
        "outboxed": r.outboxed_kinds,
    }
    if r.troubled:
        return Failed(
            message=f"{r.troubled} 条消息未能送出（失败 {r.failed}、结果未知 "
            f"{r.unknown}、放弃 {r.dead}）",
            data=summary,
        )
    return summary
