"""What units report, recorded for them: ``report``, ``review``, ``event``
(``ledger.reports``). ``duban.cli`` registers these top-level commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from duban.cli.common import AT_RULE, EXIT_USAGE, act, actor, fail, out, parse_when, read_at
from ledger import config
from ledger.labels import progress_code
from ledger.reports import record_event, record_report, request_extension, review_report
from ledger.selfcheck import ProgressEntry, read_rows, record_progress


def report(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    unit: Annotated[str, typer.Option("--unit", help="报送单位")],
    text: Annotated[str, typer.Option("--text", help="完成情况或工作进展说明")] = "",
    task: Annotated[
        list[str] | None,
        typer.Option("--task", help="任务编号，如 t26；可多次给出，同一说明报送多项任务"),
    ] = None,
    checkpoint: Annotated[
        str | None, typer.Option("--checkpoint", help="节点编号，如 cp-worklist")
    ] = None,
    url: Annotated[list[str] | None, typer.Option("--url", help="佐证链接，可多次给出")] = None,
    file: Annotated[list[Path] | None, typer.Option("--file", help="佐证附件，可多次给出")] = None,
    occurrence: Annotated[str | None, typer.Option(help="指定期次（周期性任务）")] = None,
    extension: Annotated[
        str | None,
        typer.Option(
            "--extension", help="申请延期至此日期 YYYY-MM-DD（--text 写理由），由协调单位批复"
        ),
    ] = None,
    progress: Annotated[
        str | None,
        typer.Option(
            "--progress",
            help="持续推进任务的进展：已完成、推进中 或 未开展（未开展须在 --text 写明原因）",
        ),
    ] = None,
    rows: Annotated[
        Path | None,
        typer.Option(
            "--rows",
            help="自查表（.xlsx 或 .csv）：表头 任务编号、进展、报送说明（可加 公开链接），"
            "每项任务一行",
        ),
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help=f"报送时间。{AT_RULE}")] = None,
) -> None:
    """登记单位报送（单位以公文或电话报来时由协调单位代为登记）。登记后该节点停止催办。
    持续推进任务（无自身期限，在计划的检查节点报送进展）须用 --progress 写明进展；
    一个单位的自查表可一次登记：多次给出 --task，或用 --rows 给出表格。
    加 --extension 则登记延期申请：批复前催办照常，批复后发出延期批复通知。

    例：duban report zhongshan-2021-zwgk --unit 市司法局 --task t26 --text "规章已集中公开" --url https://…
        duban report zhongshan-2021-zwgk --unit 市司法局 --checkpoint cp-worklist \
            --extension 2021-07-30 --text "机构调整，需重新报批"
        duban report zhongshan-2021-zwgk --unit 市司法局 --task t01 --task t02 \
            --progress 推进中 --text "已按季度更新"
        duban report zhongshan-2021-zwgk --unit 市司法局 --rows 自查表.xlsx
    """
    if sum(x is not None for x in (task, checkpoint, rows)) != 1:
        raise fail("请给出 --task、--checkpoint 或 --rows 之一", EXIT_USAGE)
    when = read_at(at).in_timezone("UTC") if at else None
    code = None
    if progress is not None and (code := progress_code(progress)) is None:
        raise fail(f"--progress {progress!r} 应为 已完成、推进中 或 未开展", EXIT_USAGE)
    if rows is not None or (task and len(task) > 1):
        if rows is None and code is None:
            raise fail("多项任务一起报送须用 --progress 写明进展", EXIT_USAGE)
        entries = (
            act(lambda s: read_rows(rows))
            if rows is not None
            else [
                ProgressEntry(t, code or "", text, list(url or []), list(file or []), occurrence)
                for t in task or []
            ]
        )
        done = act(
            lambda s: record_progress(
                s,
                plan_key=plan,
                unit_name=unit,
                entries=entries,
                evidence_dir=config.files() / "evidence",
                actor=actor(),
                now=when,
            )
        )
        for r in done:
            what = f"{r.milestone.due_date} 轮" if r.milestone and r.milestone.due_date else ""
            out.print(
                f"[green]已登记报送 #{r.report.id}[/green]：{r.unit}“{r.item}”{what}"
                f"{'（逾期报送）' if r.late else ''}。"
            )
        out.print(f"共 {len(done)} 项。审核：duban review 编号 --accept 或 --return --due …")
        return
    item_key = (task[0] if task else None) or checkpoint or ""
    if extension:
        new_due = parse_when(extension, "--extension").date()
        e = act(
            lambda s: request_extension(
                s,
                plan_key=plan,
                unit_name=unit,
                item_key=item_key,
                new_due=new_due,
                reason=text,
                actor=actor(),
                now=when,
                occurrence=occurrence,
            )
        )
        out.print(
            f"[green]已登记延期申请 #{e.report.id}[/green]：{e.unit}“{e.item}”，"
            f"现期限 {e.milestone.due_date if e.milestone else '—'}，申请延至 {new_due}。"
            f"批复：duban review {e.report.id} --accept [--due …] 或 --return"
        )
        return
    r = act(
        lambda s: record_report(
            s,
            plan_key=plan,
            unit_name=unit,
            item_key=item_key,
            text=text,
            urls=url or [],
            files=file or [],
            evidence_dir=config.files() / "evidence",
            actor=actor(),
            now=when,
            occurrence=occurrence,
            progress=code,
        )
    )
    what = f"时限 {r.milestone.due_date}" if r.milestone and r.milestone.due_date else "进展"
    late = "（逾期报送）" if r.late else ""
    out.print(
        f"[green]已登记报送 #{r.report.id}[/green]：{r.unit}“{r.item}”，"
        f"{what}{late}。审核：duban review {r.report.id} --accept 或 --return --due …"
    )


def review(
    report_id: Annotated[int, typer.Argument(help="报送编号")],
    accept: Annotated[bool, typer.Option("--accept/--return", help="销号，或退回整改")],
    comment: Annotated[str, typer.Option("--comment", help="审核意见")] = "",
    due: Annotated[str | None, typer.Option("--due", help="退回整改时的新期限 YYYY-MM-DD")] = None,
    at: Annotated[str | None, typer.Option("--at", help=f"审核时间。{AT_RULE}")] = None,
) -> None:
    """审核报送：--accept 销号；--return 退回整改，须给出新期限，并立即发出整改通知。
    对延期申请：--accept 同意（可用 --due 改定期限），--return 不同意；均发出延期批复。

    例：duban review 12 --return --comment "未附公开链接" --due 2021-08-20
    """
    new_due = parse_when(due, "--due").date() if due else None
    when = read_at(at).in_timezone("UTC") if at else None
    r = act(
        lambda s: review_report(
            s,
            report_id,
            accept=accept,
            comment=comment,
            new_due=new_due,
            cal=config.calendar(),
            actor=actor(),
            now=when,
        )
    )
    if r.kind == "extension":
        m = r.milestone
        verdict = "同意延期" if accept else "不同意延期"
        out.print(
            f"延期申请 #{r.id}：[bold]{verdict}[/bold]，期限 {m.due_date if m else '—'}；"
            "延期批复通知已排入发件箱。"
        )
    elif accept:
        out.print(f"[green]报送 #{r.id} 已采纳[/green]（销号）。")
    else:
        out.print(f"[yellow]报送 #{r.id} 已退回整改[/yellow]，整改期限 {r.rectify_due_date}。")


def event(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    name: Annotated[
        str, typer.Argument(help="事件名称，与计划中 @event:名称 一致", metavar="事件名称")
    ],
    date: Annotated[str, typer.Option("--date", help="事件发生日期 YYYY-MM-DD[THH:MM]")],
) -> None:
    """记录事件发生日期，使相对于该事件的期限开始计时（如“教育部出台规定后3个月内”）。

    例：duban event my-plan 教育部出台规定 --date 2021-08-31
    """
    when = parse_when(date, "--date")
    n = act(
        lambda s: record_event(
            s, plan_key=plan, name=name, at=when, cal=config.calendar(), actor=actor()
        )
    )
    out.print(
        f"[green]已记录事件“{name}”[/green]：{when.to_date_string()}，{n} 个时限节点开始计时。"
    )
