"""Compiling plans into Prefect deployments, and reconciling the server with them.

A plan becomes a small constant number of deployments whatever its size
(DESIGN decision 4): ``duban-supervise/<plan>`` (daily 09:00 Shanghai; the
flow skips days off), ``duban-check/<plan>`` (one RRule schedule per check
date, also runnable by hand) and ``duban-lookback/<plan>`` (its dated 回头看
checkpoints, if any; otherwise by hand); plus ``duban-dispatch/all``, one
for every plan, which delivers the outbox every 5 minutes. Re-applying a
deployment keeps schedules whose slug was dropped, so deploying is a
reconcile: apply what is wanted, then delete stale schedules (by slug) and
stale deployments (by the ``duban`` tag).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from prefect import get_client
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags
from prefect.client.schemas.responses import DeploymentResponse
from prefect.client.schemas.schedules import CronSchedule, RRuleSchedule
from prefect.client.schemas.sorting import DeploymentSort
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, RRule
from prefect.types.entrypoint import EntrypointType

from flows.app import check, dispatcher, lookback, supervise
from plans.compile import checkpoint_dates
from plans.model import PlanSpec

TAG = "duban"
SUPERVISE_CRON = "0 9 * * *"
DISPATCH_CRON = "*/5 * * * *"
# Escalations of December deadlines and 整改 run into the next year; after that
# a plan's daily sweep is no longer scheduled (it stays runnable by hand).
SUPERVISE_GRACE = dt.timedelta(days=120)


def supervising(spec: PlanSpec, today: dt.date | None = None) -> bool:
    """Whether the plan's daily sweep should be scheduled: its period has not long ended."""
    return (today or dt.date.today()) <= spec.period_end + SUPERVISE_GRACE


def check_schedule(day: dt.date, tz: str, hour: int = 9, prefix: str = "check") -> Any:
    """Exactly one run, at ``hour`` o'clock local time on ``day``."""
    return RRule(
        f"DTSTART:{day:%Y%m%d}T{hour:02d}0000\nRRULE:FREQ=DAILY;COUNT=1",
        timezone=tz,
        slug=f"{prefix}-{day.isoformat()}",
    )


def work_pool(given: str | None = None) -> str | None:
    """The Prefect work pool the deployments go to: ``--pool``, else ``DUBAN_WORK_POOL``.
    None: served by ``duban up`` itself (one machine); a pool: run by ``prefect worker
    start --pool NAME`` on any number of machines that have duban installed."""
    return given or os.environ.get("DUBAN_WORK_POOL") or None


def _deployment(made: RunnerDeployment | Coroutine[Any, Any, RunnerDeployment]) -> RunnerDeployment:
    """``Flow.to_deployment`` is sync-compatible: called from sync code it returns the
    deployment itself, which its typing does not say."""
    assert isinstance(made, RunnerDeployment)
    return made


