"""What an operator monitors: ``/healthz`` (red when someone must act) and ``/metrics``
(Prometheus), plus the page every other route shows when the database fails.

The health check reads the ledger every machine writes, so one web process speaks for
the whole install: the database answers, its schema is this code's, each supervised
plan's daily sweep ran on the last working day at 09:00, the dispatcher ran in the last
minutes, and no message has been given up on. It answers 200 when all hold and 503
with the reasons (in Chinese) when one does not, so a load balancer, a systemd timer
or an uptime checker can alert on the status alone.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass

import pendulum
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from ledger import config, watchdog
from ledger.db import DatabaseError, current_revision, head_revision, mismatch
from ledger.heartbeats import ALL_PLANS, DISPATCH, all_beats, sweep_name
from ledger.models import ChannelOutage, Delivery, Notification, Plan
from web.pages import Web

TZ = "Asia/Shanghai"
SWEEP_HOUR = 9  # the daily sweep's schedule (flows/deploy.py)
SWEEP_GRACE = dt.timedelta(hours=1)
SUPERVISED_AFTER_END = dt.timedelta(days=120)  # flows/deploy.py SUPERVISE_GRACE


def web_wait() -> float:
    """``DUBAN_WEB_DB_WAIT``: how long a page waits for the database before it says so."""
    return float(os.environ.get("DUBAN_WEB_DB_WAIT", 15))


def dispatch_minutes() -> float:
    """``DUBAN_HEALTH_DISPATCH_MINUTES``: the dispatcher's run may be this old (0: unchecked,
    for an install whose dispatcher runs by hand)."""
    return float(os.environ.get("DUBAN_HEALTH_DISPATCH_MINUTES", 15))


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def last_sweep_due(now: dt.datetime) -> dt.datetime:
    """The latest working-day 09:00 (Beijing) whose sweep should have finished by ``now``."""
    cal = config.calendar()
    local = pendulum.instance(now).in_timezone(TZ) - SWEEP_GRACE
    day = local.date()
    if local.hour < SWEEP_HOUR:
        day -= dt.timedelta(days=1)
    with warnings.catch_warnings():  # an unknown year is counted on weekends only here
        warnings.simplefilter("ignore")
        for _ in range(40):
            if cal.is_workday(day):
                break
            day -= dt.timedelta(days=1)
    return pendulum.datetime(day.year, day.month, day.day, SWEEP_HOUR, tz=TZ).in_timezone("UTC")


def period_end(plan: Plan) -> dt.date:
    """The plan's period end (``plans.model.PlanSpec.period_end``) without validating its
    whole document, which for a province is thousands of tasks."""
    end = plan.document.get("end")
    return dt.date.fromisoformat(str(end)) if end else dt.date(plan.year, 12, 31)


def sweep_checks(s: Session, now: dt.datetime) -> Iterator[Check]:
    beats = all_beats(s)
    due = last_sweep_due(now)
    today = pendulum.instance(now).in_timezone(TZ).date()
    for plan in s.scalars(select(Plan).order_by(Plan.key)):
        if today > period_end(plan) + SUPERVISED_AFTER_END or plan.loaded_at > due:
            continue
        runs = [
            b.last_ok_at
            for n in (sweep_name(plan.key), ALL_PLANS)
            if (b := beats.get(n)) is not None and b.last_ok_at is not None
        ]
        last = max(runs, default=None)
        shown = pendulum.instance(due).in_timezone(TZ).format("YYYY-MM-DD HH:mm")
        if last is None or last < due:
            when = (
                pendulum.instance(last).in_timezone(TZ).format("YYYY-MM-DD HH:mm")
                if last
                else "从未成功运行"
            )
            yield Check(
                f"sweep:{plan.key}",
                False,
                f"计划 {plan.key} 的每日巡检没有按时运行（应于 {shown} 运行，"
                f"最近一次成功：{when}）：查看 worker 和 Prefect 服务，"
                "或手动运行 duban sweep --plan " + plan.key,
            )
        else:
            yield Check(f"sweep:{plan.key}", True, f"最近一次成功巡检不早于 {shown}")


def dispatch_check(s: Session, now: dt.datetime) -> Check | None:
    minutes = dispatch_minutes()
    if not minutes or s.scalar(select(func.count()).select_from(Plan)) == 0:
        return None
    beat = all_beats(s).get(DISPATCH)
    last = beat.last_ok_at if beat else None
    if last is None or now - last > dt.timedelta(minutes=minutes):
        when = (
            pendulum.instance(last).in_timezone(TZ).format("YYYY-MM-DD HH:mm")
            if last
            else "从未成功运行"
        )
        return Check(
            "dispatch",
            False,
            f"发送进程超过 {minutes:g} 分钟没有成功运行（最近一次："
            f"{when}）：查看 worker 和 duban-dispatch/all 的运行记录",
        )
    return Check("dispatch", True, "发送进程运行正常")


def checks(web: Web, *, only_database: bool = False) -> list[Check]:
    """Every check, each bounded by the web's database wait. ``only_database``: whether
    this process can serve pages (a container's health check), not the operator's
    alerts."""
    engine = web.ledger.kw["bind"]
    try:
        with web.ledger() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:
        return [Check("database", False, f"数据库无法访问：{str(exc).splitlines()[0]}")]
    have, want = current_revision(engine), head_revision()
    if have != want:
        return [
            Check("database", True, "数据库可以访问"),
            Check("schema", False, mismatch(have, want)),
        ]
    now = pendulum.now("UTC")
    result = [
        Check("database", True, "数据库可以访问"),
        Check("schema", True, f"数据库结构版本 {have}"),
    ]
    if only_database:
        return result
    with web.ledger() as s:
        result += list(sweep_checks(s, now))
        if (d := dispatch_check(s, now)) is not None:
            result.append(d)
        dead = (
            s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "dead"))
            or 0
        )
    result.append(
        Check(
            "dead_deliveries",
            dead == 0,
            "没有已放弃的消息"
            if not dead
            else f"{dead} 条消息已放弃发送：修复渠道后运行 duban notices --retry-dead"
            "（duban notices --status 已放弃 列出它们）",
        )
    )
    return result


class LedgerCollector(Collector):
    """Read at each scrape from the ledger (one GROUP BY per table), so every worker's
    work shows, not only this process's."""

    def __init__(self, web: Web) -> None:
        self.web = web

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("duban_database_up", "1 if the ledger answered this scrape")
        try:
            with self.web.ledger() as s:
                families = list(_ledger_families(s))
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _ledger_families(s: Session) -> Iterator[Metric]:
    notices = GaugeMetricFamily(
        "duban_notices", "Notices in the outbox by status and channel", labels=["status", "channel"]
    )
    for status, channel, n in s.execute(
        select(Notification.status, Notification.channel, func.count()).group_by(
            Notification.status, Notification.channel
        )
    ):
        notices.add_metric([status, channel], n)
    deliveries = GaugeMetricFamily(
        "duban_deliveries",
        "Messages by status (sending, sent, failed, unknown, dead) and channel",
        labels=["status", "channel"],
    )
    for status, channel, n in s.execute(
        select(Delivery.status, Delivery.channel, func.count()).group_by(
            Delivery.status, Delivery.channel
        )
    ):
        deliveries.add_metric([status, channel], n)
    outages = GaugeMetricFamily("duban_open_outages", "Channels failing now", labels=["channel"])
    for channel, n in s.execute(
        select(ChannelOutage.channel, func.count())
        .where(ChannelOutage.ended_at.is_(None))
        .group_by(ChannelOutage.channel)
    ):
        outages.add_metric([channel], n)
    last_ok = GaugeMetricFamily(
        "duban_job_last_success_timestamp_seconds",
        "When a sweep or the dispatcher last succeeded",
        labels=["job"],
    )
    duration = GaugeMetricFamily(
        "duban_job_last_duration_seconds", "How long the job's last run took", labels=["job"]
    )
    ok = GaugeMetricFamily(
        "duban_job_last_run_ok", "1 if the job's last run succeeded", labels=["job"]
    )
    for name, beat in all_beats(s).items():
        if beat.last_ok_at is not None:
            last_ok.add_metric([name], beat.last_ok_at.timestamp())
        duration.add_metric([name], beat.duration_ms / 1000)
        ok.add_metric([name], 1 if beat.ok else 0)
    yield from (notices, deliveries, outages, last_ok, duration, ok)


def _unavailable(web: Web) -> Callable[[Request, Exception], Response]:
    def answer(_request: Request, exc: Exception) -> Response:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        response = web.refuse(
            503,
            "数据库暂时无法访问，本页面未能打开，已填写的内容没有保存。"
            f"请稍后刷新重试；如持续出现，请联系运维人员。（{detail}）",
        )
        response.headers["Retry-After"] = "30"
        return response

    return answer


def routes(app: FastAPI, web: Web) -> None:
    watchdog.limit(web.ledger.kw["bind"], web_wait())
    registry = CollectorRegistry()
    registry.register(LedgerCollector(web))
    latency = Histogram(
        "duban_web_request_duration_seconds",
        "Time to answer a page",
        ["method", "route", "status"],
        registry=registry,
    )
    for kind in (DBAPIError, DatabaseError, PoolTimeout):
        app.add_exception_handler(kind, _unavailable(web))

    @app.middleware("http")
    async def timed(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "other")  # /u/{token}, not tokens
        latency.labels(request.method, route, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response

    @app.get("/healthz", response_model=None)
    def healthz(only: str = "") -> JSONResponse:
        found = checks(web, only_database=only == "database")
        ok = all(c.ok for c in found)
        return JSONResponse(
            {"status": "ok" if ok else "fail", "checks": [asdict(c) for c in found]},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", response_model=None)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
