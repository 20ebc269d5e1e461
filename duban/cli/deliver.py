"""Messages leaving: ``dispatch``, ``channels test``, ``notices``. ``duban.cli`` registers
the top-level ``dispatch`` and ``notices``; the ``channels`` group is ``channels_app``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pendulum
import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from duban.cli.common import (
    AT_RULE,
    EXIT_ENV,
    EXIT_INVALID,
    act,
    actor,
    err,
    fail,
    group,
    open_db,
    out,
    read_at,
)
from ledger import config
from ledger.db import DatabaseError, transaction
from ledger.models import Notification
from ledger.reports import ActionError, find_contact, get_plan, get_unit
from ledger.supervise import rung_label

EXIT_UNDELIVERED = 4  # dispatch: messages failed or were given up; notices --check: dead
channels_app = group(
    "消息渠道：向联系人的每个渠道发送测试消息，逐渠道报告结果。"
    "渠道在数据目录的 channels.yaml 中配置（见 README 的 Channels 一节）。"
)


def _kinds(counts: dict[str, int]) -> str:
    """Channels as an operator reads and configures them: 短信（sms） 3 条."""
    from ledger.outbox_view import channel_name

    return "、".join(f"{channel_name(k)}（{k}） {n} 条" for k, n in sorted(counts.items()))


def _warn_loopback() -> None:
    from documents.render import loopback_warning

    if warning := loopback_warning():
        err.print(f"[bold red]【注意】{escape(warning)}[/bold red]")


def dispatch_cmd(
    at: Annotated[
        str | None, typer.Option("--at", help=f"按此时发送（补发或演练）。{AT_RULE}")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="并发发送数")] = 32,
) -> None:
    """发送发件箱中到时的通知：每人每渠道每天合并为一条摘要，失败的按退避重试。
    渠道按数据目录下 channels.yaml 配置；未配置的渠道写入本地发件箱（数据目录 outbox/）。
    通常由 Prefect 每 5 分钟执行。有消息发送失败、结果未知或已放弃时以退出码 4 结束。

    例：duban dispatch --at 2021-07-12T09:05
    """
    from notifications.dispatch import Settings, StoreLost, unrouted
    from notifications.render import TemplateProblem
    from notifications.transports import ConfigProblem, Transports
    from usecases.dispatch import dispatch_now, messages_waiting

    now = read_at(at)
    with transaction(open_db()) as s:  # links that open only here: said before they go
        waiting = messages_waiting(s)
    if waiting:
        _warn_loopback()
    try:
        transports = Transports.from_home(config.home())
        unconfigured = unrouted(open_db(), lambda c: transports.route(c) is not None)
        if unconfigured:
            out.print(
                f"【注意】channels.yaml 没有配置这些渠道：{_kinds(unconfigured)}待发。它们只会写入"
                f"本机发件箱 {config.home() / 'outbox'} 并记为已发送，不会送达任何人；"
                f"请在 channels.yaml 中为这些渠道配置发送方式（见 README Channels 一节）。"
            )
        r = dispatch_now(now, Settings(workers=workers))
    except (TemplateProblem, ConfigProblem) as exc:
        raise fail(str(exc), EXIT_INVALID) from exc
    except (StoreLost, DatabaseError) as exc:
        raise fail(
            f"{exc}。数据库恢复后再运行 duban dispatch 即可，已发出的不会重复"
            "（至多重发结果未记录的几条）",
            EXIT_ENV,
        ) from exc
    delivered = r.sent - r.outboxed
    out.print(
        f"送出 {delivered} 条消息，写入本地发件箱 {r.outboxed} 条"
        f"（新合并通知 {r.notices} 条，重发 {r.retried} 条）；"
        f"失败待重试 {r.failed}，结果未知待重试 {r.unknown}，放弃 {r.dead}，"
        f"顺延 {r.deferred}（每日摘要上限或夜间免扰，顺延到工作日早晨）。"
    )
    if r.stale:
        out.print(
            f"已过时未发送 {r.stale} 条通知（提醒的期限已过、已被下一步取代或超过计划的"
            f"过时天数），见 duban notices --status 已过时。"
        )
    if r.refused:
        out.print(
            f"其中 {r.refused} 条被平台拒收（用户不存在、应用无权限等），不再重试，已告警运维。"
        )
    if r.released:
        out.print(f"渠道恢复后立即重发 {r.released} 条待重试的消息。")
    if r.alerts:
        where = "，见 duban notices --status 已放弃" if r.dead else ""
        out.print(f"已向运维发出告警 {r.alerts} 条{where}。")
    if r.outboxed_kinds:
        out.print(
            f"【注意】未在 channels.yaml 配置的渠道不会真正发出：{_kinds(r.outboxed_kinds)}"
            f"只写入了本机发件箱 {config.home() / 'outbox'}，并未送达任何人。"
        )
    if r.troubled:
        out.print(
            f"有 {r.troubled} 条消息未能送出（失败 {r.failed}、结果未知 {r.unknown}、"
            f"放弃 {r.dead}），退出码 {EXIT_UNDELIVERED}。"
        )
        raise typer.Exit(EXIT_UNDELIVERED)


@channels_app.command("test")
def channels_test(
    contact: Annotated[
        str, typer.Argument(help="联系人姓名，或 单位名称[:经办人|分管领导|主要负责人]")
    ],
) -> None:
    """向一位联系人的每个渠道发送一条测试消息，逐渠道报告结果（不写入台账）。

    例：duban channels test 市司法局    duban channels test 陈晓明
    """
    from ledger.outbox import contact_channels
    from notifications.channels import Outgoing, channel_kind
    from notifications.render import TemplateProblem, Templates
    from notifications.transports import ConfigProblem, Transports
    from plans.policy import Policy

    try:
        transports = Transports.from_home(config.home())
        templates = Templates(config.home() / "templates")
    except (TemplateProblem, ConfigProblem) as exc:
        raise fail(str(exc), EXIT_INVALID) from exc
    factory = open_db()
    with transaction(factory) as session:
        try:
            unit, person = find_contact(session, contact)
        except ActionError as exc:
            raise fail(str(exc)) from exc
        pairs = contact_channels(person, Policy().channels)
        now = pendulum.now("Asia/Shanghai")
        ctx = {"person": person.name, "unit": unit.name, "at": now.format("YYYY-MM-DD HH:mm")}
    if not pairs:
        raise fail(f"{unit.name} {person.name} 没有可用的渠道（手机、邮箱或渠道列）", EXIT_INVALID)
    table = Table("渠道", "地址", "经由", "结果", "说明")
    failed = 0
    for channel, address in pairs:
        message = templates.render("channel_test", {**ctx, "channel": channel_kind(channel)})
        key = f"test/{channel}/{address}/{now.format('YYYYMMDDHHmmss')}"
        params = {
            "kind": "channel_test",
            "name": person.name,
            "unit": unit.name,
            "item": "",
            "due": "",
            "step": "",
            "count": "1",
            "day": now.to_date_string(),
            "plan": "",
            "subject": message.subject,
            "link": "",
        }  # a template SMS's variables
        outcome = transports(channel).send(Outgoing(key, channel, address, message, False, params))
        failed += outcome.status != "sent"
        verdict = (
            "已写入本地发件箱（未真正发出）"
            if outcome.local
            else {"sent": "已送达", "failed": "失败", "unknown": "结果未知"}[outcome.status]
        )
        detail = (
            outcome.detail
            if outcome.status == "sent"
            else f"渠道返回错误（原文）：{outcome.detail}"
        )
        table.add_row(channel, address, transports.describe(channel), verdict, detail[:160])
    out.print(table)
    if failed:
        raise typer.Exit(EXIT_INVALID)


def notices_cmd(
    plan: Annotated[str | None, typer.Option("--plan", help="计划 id")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="单位")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="待发送 / 发送中 / 已发送 / 已放弃 / 已过时（也可写 pending / sending / "
            "sent / dead / stale）",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="最多显示条数")] = 50,
    retry_dead: Annotated[
        bool, typer.Option("--retry-dead", help="把已放弃的通知重新排队")
    ] = False,
    at: Annotated[
        str | None, typer.Option("--at", help=f"--retry-dead 时从此时起重新发送。{AT_RULE}")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="以 JSON 输出（各状态条数和所列通知），供脚本和监控读取")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help=f"有已放弃的通知时以退出码 {EXIT_UNDELIVERED} 结束（供 cron 检查）"
        ),
    ] = False,
) -> None:
    """最近的通知及其发送状态，可按计划、单位、状态筛选；--retry-dead 重新发送已放弃的通知。

    例：duban notices --unit 司法局 --status 待发送    duban notices --json --check
    """
    import json

    from ledger import outbox_view

    retry_at = read_at(at).in_timezone("UTC")

    def go(s: Session) -> tuple[list[tuple[Notification, str]], dict[str, int]] | int:
        p = get_plan(s, plan) if plan else None
        u = get_unit(s, unit, p.jurisdiction if p else None) if unit else None
        if retry_dead:
            return outbox_view.requeue_dead(s, retry_at, actor=actor(), plan=p, unit=u)
        return (
            outbox_view.recent(s, plan=p, unit=u, status=status, limit=limit),
            outbox_view.counts(s, plan=p, unit=u),
        )

    found = act(go)
    if isinstance(found, int):
        out.print(f"已重新排队 {found} 条已放弃的通知，下次发送时重试。")
        return
    rows, counts = found

    def local(when: dt.datetime | None) -> str:
        return (
            pendulum.instance(when).in_timezone("Asia/Shanghai").format("YYYY-MM-DD HH:mm")
            if when
            else ""
        )

    if as_json:
        typer.echo(
            json.dumps(
                {
                    "counts": counts,
                    "notices": [
                        {
                            "id": n.id,
                            "unit": unit_name,
                            "kind": n.kind,
                            "step": n.step,
                            "channel": n.channel,
                            "recipient": n.recipient,
                            "status": n.status,
                            "attempts": n.attempts,
                            "next_attempt_at": local(n.next_attempt_at),
                            "sent_at": local(n.sent_at),
                            "last_error": n.last_error or "",
                        }
                        for n, unit_name in rows
                    ],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        t = Table(
            "编号",
            "单位",
            "类型",
            "渠道",
            "接收人",
            "状态",
            "尝试",
            "计划发送",
            "错误",
            title="通知",
            title_justify="left",
        )
        for n, unit_name in rows:
            t.add_row(
                str(n.id),
                unit_name,
                rung_label(n.step or n.kind),
                outbox_view.channel_name(n.channel),
                n.recipient,
                outbox_view.NOTIFICATION_STATES.get(n.status, n.status),
                str(n.attempts),
                local(n.next_attempt_at),
                ""
                if not n.last_error
                else n.last_error[:40]
                if n.status == "stale"
                else f"渠道返回：{n.last_error[:40]}",
            )
        out.print(t)
    if check and counts.get("dead"):
        if not as_json:
            out.print(
                f"有 {counts['dead']} 条已放弃的通知（见 duban notices --status 已放弃，"
                f"可用 --retry-dead 重新发送），退出码 {EXIT_UNDELIVERED}。"
            )
        raise typer.Exit(EXIT_UNDELIVERED)