def plan_deployments(
    spec: PlanSpec, today: dt.date | None = None, pool: str | None = None
) -> list[RunnerDeployment]:
    tags = [TAG, f"plan:{spec.id}"]
    common: dict[str, Any] = {
        "name": spec.id,
        "tags": tags,
        "work_pool_name": pool,
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    live = supervising(spec, today)
    made = (
        supervise.to_deployment(
            schedules=[Cron(SUPERVISE_CRON, timezone=spec.timezone, slug="daily-0900")]
            if live
            else [],
            parameters={"plan": spec.id},
            description=f"{spec.title}：每个工作日 9:00 督办巡检"
            if live
            else f"{spec.title}：计划期已于 {spec.period_end} 结束，不再自动巡检；可手动运行",
            **common,
        ),
        check.to_deployment(
            schedules=[check_schedule(d, spec.timezone) for d in checkpoint_dates(spec)],
            parameters={"plan": spec.id},
            description=f"{spec.title}：按检查日期（{'、'.join(map(str, checkpoint_dates(spec)))}）"
            "检查落实情况；也可带参数手动运行",
            **common,
        ),
        lookback.to_deployment(
            schedules=[
                check_schedule(d, spec.timezone, prefix="lookback")
                for d in checkpoint_dates(spec, "lookback")
            ],
            parameters={"plan": spec.id},
            description=f"{spec.title}：对上一年度计划（{spec.predecessor or '未设置'}）回头看，"
            "为未完成事项开立整改；可手动运行",
            **common,
        ),
    )
    return [_deployment(d) for d in made]


def dispatch_cron() -> str | None:
    """How often the shared dispatcher runs: ``DUBAN_DISPATCH_CRON`` (a cron line, or
    ``off`` to run it only by hand), default every 5 minutes."""
    value = os.environ.get("DUBAN_DISPATCH_CRON", DISPATCH_CRON).strip()
    return None if value.lower() in ("", "off", "none") else value


def shared_deployments(live: bool = True, pool: str | None = None) -> list[RunnerDeployment]:
    """One dispatcher for all plans: it drains the whole outbox. Not ``live`` (a
    rehearsal on a simulated clock), it runs only when started with its ``at``: a
    real-time run would send the rehearsal's notices dated today."""
    cron = dispatch_cron() if live else None
    return [
        _deployment(
            dispatcher.to_deployment(
                name="all",
                tags=[TAG, "shared"],
                entrypoint_type=EntrypointType.MODULE_PATH,
                work_pool_name=pool,
                schedules=[Cron(cron, timezone="Asia/Shanghai", slug="every-5-min")]
                if cron
                else [],
                description="发送发件箱中到时的通知（每人每渠道每天一条摘要），重试失败的发送",
            )
        )
    ]


def prefect_yaml(specs: list[PlanSpec], pool: str, workdir: str = "/opt/duban") -> dict[str, Any]:
    """The same deployments as a ``prefect.yaml``, for teams that manage them with
    ``prefect deploy --all``. duban's reconcile also deletes stale schedules and
    deployments; ``prefect deploy`` does not, so redeploy after editing a plan's dates."""
    import prefect

    out: list[dict[str, Any]] = []
    for d in [d for spec in specs for d in plan_deployments(spec, pool=pool)] + shared_deployments(
        pool=pool
    ):
        schedules = []
        for s in d.schedules or []:
            sched = s.schedule
            if isinstance(sched, CronSchedule):
                entry = {"cron": sched.cron, "timezone": sched.timezone}
            elif isinstance(sched, RRuleSchedule):
                entry = {"rrule": sched.rrule, "timezone": sched.timezone}
            else:  # duban makes only cron and rrule schedules
                raise TypeError(f"unexpected schedule {sched!r}")
            schedules.append(entry | {"slug": s.slug})
        module, func = d.entrypoint.rsplit(".", 1)  # type: ignore[union-attr]
        out.append(
            {
                "name": d.name,
                "entrypoint": f"{module.replace('.', '/')}.py:{func}",
                "description": d.description,
                "tags": list(d.tags),
                "parameters": dict(d.parameters),
                "schedules": schedules,
                "work_pool": {"name": pool, "work_queue_name": None, "job_variables": {}},
            }
        )
    return {
        "name": "duban",
        "prefect-version": prefect.__version__,
        "build": None,
        "push": None,
        "pull": [{"prefect.deployments.steps.set_working_directory": {"directory": workdir}}],
        "deployments": out,
    }


@dataclass
class Reconciled:
    applied: list[str] = field(default_factory=list)
    removed_deployments: list[str] = field(default_factory=list)
    removed_schedules: list[str] = field(default_factory=list)


async def _duban_deployments(client: PrefectClient) -> list[DeploymentResponse]:
    """Every deployment tagged ``duban``, page by page (the server wants a limit)."""
    out: list[DeploymentResponse] = []
    while True:
        page = await client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=[TAG])),
            limit=200,
            offset=len(out),
            sort=DeploymentSort.NAME_ASC,
        )
        out += page
        if len(page) < 200:
            return out


def reconcile(
    specs: list[PlanSpec],
    *,
    prune_all: bool = False,
    live_dispatch: bool = True,
    pool: str | None = None,
) -> Reconciled:
    """Apply the deployments of ``specs``; delete their stale schedules and deployments.

    With ``prune_all`` (``duban up``, which serves every loaded plan) any
    duban deployment not wanted is removed, e.g. that of an archived plan.
    """
    # Built outside the event loop: Flow.to_deployment is a coroutine inside one.
    wanted = {d.full_name: d for spec in specs for d in plan_deployments(spec, pool=pool)}
    wanted |= {d.full_name: d for d in shared_deployments(live_dispatch, pool)}
    return asyncio.run(_reconcile(wanted, {f"plan:{s.id}" for s in specs}, prune_all))


async def _reconcile(
    wanted: dict[str, RunnerDeployment], plan_tags: set[str], prune_all: bool
) -> Reconciled:
    result = Reconciled()
    async with get_client() as client:
        for name, d in wanted.items():
            dep_id = await d.aapply()
            result.applied.append(name)
            slugs = {s.slug for s in d.schedules or []}
            for s in await client.read_deployment_schedules(dep_id):
                if s.slug not in slugs:
                    await client.delete_deployment_schedule(dep_id, s.id)
                    result.removed_schedules.append(f"{name}#{s.slug}")
        existing = await _duban_deployments(client)
        flows = {f.id: f.name for f in await client.read_flows(limit=200)}
        for dep in existing:
            full = f"{flows.get(dep.flow_id, '?')}/{dep.name}"
            mine = prune_all or any(t in plan_tags for t in dep.tags)
            if full not in wanted and mine:
                await client.delete_deployment(dep.id)
                result.removed_deployments.append(full)
    return result
