"""The Prefect flows. Each is a thin wrapper around a use case (``usecases/``) that
only adds the run's log and its state.

One sweep flow run handles every due milestone of a plan in batches, one
transaction each (a task run per notice would cost more than the notice).
"""

from __future__ import annotations

from typing import Any

import pendulum
from prefect import flow, get_run_logger
from prefect.states import Failed

from ledger import config
from ledger.db import open_ledger, transaction
from ledger.lookback import look_back
from ledger.supervise import rung_label
from plans.duerules import parse_moment
from usecases.check import check_now
from usecases.dispatch import dispatch_now
from usecases.supervise import supervise_now

TZ = "Asia/Shanghai"


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
    done = supervise_now(
        open_ledger(config.database_url()),
        now,
        cal,
        plan,
        progress=lambda n, total: log.info("生成催办单/督办单/通报文件：%d/%d", n, total),
        # loud in the run's log; the dispatcher alerts the operator
        warn=lambda msg: log.warning("【注意】%s", msg),
    )
    r, circulars = done.result, done.circulars
    if done.loopback:
        log.warning("【注意】%s", done.loopback)
    log.info(
        "巡检 %s：处理 %d 个节点，写入 %d 条通知（%s）",
        now.format("YYYY-MM-DD HH:mm"),
        r.milestones,
        r.notices,
        "，".join(f"{rung_label(k)} {v}" for k, v in sorted(r.by_rung.items())) or "无",
    )
    if done.unacknowledged:
        log.info("%d 份催办单/督办单超过签收时限未签收，已发签收催办", done.unacknowledged)
    if r.no_recipient:
        log.warning("缺少联系方式：%s", "、".join(sorted(set(r.no_recipient))))
    if r.documents or circulars:
        log.info(
            "催办单/督办单 %d 份，通报 %d 份，见 %s",
            r.documents,
            len(circulars),
            config.files() / "documents",
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
        "calendar_gaps": sorted(done.calendar_gaps),
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
    done = check_now(
        open_ledger(config.database_url()),
        plan,
        now,
        config.calendar(),
        actor="flow:check",
        units=units,
        tasks=tasks,
        notify=notify,
    )
    report, path, sent = done.report, done.path, done.notices
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
