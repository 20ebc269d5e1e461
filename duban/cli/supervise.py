"""The coordinator's supervision: ``status``, ``sweep``, ``check``, ``lookback``,
``circular``, ``export`` (the ledger as a sheet) and ``score``. ``duban.cli``
registers these top-level commands, in the order ``duban --help`` lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.cli.common import (
    AT_RULE,
    EXIT_USAGE,
    act,
    actor,
    err,
    fail,
    open_db,
    out,
    parse_when,
    read_at,
)
from ledger import config, queries
from ledger.checks import CheckReport
from ledger.db import transaction
from ledger.models import Plan
from ledger.queries import LedgerRow
from ledger.reports import ActionError, find_units, get_plan
from ledger.supervise import rung_label
from plans.policy import Policy, Rubric


def status(
    plan: Annotated[str | None, typer.Option("--plan", help="计划 id")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="单位名称或别名")] = None,
    at: Annotated[str | None, typer.Option("--at", help=f"按此时查看。{AT_RULE}")] = None,
) -> None:
    """各单位时限节点情况：未到期、已逾期、待审核、已办结。

    例：duban status --plan zhongshan-2021-zwgk --at 2021-08-01
    """
    now = read_at(at)
    with transaction(open_db()) as s:
        if plan and s.query(Plan.id).filter(Plan.key == plan).first() is None:
            keys = [k for (k,) in s.query(Plan.key)]
            raise fail(f"没有计划 {plan!r}。已加载的计划：{'、'.join(keys) or '无'}")
        unit_ids = None
        if unit:
            j = s.scalar(select(Plan.jurisdiction).where(Plan.key == plan)) if plan else None
            try:
                unit_ids = [u.id for u in find_units(s, unit, j)]
            except ActionError as exc:
                raise fail(str(exc)) from exc
        rows = queries.unit_status(s, now.in_timezone("UTC"), plan_key=plan, unit_ids=unit_ids)
        gaps = queries.calendar_gaps(s, config.calendar(), now.date())
    for msg in gaps.values():
        out.print(f"[bold red]【注意】{escape(msg)}[/bold red]", markup=True)
    if not rows:
        out.print("没有时限节点。" + ("" if plan else "请先 duban plan load 加载计划。"))
        return
    t = Table(
        "单位",
        "未到期",
        "已逾期",
        "待审核",
        "已办结",
        "待事件",
        "合计",
        title=f"时限节点情况（截至 {now.format('YYYY-MM-DD HH:mm')}）",
        title_justify="left",
    )
    several = len({r.jurisdiction for r in rows}) > 1
    for r in rows:
        t.add_row(
            f"{r.jurisdiction} {r.unit}" if several else r.unit,
            str(r.pending),
            f"[red]{r.overdue}[/red]" if r.overdue else "0",
            str(r.reported),
            str(r.done),
            str(r.waiting),
            str(r.total),
        )
    out.print(t)
    late = sum(1 for r in rows if r.overdue)
    out.print(f"{len(rows)} 个单位，其中 {late} 个有逾期节点。")


def sweep_cmd(
    plan: Annotated[str | None, typer.Option("--plan", help="只处理此计划")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help=f"按此时处理（补跑或演练）。{AT_RULE}")
    ] = None,
) -> None:
    """执行一次督办巡检：发出已到时间的提醒、催办、督办、通报（写入通知发件箱）。
    重复执行不会重复发送。通常由 Prefect 每个工作日 9:00 自动执行。

    例：duban sweep --at 2021-07-12T09:00
    """
    from usecases.supervise import supervise_now

    now = read_at(at)
    try:
        done = supervise_now(
            open_db(),
            now,
            config.calendar(),
            plan,
            progress=_rendering,
            warn=lambda msg: err.print(f"[bold red]【注意】{escape(msg)}[/bold red]"),
        )
    except ActionError as exc:
        raise fail(str(exc)) from exc
    r, circulars = done.result, done.circulars
    detail = "，".join(f"{rung_label(k)} {v}" for k, v in sorted(r.by_rung.items()))
    out.print(
        f"巡检 {now.format('YYYY-MM-DD HH:mm')}：处理 {r.milestones} 个节点，"
        f"写入 {r.notices} 条通知" + (f"（{detail}）" if detail else "") + "。"
    )
    if r.documents or circulars:
        out.print(
            f"催办单/督办单 {r.documents} 份"
            + (f"，通报 {'、'.join(circulars)}" if circulars else "")
            + f"，见 {config.files() / 'documents'}"
        )
    if done.unacknowledged:
        out.print(f"{done.unacknowledged} 份催办单/督办单超过签收时限未签收，已发签收催办。")
    if r.skipped:
        out.print(f"[yellow]{r.skipped} 个被后一步取代的步骤已跳过（只发最新一步）。[/yellow]")
    if r.stale:
        err.print(
            f"[yellow]{r.stale} 个步骤已过时（超过计划规定的工作日数未执行），未发送，"
            f"已记入审计日志；其中 {r.stale_milestones} 个节点本次没有可发的步骤。"
            "逾期情况请用 duban status 或 duban check 查看。[/yellow]"
        )
    if r.no_recipient:
        err.print(
            f"[yellow]以下单位缺少联系人或联系方式，通知未能写入："
            f"{'、'.join(sorted(set(r.no_recipient)))}[/yellow]"
        )
    if done.loopback:
        err.print(f"[bold red]【注意】{escape(done.loopback)}[/bold red]")


def _rendering(done: int, total: int) -> None:
    """Says what is being rendered, so a long render (a re-run after a crash) is not silent."""
    err.print(f"生成催办单/督办单/通报文件：{done}/{total}")


def check_cmd(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    unit: Annotated[list[str] | None, typer.Option("--unit", help="只检查这些单位")] = None,
    task: Annotated[list[str] | None, typer.Option("--task", help="只检查这些任务/节点")] = None,
    at: Annotated[str | None, typer.Option("--at", help=f"按此时检查。{AT_RULE}")] = None,
    notify: Annotated[
        bool, typer.Option("--notify/--no-notify", help="向未完成的单位发检查结果通知")
    ] = True,
) -> None:
    """检查落实情况：各单位应完成、按时完成、逾期完成、待审核、未完成和完成率；
    报告写入数据目录 checks/，并向有未完成事项的单位发出检查结果通知。

    例：duban check zhongshan-2021-zwgk --at 2021-09-20
    """
    from usecases.check import check_now

    now = read_at(at)
    try:
        done = check_now(
            open_db(),
            plan,
            now,
            config.calendar(),
            actor=actor(),
            units=unit or None,
            tasks=task or None,
            notify=notify,
        )
    except ActionError as exc:
        raise fail(str(exc)) from exc
    report, path, sent = done.report, done.path, done.notices
    t = Table(
        "单位",
        "应完成",
        "按时",
        "逾期完成",
        "待审核",
        "未完成",
        "完成率",
        title=f"{report.title}：落实情况检查（{now.format('YYYY-MM-DD')}）",
        title_justify="left",
    )
    for u in report.units:
        t.add_row(
            u.unit,
            str(u.due),
            str(u.on_time),
            str(u.late),
            str(u.reported),
            f"[red]{u.missing}[/red]" if u.missing else "0",
            f"{u.rate:.0%}",
        )
    out.print(t)
    out.print(
        f"报告：{path}；{len(report.lagging)} 个单位有未完成事项，发出检查结果通知 {sent} 条。"
    )


def lookback_cmd(
    plan: Annotated[str, typer.Argument(help="计划 id（须设置 predecessor）")],
    due: Annotated[str | None, typer.Option("--due", help="整改期限，缺省为20个工作日后")] = None,
    at: Annotated[str | None, typer.Option("--at", help=f"按此时执行。{AT_RULE}")] = None,
) -> None:
    """回头看：上一年度计划中未销号的时限节点，逐项在本计划中开立整改事项，督办至销号。
    重复执行不会重复开立。

    例：duban lookback zhongshan-2021-zwgk --due 2021-09-30
    """
    from ledger.lookback import look_back

    now = read_at(at)
    limit = parse_when(due, "--due").date() if due else None
    r = act(
        lambda s: look_back(
            s, plan, config.calendar(), actor=actor(), due=limit, now=now.in_timezone("UTC")
        )
    )
    for line in r.opened:
        out.print(f"  {line}")
    out.print(
        f"回头看 {r.predecessor}：新开整改事项 {len(r.opened)} 项"
        + (f"（已开立 {r.already} 项）" if r.already else "")
        + f"，整改期限 {r.due}。"
    )


def circular_cmd(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    at: Annotated[str | None, typer.Option("--at", help=f"截至此时。{AT_RULE}")] = None,
) -> None:
    """生成通报：经催办、督办仍逾期未完成的事项，写明单位、事项、期限、逾期天数和已采取措施
    （Markdown 和 Word 文件，写入数据目录 documents/）。

    例：duban circular zhongshan-2021-zwgk --at 2021-07-26
    """
    from usecases.documents import circular_now

    try:
        made = circular_now(open_db(), plan, read_at(at), config.calendar(), progress=_rendering)
    except ActionError as exc:
        raise fail(str(exc)) from exc
    if made is None:
        out.print("没有需要通报的事项（没有已发出通报步骤仍逾期未完成的节点）。")
    elif made.existing:
        out.print(f"通报名单与上一期 {made.number} 相同，未重新编号：{made.path}")
    else:
        out.print(f"[green]已生成通报 {made.number}[/green]：{made.path}")


def export_cmd(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    output: Annotated[
        Path | None,
        typer.Option("--out", help="写入 .xlsx 或 .csv；缺省为数据目录 exports/ 下的 .xlsx"),
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="只导出此单位（或分组）")] = None,
    at: Annotated[str | None, typer.Option("--at", help=f"状态截至此时。{AT_RULE}")] = None,
) -> None:
    """导出台账：每个单位的每个时限节点一行，写明事项、分工、期限、状态、逾期工作日、
    最近一次报送、审核意见和已发的催办单/督办单。XLSX 带标题行、冻结表头、列宽和 A4 横向打印设置。

    例：duban export zhongshan-2021-zwgk --out 台账.xlsx --at 2021-09-20
    """
    import csv

    from plans.sheets import csv_cell, write_sheet

    now = read_at(at)

    def go(s: Session) -> tuple[str, list[LedgerRow]]:
        p = get_plan(s, plan)
        ids = [u.id for u in find_units(s, unit, p.jurisdiction)] if unit else None
        return p.title, queries.ledger_rows(
            s, p, now.in_timezone("UTC"), config.calendar(), unit_ids=ids
        )

    title, rows = act(go)
    target = output or config.home() / "exports" / f"{plan}-台账-{now.format('YYYY-MM-DD')}.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".csv":
        with target.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(
                [queries.LEDGER_HEADER, *[[csv_cell(c) for c in r.cells()] for r in rows]]
            )
    elif target.suffix.lower() == ".xlsx":
        write_sheet(
            target,
            title=f"{title}　台账（截至{now.format('YYYY年M月D日 HH:mm')}）",
            sheet="台账",
            header=queries.LEDGER_HEADER,
            rows=[r.cells() for r in rows],
        )
    else:
        raise fail(f"--out {target}：只支持 .xlsx 或 .csv", EXIT_USAGE)
    late = sum(1 for r in rows if r.late)
    rounds = sum(1 for r in rows if r.standing)
    out.print(
        f"[green]已导出台账[/green] {target}：{len(rows)} 个时限节点"
        f"（其中持续推进任务的进展报送 {rounds} 个），其中逾期未完成 {late} 个。"
    )


def score_cmd(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    at: Annotated[str | None, typer.Option("--at", help=f"按此时计分。{AT_RULE}")] = None,
) -> None:
    """年度考核得分：按计划的评分规则（基础分、逾期扣分、未完成扣分、提前完成加分）
    计算各单位得分和按时完成率。

    例：duban score zhongshan-2021-zwgk --at 2022-01-31
    """
    from ledger.checks import run_check

    now = read_at(at)

    def go(s: Session) -> tuple[CheckReport, Rubric]:
        p = get_plan(s, plan)
        rubric = Policy.model_validate(p.document.get("policy") or {}).rubric or Rubric()
        report = run_check(
            s,
            plan,
            now.in_timezone("UTC"),
            cal=config.calendar(),
            early_workdays=rubric.early_workdays,
        )
        return report, rubric

    report, rubric = act(go)
    # highest first; equal scores in the directory's order (ledger.order)
    rows = sorted(report.units, key=lambda u: (-u.score(rubric), u.order))
    t = Table(
        title=f"{report.title}：考核得分（截至 {now.format('YYYY-MM-DD')}）", title_justify="left"
    )
    # a unit's name is never cut: it takes the width it needs and the counts wrap
    t.add_column("单位", no_wrap=True, min_width=max((_cells(u.unit) for u in rows), default=4))
    for header in ("应完成", "按时", "提前", "逾期完成", "待审核", "未完成", "按时完成率", "得分"):
        t.add_column(header, justify="right", overflow="fold")
    for u in rows:
        t.add_row(
            u.unit,
            str(u.due),
            str(u.on_time),
            str(u.early),
            str(u.late),
            str(u.reported),
            str(u.missing),
            f"{u.on_time_rate:.0%}",
            f"{u.score(rubric):g}",
        )
    out.print(t)
    bounds = "".join(
        [
            f"，最低 {rubric.floor:g} 分" if rubric.floor is not None else "",
            f"，最高 {rubric.ceiling:g} 分" if rubric.ceiling is not None else "",
        ]
    )
    out.print(
        f"评分规则：基础分 {rubric.base:g}，逾期完成每项 {rubric.late:g}，"
        f"未完成每项 {rubric.missing:g}"
        + (
            f"，提前 {rubric.early_workdays} 个工作日以上完成每项 {rubric.early_bonus:+g}"
            if rubric.early_bonus
            else ""
        )
        + f"{bounds}。"
    )


def _cells(text: str) -> int:
    """Terminal columns a text takes (a Chinese character two)."""
    from rich.cells import cell_len

    return cell_len(text)
