"""``duban up``: the embedded deployment in one process tree.

Starts the local Prefect server (unless ``PREFECT_API_URL`` points at one),
reconciles the deployments of every loaded plan, and serves them in this
process until Ctrl-C (or SIGTERM), which stops the runner and the server.
Schedules are not paused on shutdown (``serve`` would pause them by default),
so the next ``duban up`` carries on where this one stopped.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pendulum
from prefect import serve
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import select

from flows.deploy import plan_deployments, reconcile, shared_deployments, supervising
from flows.server import LocalServer, start_server
from ledger import config
from ledger.db import open_ledger, transaction
from ledger.models import Plan
from ledger.queries import calendar_gaps
from plans.model import PlanSpec


def loaded_plans(database_url: str) -> list[PlanSpec]:
    with transaction(open_ledger(database_url)) as s:
        return [PlanSpec.model_validate(doc) for doc in s.scalars(select(Plan.document))]


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _quiet_shutdown() -> None:
    """Ctrl-C and SIGTERM stop ``duban up`` in Chinese only: Prefect's runner would take
    SIGTERM itself (logging "SIGTERM received…" and leaving ``Runner.astop`` never
    awaited) and ``serve`` logs "Received KeyboardInterrupt, shutting down...". The
    runner's handler raises KeyboardInterrupt as ours does, and that one line is not
    logged; ``up`` says 已停止 when all is down."""
    from prefect.runner import Runner

    def handle_sigterm(self: Runner, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    Runner.handle_sigterm = handle_sigterm  # type: ignore[method-assign]
    logging.getLogger("prefect.flows").setLevel(logging.WARNING)


def queue_runs(runs: list[tuple[str, dict[str, Any], int]]) -> None:
    """Flow runs to start once the runner serves: (deployment, parameters, delay in s)."""
    for name, parameters, delay in runs:
        run_deployment(
            name,
            parameters=parameters,
            timeout=0,
            scheduled_time=pendulum.now("UTC").add(seconds=delay),
        )


def start_web(app: Any, host: str, port: int) -> Callable[[], None]:
    """The web pages in a thread of this process; the function that stops them."""
    import threading

    import uvicorn

    from web.logs import uvicorn_log_config

    # The client's address is the app's to work out (DUBAN_TRUSTED_PROXIES), not uvicorn's.
    # In the terminal of `duban up` only warnings show (`duban web` logs every request).
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            proxy_headers=False,
            log_config=uvicorn_log_config(quiet=True),
            access_log=False,
        )
    )
    # uvicorn installs no signal handlers outside the main thread (Server.capture_signals),
    # so this thread leaves Ctrl-C to the launcher.
    thread = threading.Thread(target=server.run, name="duban-web", daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return stop


def up(
    home: Path,
    database_url: str,
    *,
    port: int | None = None,
    say: Callable[[str], None] = print,
    kickoff: list[tuple[str, dict[str, Any], int]] | None = None,
    web: Callable[[], Callable[[], None]] | None = None,
) -> None:
    """``web`` starts the pages (after the Prefect server, so that the board's checks
    run through it) and returns their stop."""
    specs = loaded_plans(database_url)
    if not specs:
        say("台账中还没有计划：先 duban plan load 计划文件。")
        return
    with transaction(open_ledger(database_url)) as s:
        gaps = calendar_gaps(s, config.calendar(), pendulum.now("Asia/Shanghai").date())
    for msg in gaps.values():
        say(f"【注意】{msg}")
    server: LocalServer | None = None
    stop_web: Callable[[], None] | None = None
    signal.signal(signal.SIGTERM, _interrupt)  # systemd or a test harness stops like Ctrl-C
    _quiet_shutdown()
    try:
        if not os.environ.get("PREFECT_API_URL"):
            server = start_server(home, port)
            os.environ.update(server.env)  # flow-run subprocesses inherit the server's address
            say(
                f"Prefect 服务已启动：{server.url.removesuffix('/api')}"
                "（可在界面查看和手动运行流程）"
            )
        if web is not None:
            stop_web = web()
        # Prefect read its settings at import: point this process's client at the server.
        with temporary_settings(updates={PREFECT_API_URL: os.environ["PREFECT_API_URL"]}):
            rehearsal = bool(kickoff)  # the demo runs on a simulated clock
            r = reconcile(specs, prune_all=True, live_dispatch=not rehearsal)
            say(
                f"已部署 {len(specs)} 个计划的 {len(r.applied)} 个流程"
                + (
                    f"，移除过期部署 {len(r.removed_deployments)} 个"
                    if r.removed_deployments
                    else ""
                )
                + "。按 Ctrl-C 停止。"
            )
            for spec in specs:
                if not supervising(spec):
                    say(
                        f"计划 {spec.id} 的计划期已于 {spec.period_end} 结束，不安排每日 9:00 "
                        "自动巡检（可在 Prefect 界面或用 duban sweep 手动运行）。"
                    )
            deployments = [d for spec in specs for d in plan_deployments(spec)]
            deployments += shared_deployments(live=not rehearsal)
            if kickoff:
                queue_runs(kickoff)
                say(
                    "已排队演示运行："
                    + "、".join(name for name, _, _ in kickoff)
                    + "。演示按模拟时刻运行，不安排每 5 分钟的实时发送；"
                    "正式运行请用 duban up（不加 --demo）。"
                )
            serve(*deployments, pause_on_shutdown=False, print_starting_message=False)
    except KeyboardInterrupt:
        pass
    finally:
        if stop_web is not None:
            stop_web()
        if server is not None:
            server.stop()
        say("已停止。")
