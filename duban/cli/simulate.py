"""``duban preview`` and ``duban simulate``: a plan run on a clock of its own, without the
ledger (``usecases.simulate``). ``duban.cli`` registers these top-level commands."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from duban.cli.common import fail, out, parse_when
from duban.cli.plan import plan_and_units
from ledger import config
from ledger.supervise import rung_label
from plans.compile import read_plan
from plans.workdays import CalendarGapWarning

if TYPE_CHECKING:  # Prefect is imported only by the commands that need it
    from usecases.simulate import Simulation


def _simulation(
    file: Path, units: Path | None, until: dt.date, rate: float, seed: int
) -> Simulation:
    from usecases.simulate import simulate

    plan, directory = plan_and_units(file, units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarGapWarning)
        try:
            return simulate(
                plan, directory, config.calendar(), until=until, report_rate=rate, seed=seed
            )
        except ValueError as exc:
            raise fail(f"计划无法模拟：{exc}") from exc


def _print_month_summary(sim: Simulation) -> None:
    months = sim.by_month()
    seen = {k for c in months.values() for k in c if c[k]}
    reminders = sorted(
        (k for k in seen if k.startswith("reminder-")), key=lambda k: -int(k.split("-")[1])
    )
    steps = [*reminders, "due", "cuiban", "duban", "tongbao", "rectify", "check"]
    present = [s for s in steps if s in seen] + sorted(seen - set(steps))
    short = {
        "due": "到期",
        "cuiban": "催办",
        "duban": "督办",
        "tongbao": "通报",
        "rectify": "整改",
        "check": "检查",
    } | {k: f"提醒{k.split('-')[1]}" for k in reminders}
    t = Table(title="按月汇总（条）", title_justify="left")
    for name in ("月份", *[short.get(s, rung_label(s)) for s in present], "合计"):
        t.add_column(name, no_wrap=True, min_width=2 * len(name))
    for month, c in months.items():
        t.add_row(month, *[str(c[s]) for s in present], str(sum(c.values())))
    out.print(t)


def preview(
    file: Annotated[Path, typer.Argument(help="计划文件（YAML）")],
    since: Annotated[str | None, typer.Option("--from", help="起始日期")] = None,
    until: Annotated[str | None, typer.Option("--to", help="截止日期，缺省为次年1月底")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="只看此单位")] = None,
    summary: Annotated[bool, typer.Option("--summary", help="只显示按月汇总")] = False,
    units: Annotated[Path | None, typer.Option("--units", help="单位名录（CSV/XLSX）")] = None,
) -> None:
    """预演：假如没有任何单位报送，这个计划会在何时向谁发出哪些通知（不需要 Prefect 服务，
    不改动台账）。与实际巡检使用同一套决策代码。

    例：duban preview plans/zhongshan-2021.yaml --from 2021-07-01 --to 2021-08-31 --unit 司法局
    """
    plan, _, _ = read_plan(file)
    year = plan.year if plan else dt.date.today().year
    end = parse_when(until, "--to").date() if until else dt.date(year + 1, 1, 31)
    start = parse_when(since, "--from").date() if since else None
    sim = _simulation(file, units, end, 0.0, 1)
    shown = [
        s
        for s in sim.sent
        if (start is None or s.at.date() >= start)
        and (unit is None or unit in (s.unit, s.to) or s.unit.endswith(unit))
    ]
    if not summary:
        for s in shown:
            who = s.to if s.to == s.unit else f"{s.to}（关于 {s.unit}）"
            out.print(
                f"{s.at.format('YYYY-MM-DD ddd HH:mm', locale='zh')}  {who}  "
                f"{rung_label(s.step) if s.step != 'check' else '检查结果通知'}  "
                f"{s.item}  {s.channel}"
            )
    sim.sent = shown
    _print_month_summary(sim)
    out.print(f"共 {len(shown)} 条通知；按每人每渠道每日一条摘要合并后为 {sim.messages()} 条消息。")


def simulate_cmd(
    file: Annotated[Path, typer.Argument(help="计划文件（YAML）")],
    until: Annotated[str, typer.Option("--until", help="模拟到此日期")],
    report_rate: Annotated[
        float, typer.Option("--report-rate", min=0, max=1, help="单位按时报送的比例")
    ] = 0.8,
    seed: Annotated[int, typer.Option(help="随机种子（同一种子结果相同）")] = 1,
    units: Annotated[Path | None, typer.Option("--units", help="单位名录（CSV/XLSX）")] = None,
) -> None:
    """模拟：在临时台账上按模拟时钟运行真实的巡检和检查代码，单位按给定比例报送，
    显示发出的通知和检查结果。不改动真实台账。

    例：duban simulate plans/zhongshan-2021.yaml --until 2022-01-31 --report-rate 0.8
    """
    end = parse_when(until, "--until").date()
    sim = _simulation(file, units, end, report_rate, seed)
    out.print(
        f"模拟 {sim.plan}：{sim.start} 至 {sim.until}，报送比例 {report_rate:.0%}，"
        f"共 {sim.reports} 次报送（当日采纳），{len(sim.sent)} 条通知，"
        f"合并为每日摘要后 {sim.messages()} 条消息。"
    )
    _print_month_summary(sim)
    for day, n, lagging in sim.checks:
        out.print(f"{day} 检查：{n} 个单位中 {lagging} 个有未完成事项。")
