"""The running system: ``web`` (the pages), ``up`` (Prefect, flows and pages in one
process) and ``demo``. ``duban.cli`` registers these top-level commands."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from duban.cli.common import AT_RULE, EXIT_ENV, EXIT_USAGE, act, fail, open_db, out, parse_when
from duban.cli.plan import plan_load
from duban.cli.supervise import status
from duban.cli.units import units_import
from ledger import config
from ledger.db import DatabaseError, open_ledger
from ledger.reports import get_unit


def web_cmd(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="监听端口")] = 8780,
    at: Annotated[
        str | None,
        typer.Option("--at", help=f"演示：页面从此时刻起计时（计算期限和状态）。{AT_RULE}"),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="网页进程数：高峰时按 CPU 核数设置；登录、会话和校验码在各进程间共用",
        ),
    ] = 1,
) -> None:
    """启动网页服务：协调单位登录后在 / 查看计划、看板、审核队列、通知，发起检查，导出台账；
    单位凭通知中的链接（/u/…）查看本单位事项、报送完成情况、申请延期，无需账号。
    通知中的链接地址取环境变量 DUBAN_PUBLIC_URL（缺省为 http://127.0.0.1:8780）。
    前面有反向代理时，把代理的地址写入 DUBAN_TRUSTED_PROXIES（逗号分隔，可写网段），
    只有这些地址发来的 X-Forwarded-For 才被采信（登录次数按来访地址计）。

    例：DUBAN_PUBLIC_URL=https://duban.zs.gov.cn duban web --port 8780 --workers 2
    """
    import uvicorn

    from web import WEB_AT, create_app
    from web.auth import trusted_proxies
    from web.pages import offset_clock, real_clock

    try:
        trusted_proxies(os.environ.get("DUBAN_TRUSTED_PROXIES", ""))
    except ValueError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    start = parse_when(at, "--at") if at else None
    ledger = open_db()  # migrated once, here, before any worker starts
    for line in web_addresses(host, port):
        out.print(line)
    # The client's address is worked out by the app from DUBAN_TRUSTED_PROXIES, not by
    # uvicorn (which would believe X-Forwarded-For from 127.0.0.1).
    from web.logs import uvicorn_log_config

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": False,
        "log_config": uvicorn_log_config(),
        "access_log": True,
    }
    if workers == 1:
        clock = offset_clock(start) if start else real_clock
        uvicorn.run(create_app(ledger, clock=clock), **options)
        return
    if start:
        os.environ[WEB_AT] = start.isoformat()
    out.print(f"{workers} 个网页进程")
    # A busy worker on a busy machine can miss uvicorn's 5 s health ping and be killed with
    # its requests in flight; a minute tells hung from busy.
    uvicorn.run(
        "web:worker_app", factory=True, workers=workers, timeout_worker_healthcheck=60, **options
    )


def web_addresses(host: str, port: int) -> list[str]:
    """What a coordinator needs to know to open the pages, and what units' links say.
    Without ``DUBAN_PUBLIC_URL`` the links name the address the pages listen on (this
    process and the flow runs it starts inherit it)."""
    from ledger.links import public_base

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    lines = [f"网页服务：http://{shown}:{port}/（协调单位登录；用 duban users add 建账号）"]
    if not os.environ.get("DUBAN_PUBLIC_URL"):
        os.environ["DUBAN_PUBLIC_URL"] = f"http://{shown}:{port}"
        lines.append(
            f"[yellow]DUBAN_PUBLIC_URL 未设置：本进程及其启动的流程发出的单位链接按 "
            f"{public_base()} 生成，只在本机能打开；单独运行的 duban dispatch 按缺省的 "
            "http://127.0.0.1:8780。正式使用请设为单位能访问的地址（见 README）。"
            "[/yellow]"
        )
    else:
        lines.append(f"单位链接地址：{public_base()}/u/…")
    return lines


def up_cmd(
    port: Annotated[int | None, typer.Option(help="Prefect 服务端口，缺省自动选择")] = None,
    web_port: Annotated[
        int, typer.Option("--web-port", help="网页服务端口；0 表示不启动网页")
    ] = 8780,
    host: Annotated[str, typer.Option("--host", help="网页服务监听地址")] = "127.0.0.1",
    demo: Annotated[
        bool, typer.Option("--demo", help="先导入示例名录和参考计划，并按演示时刻跑一次巡检和发送")
    ] = False,
    demo_at: Annotated[str, typer.Option(help="演示巡检的模拟时刻")] = "2021-07-12T09:00",
) -> None:
    """启动内嵌运行：本地 Prefect 服务（SQLite，位于数据目录）、所有已加载计划的部署和执行器，
    以及网页服务，直到按 Ctrl-C 停止。--demo 时导入中山示例并立即以模拟时刻巡检一次，
    通知写入本地发件箱，并打印一个单位链接和一个协调单位演示账号。

    例：duban up --demo
    """
    from flows.server import ServerError
    from flows.up import start_web, up
    from web import create_app
    from web.pages import offset_clock, real_clock

    url = config.database_url()
    try:  # its own SQLite ledger: created and upgraded here, so the first command works
        factory = open_ledger(url, migrate=url.startswith("sqlite"))
    except DatabaseError as exc:
        raise fail(str(exc), EXIT_ENV) from exc
    kickoff = None
    clock = real_clock
    if demo:
        _load_demo()
        when = parse_when(demo_at, "--demo-at")
        later = when.add(minutes=5).format("YYYY-MM-DDTHH:mm")
        kickoff = [
            ("duban-supervise/zhongshan-2021-zwgk", {"at": demo_at}, 0),
            ("duban-dispatch/all", {"at": later}, 20),
        ]
        clock = offset_clock(when)
        out.print(
            f"演示：巡检按 {when.format('YYYY-MM-DD HH:mm')} 进行，通知写入 "
            f"{config.home() / 'outbox'}"
        )
    start = None
    if web_port:
        addresses = web_addresses(host, web_port)  # sets the links' address for flow runs

        def start() -> Callable[[], None]:
            stop = start_web(create_app(factory, clock=clock), host, web_port)
            for line in addresses:
                out.print(line)
            if demo:
                _demo_logins(clock())
            return stop

    try:
        up(
            config.home(),
            config.database_url(),
            port=port,
            say=out.print,
            kickoff=kickoff,
            web=start,
        )
    except ServerError as exc:
        raise fail(str(exc), EXIT_ENV) from exc


def _demo_logins(now: dt.datetime) -> None:
    """A coordinator account and a unit link that work, for the demo."""
    import secrets

    from ledger.links import current
    from ledger.users import add_user

    password = secrets.token_urlsafe(9)

    def go(s: Session) -> str:
        add_user(s, "demo", "coordinator", password, actor="demo")
        unit = get_unit(s, "市司法局", "中山市")
        return current(s, [unit], actor="demo", now=now)[unit.id]

    link = act(go)
    out.print(f"演示协调单位账号：用户名 demo，密码 {password}（每次 --demo 重新生成）")
    out.print(f"演示单位链接（市司法局）：{link}")


def demo(
    at: Annotated[str, typer.Option("--at", help="按某日查看台账")] = "2021-09-20",
) -> None:
    """演示：导入中山市单位名录和参考计划（中府办函〔2021〕91号），显示 9月20日检查时的台账。

    例：duban demo
    """
    out.print(f"数据目录：{config.home()}    数据库：{config.database_url()}")
    _load_demo()
    status(plan="zhongshan-2021-zwgk", unit=None, at=at)


def _load_demo() -> None:
    """The Zhongshan directory and the reference plan (plans/ at the top of the checkout)."""
    root = Path(__file__).resolve().parents[2] / "plans"
    units_import(root / "units" / "zhongshan.csv", jurisdiction=None, replace=False, yes=False)
    plan_load(root / "zhongshan-2021.yaml")
