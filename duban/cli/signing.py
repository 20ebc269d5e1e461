"""签收 of the 催办单/督办单 (``ledger.acknowledge``): ``documents`` lists them with who
acknowledged each and when; ``sign`` records a 签收 a unit gave by telephone or on a
paper receipt. ``duban.cli`` registers these top-level commands."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from duban.cli.common import AT_RULE, EXIT_USAGE, act, actor, fail, out, read_at
from ledger.acknowledge import DocumentRow, acknowledge, by_number, plan_documents
from ledger.models import utcnow
from ledger.reports import get_plan


def documents_cmd(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    unsigned: Annotated[bool, typer.Option("--unsigned", help="只列未签收的")] = False,
) -> None:
    """列出计划的催办单/督办单及签收情况（已阅、签收人和签收时间）。

    例：duban documents zhongshan-2021-zwgk --unsigned
    """
    rows = act(lambda s: plan_documents(s, get_plan(s, plan), unsigned_only=unsigned))
    if not rows:
        out.print("没有未签收的催办单/督办单。" if unsigned else "本计划还没有下发催办单/督办单。")
        return
    table = Table("文号", "文书", "单位", "事项", "下发时间", "已阅", "签收")
    for d in rows:
        table.add_row(
            d.number,
            d.name,
            d.unit,
            d.title,
            d.issued,
            d.read_at or "未阅",
            f"{d.acknowledged_by} {d.acknowledged_at}" if d.acknowledged_at else "未签收",
        )
    out.print(table)
    left = sum(1 for d in rows if not d.acknowledged_at)
    out.print(f"共 {len(rows)} 份，未签收 {left} 份。")


def sign_cmd(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    number: Annotated[str, typer.Argument(help="文号，如 督办〔2021〕3号", metavar="文号")],
    by: Annotated[str, typer.Option("--by", help="签收人姓名")],
    at: Annotated[str | None, typer.Option("--at", help=f"签收时间。{AT_RULE}")] = None,
) -> None:
    """登记签收：单位以电话或纸质回执签收催办单/督办单时，由协调单位代为登记。

    例：duban sign zhongshan-2021-zwgk 督办〔2021〕3号 --by 李明
    """
    when = read_at(at).in_timezone("UTC") if at else None
    if when is not None and when > utcnow() + dt.timedelta(minutes=5):
        raise fail(f"--at {at} 在将来：签收时间应为单位实际签收的时刻", EXIT_USAGE)

    def sign(s: Session) -> DocumentRow:
        doc_id, unit = by_number(s, get_plan(s, plan), number)
        return acknowledge(s, unit, doc_id, by, actor=actor(), now=when)

    d = act(sign)
    out.print(
        f"[green]{d.number}（{d.unit}）已登记签收[/green]：{d.acknowledged_by} {d.acknowledged_at}"
    )
