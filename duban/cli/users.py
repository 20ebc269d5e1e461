"""Who may open what: ``users`` (web accounts) and ``links`` (units' links)."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from typing import Annotated

import pendulum
import typer
from sqlalchemy.orm import Session

from duban.cli.common import EXIT_USAGE, act, actor, fail, group, out
from ledger.models import Unit, utcnow
from ledger.reports import get_plan, get_unit

users_app = group("网页账号：协调单位（可审核、检查、重发）和只读账号。")
links_app = group("单位链接：每个单位凭自己的链接查看本单位事项、报送完成情况、申请延期。")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="用户名", metavar="用户名")],
    role: Annotated[
        str, typer.Option("--role", help="coordinator（协调单位）或 viewer（只读）")
    ] = "coordinator",
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="从标准输入读密码（脚本用）；缺省为交互输入两次"),
    ] = False,
) -> None:
    """新建网页账号，或为已有账号重设密码和角色（同时解除锁定、退出其已登录的浏览器）。
    密码以 argon2 散列保存，至少 10 个字符。

    例：duban users add 王科长 --role coordinator
    """
    from ledger.users import LoginError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码：")
        if getpass.getpass("再输一次：") != password:
            raise fail("两次输入的密码不一致，未保存。", EXIT_USAGE)
    try:
        act(lambda s: add_user(s, name, role, password, actor=actor()))
    except LoginError as exc:
        raise fail(str(exc), EXIT_USAGE) from exc
    kind = "协调单位" if role == "coordinator" else "只读"
    out.print(f"[green]已保存账号 {name}[/green]（{kind}）。")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="用户名", metavar="用户名")]) -> None:
    """停用账号并退出其已登录的浏览器（审计记录保留）。

    例：duban users disable 王科长
    """
    from ledger.users import LoginError, disable_user

    try:
        act(lambda s: disable_user(s, name, actor=actor()))
    except LoginError as exc:
        raise fail(str(exc), EXIT_USAGE) from exc
    out.print(f"已停用账号 {name}。")


def _link_unit(s: Session, unit: str, plan: str | None) -> Unit:
    return get_unit(s, unit, get_plan(s, plan).jurisdiction if plan else None)


@links_app.command("issue")
def links_issue(
    unit: Annotated[str, typer.Argument(help="单位名称或别名")],
    plan: Annotated[str | None, typer.Option("--plan", help="在此计划的辖区中查找单位")] = None,
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="有效天数；缺省为该单位所在计划期结束后 60 天"),
    ] = None,
) -> None:
    """为单位生成新链接（旧链接随即停用）。链接只显示该单位的事项，可放进短信。

    例：duban links issue 市司法局 --plan zhongshan-2021-zwgk
    """
    from ledger.links import issue

    def go(s: Session) -> tuple[str, str, dt.datetime]:
        u = _link_unit(s, unit, plan)
        expires = utcnow() + dt.timedelta(days=days) if days else None
        got = issue(s, u, actor=actor(), expires_at=expires)
        return u.name, got.url, got.expires_at

    name, url, expires = act(go)
    local = pendulum.instance(expires).in_timezone("Asia/Shanghai").format("YYYY-MM-DD HH:mm")
    out.print(f"[green]{name} 的链接[/green]：{url}（有效至 {local}；此前的链接已停用）")


@links_app.command("revoke")
def links_revoke(
    unit: Annotated[str, typer.Argument(help="单位名称或别名")],
    plan: Annotated[str | None, typer.Option("--plan", help="在此计划的辖区中查找单位")] = None,
) -> None:
    """停用单位的全部链接（打开时显示“链接已停用”）。之后可用 links issue 重新生成。

    例：duban links revoke 市司法局 --plan zhongshan-2021-zwgk
    """
    from ledger.links import revoke

    def go(s: Session) -> tuple[str, int]:
        u = _link_unit(s, unit, plan)
        return u.name, revoke(s, u, actor=actor())

    name, n = act(go)
    out.print(f"已停用 {name} 的 {n} 个链接。" if n else f"{name} 没有可停用的链接。")
