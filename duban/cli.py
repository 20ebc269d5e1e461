"""The ``duban`` command line.

Exit codes scripts can trust: 0 done; 1 the input is wrong (a plan or unit
file with errors, an unknown plan or unit); 2 the command was called wrongly;
3 the database or another part of the environment failed.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import pendulum
import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from duban.i18n import localize_typer
from ledger import config, queries
from ledger.checks import CheckReport
from ledger.db import DatabaseError, open_ledger, transaction, upgrade
from ledger.directory_sync import DirectoryError, jurisdictions, ledger_units
from ledger.labels import STANDING_KIND, progress_code
from ledger.load import DirectoryDrift, describe_counts, import_directory
from ledger.models import Notice, Plan, Unit, utcnow
from ledger.planfile import PlanFileError, check_file, load_file, plan_directory, read_plan_file
from ledger.reports import (
    ActionError,
    find_contact,
    find_units,
    get_plan,
    get_unit,
    record_event,
    record_report,
    request_extension,
    review_report,
)
from ledger.selfcheck import ProgressEntry, read_rows, record_progress
from ledger.supervise import rung_label
from plans.compile import ROLE_NAMES, Compiled, Item, read_plan
from plans.directory import Directory, DirectoryFile, read_directory, write_directory
from plans.duerules import Occurrence, parse_moment
from plans.duewords import describe_rule
from plans.model import CHECKPOINT_KINDS, json_schema
from plans.model import Plan as PlanSpec
from plans.policy import Policy, Rubric
from plans.source import LineMap, Problem
from plans.workdays import CalendarGapWarning

if TYPE_CHECKING:  # Prefect is imported only by the commands that need it
    from usecases.simulate import Simulation

EXIT_INVALID, EXIT_USAGE, EXIT_ENV = 1, 2, 3
T = TypeVar("T")
AT_RULE = (
    "只写日期（YYYY-MM-DD）指当日结束时（23:59:59，北京时间），"
    "写到时刻（YYYY-MM-DDTHH:MM）指该时刻；缺省为现在"
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

localize_typer()
app = typer.Typer(
    help="督办：政务工作任务分工方案的督办系统。导入通知、审核计划、跟踪台账、催办督办。",
    no_args_is_help=True,
    add_completion=False,
    options_metavar="[选项]",
    subcommand_metavar="命令 [参数]...",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _group(text: str) -> typer.Typer:
    """A command group, worded like the top level."""
    return typer.Typer(
        help=text,
        no_args_is_help=True,
        options_metavar="[选项]",
        subcommand_metavar="命令 [参数]...",
    )


plan_app = _group("计划文件：校验、加载、查看、部署、导出格式说明。")
units_app = _group("单位名录（按辖区）：空白模板、导入、导出。")
db_app = _group("数据库维护（运维人员）。")
app.add_typer(plan_app, name="plan")
app.add_typer(units_app, name="units")
app.add_typer(db_app, name="db")


def _actor() -> str:
    return os.environ.get("DUBAN_ACTOR") or getpass.getuser()


def _fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def _ledger() -> sessionmaker[Session]:
    try:
        return open_ledger(config.database_url())
    except DatabaseError as exc:
        raise _fail(str(exc), EXIT_ENV) from exc


def _print_problems(problems: list[Problem]) -> None:
    for p in problems:
        colour = "red" if p.severity == "error" else "yellow"
        err.print(f"[{colour}]{p}[/{colour}]")


def _read_units(path: Path) -> DirectoryFile:
    """A directory file, or exit naming each bad row."""
    df = read_directory(path)
    if df.errors:
        _print_problems(df.problems)
        raise _fail(f"单位名录 {path} 有错误，请先改正")
    return df


def _planfile(fn: Callable[[], T]) -> T:
    """A ``ledger.planfile`` step, its refusal printed with the file's problems."""
    try:
        return fn()
    except PlanFileError as exc:
        _print_problems(exc.problems)
        raise _fail(exc.message) from exc


def _plan_directory(
    plan: PlanSpec,
    plan_file: Path,
    units_file: Path | None,
    *,
    file_fallback: bool = False,
    contacts: bool = False,
) -> tuple[Directory, str]:
    return _planfile(
        lambda: plan_directory(
            _ledger(), plan, plan_file, units_file, file_fallback=file_fallback, contacts=contacts
        )
    )


def _read_plan(path: Path) -> tuple[PlanSpec, LineMap]:
    return _planfile(lambda: read_plan_file(path))


def _compile(
    path: Path, units_file: Path | None, *, file_fallback: bool = False
) -> tuple[Compiled, str]:
    return _planfile(
        lambda: check_file(
            _ledger(), path, config.calendar(), units_file, file_fallback=file_fallback
        )
    )


@plan_app.command("validate")
def plan_validate(
    file: Annotated[Path, typer.Argument(help="计划文件（YAML）")],
    units: Annotated[
        Path | None, typer.Option("--units", help="用此单位名录校验（CSV/XLSX）")
    ] = None,
) -> None:
    """校验计划文件：报告每一处错误的文件、行号和字段，未知单位给出最接近的名称。

    例：duban plan validate plans/zhongshan-2021.yaml
    """
    compiled, used = _compile(file, units)
    out.print(f"按{used}校验。")
    _print_problems(compiled.problems)
    if compiled.errors:
        raise _fail(f"{file}: {len(compiled.errors)} 处错误。")
    out.print(
        f"[green]{file}: 校验通过[/green]：{len(compiled.plan.tasks)} 项任务、"
        f"{len(compiled.plan.checkpoints)} 个节点、{compiled.assignment_count} 条分工、"
        f"{compiled.milestone_count} 个时限节点。"
    )


@plan_app.command("load")
def plan_load(
    file: Annotated[Path, typer.Argument(help="计划文件（YAML）")],
    yes: Annotated[
        bool, typer.Option("--yes", help="确认：单位名录变化导致的分工归档也照此执行")
    ] = False,
) -> None:
    """把计划加载进台账（按台账中该计划所属辖区的单位名录）。重复加载同一文件不产生任何变化；
    加载修改后的计划只更新变化之处，删除的任务归档，单位已报送的材料和已发出的通知一律保留。
    计划文件未改动、仅因名录变化而要归档的分工，不加 --yes 不会执行。

    例：duban plan load plans/zhongshan-2021.yaml
    """
    try:
        compiled, result = _planfile(
            lambda: load_file(
                _ledger(), file, config.calendar(), actor=_actor(), directory_changes=yes
            )
        )
    except DirectoryDrift as exc:
        raise _fail(
            f"未作任何改动。计划 {exc.plan_key}：{'；'.join(exc.lines)}；确需如此请加 --yes"
        ) from exc
    _print_problems(compiled.problems)
    if result is None:
        raise _fail(f"{file}: {len(compiled.errors)} 处错误，未作任何改动。")
    if result.unchanged:
        out.print(f"计划 {result.plan_key} 与台账一致，无变化。")
        return
    verb = "已新建" if result.created else "已更新"
    out.print(
        f"[green]{verb}计划 {result.plan_key}[/green]"
        f"（{compiled.jurisdiction or '未指明辖区'}）：{describe_counts(result.counts)}。"
    )


@plan_app.command("show")
def plan_show(
    file: Annotated[Path, typer.Argument(help="计划文件（YAML）")],
    units: Annotated[Path | None, typer.Option("--units", help="单位名录（CSV/XLSX）")] = None,
) -> None:
    """显示计划：基本信息、检查节点和每项任务的单位与期限。

    例：duban plan show plans/zhongshan-2021.yaml
    """
    c, _ = _compile(file, units, file_fallback=True)
    _print_problems(c.problems)
    p = c.plan
    out.print(f"[bold]{p.title}[/bold]  {p.doc_no or ''}")
    out.print(f"印发：{p.issuer}  {p.issued}    工作年度：{p.year}    协调单位：{p.coordinator}")
    cps = Table("节点", "类型", "期限", "责任单位数", title="检查节点", title_justify="left")
    for item in c.items:
        if item.kind == "task":
            continue
        dues = (
            "、".join(
                str(o.due_date) if o.due_date else f"{describe_rule(o.rule)}（待事件）"
                for o in item.occurrences
            )
            or "未定"
        )
        cps.add_row(
            item.key,
            CHECKPOINT_KINDS[item.kind],
            dues,
            str(len(item.assignments)) if item.assignments else "协调单位",
        )
    out.print(cps)
    tasks = Table(
        "任务",
        "简称",
        "牵头",
        "责任/配合",
        "类型",
        "期限或进展报送",
        title="任务",
        title_justify="left",
    )
    for item, spec in zip([i for i in c.items if i.kind == "task"], p.tasks, strict=True):
        others = [u for u, r in item.assignments.items() if r != "lead"]
        tasks.add_row(
            item.key,
            item.title,
            "、".join(spec.lead) or "—",
            f"{len(others)} 个单位" if len(others) > 3 else "、".join(others) or "—",
            "持续推进" if item.standing else "有时限",
            _dues(item) if item.standing else "、".join(describe_rule(d) for d in item.due) or "—",
        )
    out.print(tasks)
    standing = [i for i in c.items if i.standing]
    if standing:
        rounds = "、".join(_dates(standing[0].occurrences))
        out.print(
            f"持续推进任务 {len(standing)} 项（无自身期限）：{c.progress_source}，"
            f"于 {rounds} 由各单位逐项报送进展（自查表）。"
        )
    out.print(
        f"共 {len(p.tasks)} 项任务，{c.assignment_count} 条分工"
        f"（{'、'.join(ROLE_NAMES.values())}），{c.milestone_count} 个时限节点。"
    )


def _dates(occurrences: list[Occurrence]) -> list[str]:
    return [str(o.due_date) if o.due_date else "待事件发生后起算" for o in occurrences]


def _dues(item: Item) -> str:
    """A task's deadlines as a coordinator reads them (dates, not rule codes)."""
    dates = _dates(item.occurrences)
    if not dates:
        return "—"
    shown = "、".join(dates[:3]) + (f" 等 {len(dates)} 次" if len(dates) > 3 else "")
    return f"{shown} 报送进展" if item.standing else shown


@plan_app.command("deploy")
def plan_deploy(
    file: Annotated[Path | None, typer.Argument(help="计划文件（YAML），须已加载")] = None,
    all_plans: Annotated[
        bool,
        typer.Option(
            "--all", help="部署台账中已加载的全部计划，并移除其他 duban 部署（服务脚本用）"
        ),
    ] = False,
    pool: Annotated[
        str | None,
        typer.Option(
            "--pool",
            help="交给该 Prefect 工作池（process 类型）中的 worker 运行；"
            "缺省取环境变量 DUBAN_WORK_POOL",
        ),
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="不连接 Prefect 服务，把这些部署写成 prefect.yaml "
            "（供 prefect deploy --all --prefect-file 使用；须同时给 --pool）",
        ),
    ] = None,
) -> None:
    """把计划编译为 Prefect 部署：每日 9:00 督办巡检、各检查日期的检查；删除过期的日程。
    需要 PREFECT_API_URL 指向运行中的 Prefect 服务（duban up 会自动完成这一步）。
    多台机器时用 --pool：部署交给 prefect worker start --pool 名称 启动的 worker 运行。

    例：PREFECT_API_URL=http://127.0.0.1:4200/api duban plan deploy plans/zhongshan-2021.yaml
    例：duban plan deploy --all --pool duban
    例：duban plan deploy plans/zhongshan-2021.yaml --pool duban --write deploy/prefect.yaml
    """
    from flows.deploy import prefect_yaml, reconcile, work_pool
    from flows.up import loaded_plans

    if (file is None) == (not all_plans):
        raise _fail("请给出一个计划文件，或用 --all 部署台账中的全部计划（二者选一）。")
    if file is not None:
        plan, _, problems = read_plan(file)
        if plan is None:
            _print_problems(problems)
            raise _fail(f"计划文件 {file} 有错误。")
        specs = [plan]
    else:
        specs = loaded_plans(config.database_url())
    pool = work_pool(pool)
    if write is not None:
        if not pool:
            raise _fail("--write 须同时给出 --pool（prefect.yaml 的部署由工作池中的 worker 运行）")
        write.write_text(
            "# Written by duban plan deploy --write; edit the plan, not this file.\n"
            + yaml.safe_dump(
                prefect_yaml(specs, pool), allow_unicode=True, sort_keys=False, width=100
            ),
            encoding="utf-8",
        )
        out.print(
            f"已写入 {write}：{len(specs)} 个计划的部署（工作池 {pool}）。"
            f"用法：prefect deploy --all --prefect-file {write}"
        )
        return
    if not os.environ.get("PREFECT_API_URL"):
        raise _fail("未设置 PREFECT_API_URL：请先启动 Prefect 服务，或直接运行 duban up", EXIT_ENV)
    if not specs:
        out.print("台账中还没有计划：只部署共用的发送流程。先 duban plan load 计划文件。")
    try:
        r = reconcile(specs, pool=pool, prune_all=all_plans)
    except Exception as exc:  # the server's answer, shown to the operator
        hint = (
            f"（工作池 {pool} 须先建立：prefect work-pool create {pool} --type process）"
            if pool and "pool" in str(exc).lower()
            else ""
        )
        raise _fail(f"部署失败：{exc}{hint}", EXIT_ENV) from exc
    out.print(
        f"[green]已部署[/green]：{'、'.join(r.applied)}"
        + (f"（工作池 {pool}，由 prefect worker start --pool {pool} 运行）" if pool else "")
    )
    for name in r.removed_schedules + r.removed_deployments:
        out.print(f"已移除过期日程/部署：{name}")


@plan_app.command("schema")
def plan_schema(
    output: Annotated[Path | None, typer.Option("--out", help="写入文件而不是屏幕")] = None,
) -> None:
    """输出计划文件的 JSON Schema（编辑器可据此提示和校验）。

    例：duban plan schema --out plans/plan.schema.json
    """
    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        out.print(f"已写入 {output}")
    else:
        sys.stdout.write(text)


def _jurisdiction_of(df: DirectoryFile, given: str | None) -> str:
    if given and df.jurisdiction and given != df.jurisdiction:
        raise _fail(f"{df.path} 第一行写明辖区为 {df.jurisdiction}，与 --jurisdiction {given} 不同")
    j = given or df.jurisdiction
    if not j:
        raise _fail(
            f"{df.path} 没有写明辖区：在第一行写“辖区：中山市”（或加一列“辖区”），"
            "或用 --jurisdiction 中山市 指定"
        )
    return j


@units_app.command("import")
def units_import(
    file: Annotated[Path, typer.Argument(help="单位名录 CSV 或 XLSX")],
    jurisdiction: Annotated[
        str | None,
        typer.Option("--jurisdiction", help="名录所属辖区（如 中山市）；缺省取文件第一行“辖区：…”"),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="本辖区中文件里没有的单位标记为停用")
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="确认：名录变化会改动已加载计划的分工、分组或联系人时照此执行"),
    ] = False,
) -> None:
    """导入一个辖区的单位名录（每行一个单位：名称、别名、类型、分组、经办人/分管领导/主要负责人
    联系方式）。同名单位在不同辖区是不同的单位。有任何错误则整个文件不导入；
    别名与本辖区其他单位的名称或别名相同的，拒绝导入。
    如果导入会改动已加载计划的工作（分工新增或归档、单位调整分组、联系人删除），
    先列出这些改动，不加 --yes 不作任何改动；加 --yes 则导入并同步这些计划。

    例：duban units import plans/units/zhongshan.csv
        duban units import 名录.xlsx --jurisdiction 中山市 --yes
    """
    df = read_directory(file)
    _print_problems(df.problems)
    if df.errors:
        raise _fail(f"{file}: 有错误，未导入任何单位。")
    j = _jurisdiction_of(df, jurisdiction)
    factory = _ledger()
    try:
        with factory() as s, s.begin() as tx:
            r = import_directory(
                s, df.units, jurisdiction=j, cal=config.calendar(), actor=_actor(), replace=replace
            )
            if r.touches_plans and not yes:
                tx.rollback()
    except (DirectoryError, DirectoryDrift) as exc:
        raise _fail(f"{file}: 未导入任何单位：{exc}") from exc
    if r.touches_plans and not yes:
        out.print(f"导入 {file}（{j}）将改动已加载的计划：")
        for line in r.lines():
            out.print(f"  - {line}", markup=False)
        raise _fail("未作任何改动。核对无误后加 --yes 重新运行。")
    sync = r.sync
    out.print(
        f"[green]已导入 {file}[/green]（{j}）：新增 {len(sync.created)}，"
        f"更新 {len(sync.updated)}，未变 {sync.unchanged}"
        + (f"，停用 {len(sync.deactivated)}" if sync.deactivated else "")
        + "。"
    )
    for line in r.lines():
        out.print(f"  - {line}", markup=False)


@units_app.command("export")
def units_export(
    output: Annotated[
        Path | None, typer.Option("--out", help="写入 .csv 或 .xlsx；缺省输出到屏幕")
    ] = None,
    jurisdiction: Annotated[
        str | None,
        typer.Option("--jurisdiction", help="导出哪个辖区的名录；台账中只有一个辖区时可省略"),
    ] = None,
) -> None:
    """导出一个辖区的单位名录，格式与导入相同（第一行写明辖区，可直接再导入）。
    XLSX 带标题行、加粗冻结的表头、列宽和 A4 横向打印设置。

    例：duban units export --out 单位名录.xlsx
    """
    with transaction(_ledger()) as s:
        known = jurisdictions(s)
        if jurisdiction is None and len(known) > 1:
            raise _fail(f"台账中有多个辖区（{'、'.join(known)}），请用 --jurisdiction 指定")
        j = jurisdiction if jurisdiction is not None else (known[0] if known else "")
        if jurisdiction is not None and jurisdiction not in known:
            raise _fail(
                f"台账中没有辖区 {jurisdiction}。已有：{'、'.join(known) or '无'}。"
                f"新辖区请先用 duban units template --out {jurisdiction}单位名录.xlsx "
                f"--jurisdiction {jurisdiction} 生成空白名录，填好后用 duban units import "
                "导入（或在网页“单位名录”页上传）。"
            )
        units = ledger_units(s, j)
    text = write_directory(units, output, j)
    if text is not None:
        sys.stdout.write(text)
    else:
        out.print(f"已导出{j}的 {len(units)} 个单位到 {output}")


@units_app.command("template")
def units_template(
    output: Annotated[Path, typer.Option("--out", help="写入的 .xlsx 文件")] = Path(
        "单位名录.xlsx"
    ),
    jurisdiction: Annotated[
        str | None,
        typer.Option("--jurisdiction", help="写在第一行的辖区名称（如 资阳市）；缺省留待填写"),
    ] = None,
) -> None:
    """生成空白单位名录（.xlsx）：表头、一行示例，第二张表逐列说明怎么填。
    新辖区还没有名录可导出时用它；填好后在网页“单位名录”页上传，或用 duban units import 导入。

    例：duban units template --out 资阳市单位名录.xlsx --jurisdiction 资阳市
    """
    from plans.directory_template import write_template

    if output.suffix.lower() != ".xlsx":
        raise _fail(f"{output}：空白名录只写成 .xlsx（Excel）文件，请换成 .xlsx 结尾的文件名")
    if output.exists():
        raise _fail(f"{output} 已存在，未覆盖：请换一个文件名，或先移走它")
    write_template(output, jurisdiction)
    out.print(
        f"已写入空白名录 {output}：在“单位名录”表中每行填一个单位（第3行是示例），"
        "各列的填法见“填写说明”表。"
    )


@app.command("status")
def status(
    plan: Annotated[str | None, typer.Option("--plan", help="计划 id")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="单位名称或别名")] = None,
    at: Annotated[str | None, typer.Option("--at", help=f"按此时查看。{AT_RULE}")] = None,
) -> None:
    """各单位时限节点情况：未到期、已逾期、待审核、已办结。

    例：duban status --plan zhongshan-2021-zwgk --at 2021-08-01
    """
    now = _at(at)
    with transaction(_ledger()) as s:
        if plan and s.query(Plan.id).filter(Plan.key == plan).first() is None:
            keys = [k for (k,) in s.query(Plan.key)]
            raise _fail(f"没有计划 {plan!r}。已加载的计划：{'、'.join(keys) or '无'}")
        unit_ids = None
        if unit:
            j = s.scalar(select(Plan.jurisdiction).where(Plan.key == plan)) if plan else None
            try:
                unit_ids = [u.id for u in find_units(s, unit, j)]
            except ActionError as exc:
                raise _fail(str(exc)) from exc
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


def _cells(text: str) -> int:
    """Terminal columns a text takes (a Chinese character two)."""
    from rich.cells import cell_len

    return cell_len(text)


def _parse_when(value: str, option: str, tz: str = "Asia/Shanghai") -> pendulum.DateTime:
    """A date or a moment. A bare date (YYYY-MM-DD) is the end of that day, local time:
    "as of 9月20日" counts everything due that day, for every command alike."""
    try:
        return parse_moment(value, tz)
    except ValueError as exc:
        raise _fail(
            f"{option} {value!r} 不是日期时间（应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM）", EXIT_USAGE
        ) from exc


def _at(value: str | None) -> pendulum.DateTime:
    """``--at`` as every command reads it (see ``AT_RULE``); now when not given."""
    return _parse_when(value, "--at") if value else pendulum.now("Asia/Shanghai")


def _act(fn: Callable[[Session], T]) -> T:
    try:
        with transaction(_ledger()) as s:
            return fn(s)
    except ActionError as exc:
        raise _fail(str(exc)) from exc


@app.command("report")
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
        raise _fail("请给出 --task、--checkpoint 或 --rows 之一", EXIT_USAGE)
    when = _at(at).in_timezone("UTC") if at else None
    code = None
    if progress is not None and (code := progress_code(progress)) is None:
        raise _fail(f"--progress {progress!r} 应为 已完成、推进中 或 未开展", EXIT_USAGE)
    if rows is not None or (task and len(task) > 1):
        if rows is None and code is None:
            raise _fail("多项任务一起报送须用 --progress 写明进展", EXIT_USAGE)
        entries = (
            _act(lambda s: read_rows(rows))
            if rows is not None
            else [
                ProgressEntry(t, code or "", text, list(url or []), list(file or []), occurrence)
                for t in task or []
            ]
        )
        done = _act(
            lambda s: record_progress(
                s,
                plan_key=plan,
                unit_name=unit,
                entries=entries,
                evidence_dir=config.home() / "evidence",
                actor=_actor(),
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
    item_key = (task or [None])[0] or checkpoint or ""
    if extension:
        new_due = _parse_when(extension, "--extension").date()
        e = _act(
            lambda s: request_extension(
                s,
                plan_key=plan,
                unit_name=unit,
                item_key=item_key,
                new_due=new_due,
                reason=text,
                actor=_actor(),
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
    r = _act(
        lambda s: record_report(
            s,
            plan_key=plan,
            unit_name=unit,
            item_key=item_key,
            text=text,
            urls=url or [],
            files=file or [],
            evidence_dir=config.home() / "evidence",
            actor=_actor(),
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


@app.command("review")
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
    new_due = _parse_when(due, "--due").date() if due else None
    when = _at(at).in_timezone("UTC") if at else None
    r = _act(
        lambda s: review_report(
            s,
            report_id,
            accept=accept,
            comment=comment,
            new_due=new_due,
            cal=config.calendar(),
            actor=_actor(),
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


@app.command("event")
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
    when = _parse_when(date, "--date")
    n = _act(
        lambda s: record_event(
            s, plan_key=plan, name=name, at=when, cal=config.calendar(), actor=_actor()
        )
    )
    out.print(
        f"[green]已记录事件“{name}”[/green]：{when.to_date_string()}，{n} 个时限节点开始计时。"
    )


@app.command("sweep")
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

    now = _at(at)
    try:
        done = supervise_now(_ledger(), now, config.calendar(), plan, progress=_rendering)
    except ActionError as exc:
        raise _fail(str(exc)) from exc
    for msg in done.calendar_gaps.values():
        err.print(f"[bold red]【注意】{escape(msg)}[/bold red]")
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
            + f"，见 {config.home() / 'documents'}"
        )
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


def _warn_loopback() -> None:
    from documents.render import loopback_warning

    if warning := loopback_warning():
        err.print(f"[bold red]【注意】{escape(warning)}[/bold red]")


@app.command("up")
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
        raise _fail(str(exc), EXIT_ENV) from exc
    kickoff = None
    clock = real_clock
    if demo:
        root = Path(__file__).resolve().parent.parent / "plans"
        units_import(root / "units" / "zhongshan.csv", jurisdiction=None, replace=False, yes=False)
        plan_load(root / "zhongshan-2021.yaml")
        when = _parse_when(demo_at, "--demo-at")
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
        raise _fail(str(exc), EXIT_ENV) from exc


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

    link = _act(go)
    out.print(f"演示协调单位账号：用户名 demo，密码 {password}（每次 --demo 重新生成）")
    out.print(f"演示单位链接（市司法局）：{link}")


def _plan_and_units(file: Path, units: Path | None) -> tuple[PlanSpec, Directory]:
    """The plan and the directory it would run with (contacts included), said aloud:
    a directory whose units have no contacts would preview as silence."""
    plan, _ = _read_plan(file)
    directory, used = _plan_directory(plan, file, units, file_fallback=True, contacts=True)
    out.print(f"按{used}。")
    silent = [u.name for u in directory.units.values() if not u.contacts]
    if silent:
        shown = "、".join(silent[:5]) + (f" 等 {len(silent)} 个" if len(silent) > 5 else "")
        out.print(
            f"[yellow]注意[/yellow]：名录中 {shown}单位没有联系人，不会收到任何通知；"
            "请在单位名录中补充经办人、分管领导的手机或邮箱后重新导入"
            "（duban units import）。"
        )
    return plan, directory


def _simulation(
    file: Path, units: Path | None, until: dt.date, rate: float, seed: int
) -> Simulation:
    from usecases.simulate import simulate

    plan, directory = _plan_and_units(file, units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarGapWarning)
        try:
            return simulate(
                plan, directory, config.calendar(), until=until, report_rate=rate, seed=seed
            )
        except ValueError as exc:
            raise _fail(f"计划无法模拟：{exc}") from exc


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


@app.command("preview")
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
    end = _parse_when(until, "--to").date() if until else dt.date(year + 1, 1, 31)
    start = _parse_when(since, "--from").date() if since else None
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


@app.command("simulate")
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
    end = _parse_when(until, "--until").date()
    sim = _simulation(file, units, end, report_rate, seed)
    out.print(
        f"模拟 {sim.plan}：{sim.start} 至 {sim.until}，报送比例 {report_rate:.0%}，"
        f"共 {sim.reports} 次报送（当日采纳），{len(sim.sent)} 条通知，"
        f"合并为每日摘要后 {sim.messages()} 条消息。"
    )
    _print_month_summary(sim)
    for day, n, lagging in sim.checks:
        out.print(f"{day} 检查：{n} 个单位中 {lagging} 个有未完成事项。")


@app.command("check")
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

    now = _at(at)
    try:
        done = check_now(
            _ledger(),
            plan,
            now,
            config.calendar(),
            actor=_actor(),
            units=unit or None,
            tasks=task or None,
            notify=notify,
        )
    except ActionError as exc:
        raise _fail(str(exc)) from exc
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


@app.command("lookback")
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

    now = _at(at)
    limit = _parse_when(due, "--due").date() if due else None
    r = _act(
        lambda s: look_back(
            s, plan, config.calendar(), actor=_actor(), due=limit, now=now.in_timezone("UTC")
        )
    )
    for line in r.opened:
        out.print(f"  {line}")
    out.print(
        f"回头看 {r.predecessor}：新开整改事项 {len(r.opened)} 项"
        + (f"（已开立 {r.already} 项）" if r.already else "")
        + f"，整改期限 {r.due}。"
    )


@app.command("circular")
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
        made = circular_now(_ledger(), plan, _at(at), config.calendar(), progress=_rendering)
    except ActionError as exc:
        raise _fail(str(exc)) from exc
    if made is None:
        out.print("没有需要通报的事项（没有已发出通报步骤仍逾期未完成的节点）。")
    elif made.existing:
        out.print(f"通报名单与上一期 {made.number} 相同，未重新编号：{made.path}")
    else:
        out.print(f"[green]已生成通报 {made.number}[/green]：{made.path}")


@app.command("export")
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

    now = _at(at)

    def go(s: Session) -> tuple[str, list[list[object]]]:
        p = get_plan(s, plan)
        ids = [u.id for u in find_units(s, unit, p.jurisdiction)] if unit else None
        return p.title, queries.ledger_rows(
            s, p, now.in_timezone("UTC"), config.calendar(), unit_ids=ids
        )

    title, rows = _act(go)
    target = output or config.home() / "exports" / f"{plan}-台账-{now.format('YYYY-MM-DD')}.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".csv":
        with target.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(
                [queries.LEDGER_HEADER, *[[csv_cell(c) for c in r] for r in rows]]
            )
    elif target.suffix.lower() == ".xlsx":
        write_sheet(
            target,
            title=f"{title}　台账（截至{now.format('YYYY年M月D日 HH:mm')}）",
            sheet="台账",
            header=queries.LEDGER_HEADER,
            rows=rows,
        )
    else:
        raise _fail(f"--out {target}：只支持 .xlsx 或 .csv", EXIT_USAGE)
    late = sum(1 for r in rows if r[7] in ("已逾期", "整改逾期"))
    rounds = sum(1 for r in rows if r[1] == STANDING_KIND)
    out.print(
        f"[green]已导出台账[/green] {target}：{len(rows)} 个时限节点"
        f"（其中持续推进任务的进展报送 {rounds} 个），其中逾期未完成 {late} 个。"
    )


@app.command("score")
def score_cmd(
    plan: Annotated[str, typer.Argument(help="计划 id")],
    at: Annotated[str | None, typer.Option("--at", help=f"按此时计分。{AT_RULE}")] = None,
) -> None:
    """年度考核得分：按计划的评分规则（基础分、逾期扣分、未完成扣分、提前完成加分）
    计算各单位得分和按时完成率。

    例：duban score zhongshan-2021-zwgk --at 2022-01-31
    """
    from ledger.checks import run_check

    now = _at(at)

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

    report, rubric = _act(go)
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


@app.command("import")
def import_cmd(
    notice: Annotated[
        Path, typer.Argument(help="通知文件：.docx/.doc/.wps、.pdf、.xlsx/.xls、.html 或 .txt")
    ],
    json_out: Annotated[Path | None, typer.Option("--json", help="按抽取格式写出 JSON")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="计划草稿 YAML 的路径")] = None,
    diff: Annotated[Path | None, typer.Option("--diff", help="与已有计划比较，列出变化")] = None,
    units: Annotated[
        Path | None,
        typer.Option(
            "--units", help="单位名录（CSV/XLSX）：逐一核对单位名称，不在名录中的给出最接近的名称"
        ),
    ] = None,
) -> None:
    """读取任务分工通知，生成计划草稿和待核对清单（未识别准的字段逐项列出，绝不静默猜测）。

    例：duban import 通知.docx --units plans/units/chongqing.csv --out plans/chongqing-2021.yaml
        duban import 新通知.txt --diff plans/chongqing-2021.yaml
    """
    from plans.importer import diff_plans, draft_plan, draft_yaml, extract
    from plans.notice import NoticeProblem

    df = _read_units(units) if units is not None else None
    directory = Directory.build(df.units, df.jurisdiction or "") if df is not None else None
    try:
        ex = extract(notice, directory)
    except NoticeProblem as exc:
        raise _fail(str(exc)) from exc
    target = out_file or Path(f"{notice.stem}.plan.yaml")
    rel = os.path.relpath(units.resolve(), target.resolve().parent) if units else None
    plan = draft_plan(ex, rel, df.jurisdiction if df is not None else None)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(
            json.dumps(ex.as_format(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    if diff:
        from plans.source import SourceError, load_yaml

        try:
            old = load_yaml(diff)[0] or {}  # bounded as plan files are (nesting, aliases)
        except SourceError as exc:
            raise _fail(str(exc)) from exc
        changes, reviewed = diff_plans(old, plan)
        out.print("\n".join(changes) if changes else "与现有计划相比没有变化。", markup=False)
        if reviewed:
            out.print(
                f"（另有 {reviewed} 处人工核对过的字段与新通知的读取不同，按核对结果保留，"
                "未列出：见各条 note 中的“核对[…]”）",
                markup=False,
            )
        return
    if out_file or not json_out:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(draft_yaml(ex, plan), encoding="utf-8")
        out.print(f"计划草稿：{target}")
    meta = ex.meta
    out.print(
        f"《{meta['title'].value if 'title' in meta else notice.name}》"
        f"{meta['doc_no'].value if 'doc_no' in meta else ''}：任务 {len(ex.tasks)} 项，"
        f"检查节点 {len(ex.checkpoints)} 个，待核对 {len(ex.review)} 处。"
    )
    for r in ex.review:
        out.print(f"  - {r}", markup=False)


EXIT_UNDELIVERED = 4  # dispatch: messages failed or were given up; notices --check: dead


def _kinds(counts: dict[str, int]) -> str:
    """Channels as an operator reads and configures them: 短信（sms） 3 条."""
    from ledger.notices import channel_name

    return "、".join(f"{channel_name(k)}（{k}） {n} 条" for k, n in sorted(counts.items()))


@app.command("dispatch")
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
    from usecases.dispatch import dispatch_now

    now = _at(at)
    with transaction(_ledger()) as s:  # links that open only here: said before they go
        waiting = s.scalar(
            select(Notice.id).where(Notice.status == "pending", Notice.kind != "alert").limit(1)
        )
    if waiting is not None:
        _warn_loopback()
    try:
        transports = Transports.from_home(config.home())
        waiting = unrouted(_ledger(), lambda c: transports.route(c) is not None)
        if waiting:
            out.print(
                f"【注意】channels.yaml 没有配置这些渠道：{_kinds(waiting)}待发。它们只会写入"
                f"本机发件箱 {config.home() / 'outbox'} 并记为已发送，不会送达任何人；"
                f"请在 channels.yaml 中为这些渠道配置发送方式（见 README Channels 一节）。"
            )
        r = dispatch_now(now, Settings(workers=workers))
    except (TemplateProblem, ConfigProblem) as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    except (StoreLost, DatabaseError) as exc:
        raise _fail(
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


channels_app = _group(
    "消息渠道：向联系人的每个渠道发送测试消息，逐渠道报告结果。"
    "渠道在数据目录的 channels.yaml 中配置（见 README 的 Channels 一节）。"
)
app.add_typer(channels_app, name="channels")


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
        raise _fail(str(exc), EXIT_INVALID) from exc
    factory = _ledger()
    with transaction(factory) as session:
        try:
            unit, person = find_contact(session, contact)
        except ActionError as exc:
            raise _fail(str(exc)) from exc
        pairs = contact_channels(person, Policy().channels)
        now = pendulum.now("Asia/Shanghai")
        ctx = {"person": person.name, "unit": unit.name, "at": now.format("YYYY-MM-DD HH:mm")}
    if not pairs:
        raise _fail(f"{unit.name} {person.name} 没有可用的渠道（手机、邮箱或渠道列）", EXIT_INVALID)
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


@app.command("notices")
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

    from ledger import notices

    retry_at = _at(at).in_timezone("UTC")

    def go(s: Session) -> tuple[list[tuple[Notice, str]], dict[str, int]] | int:
        p = get_plan(s, plan) if plan else None
        u = get_unit(s, unit, p.jurisdiction if p else None) if unit else None
        if retry_dead:
            return notices.requeue_dead(s, retry_at, actor=_actor(), plan=p, unit=u)
        return (
            notices.recent(s, plan=p, unit=u, status=status, limit=limit),
            notices.counts(s, plan=p, unit=u),
        )

    found = _act(go)
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
                notices.channel_name(n.channel),
                n.recipient,
                notices.NOTICE_STATES.get(n.status, n.status),
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


links_app = _group("单位链接：每个单位凭自己的链接查看本单位事项、报送完成情况、申请延期。")
app.add_typer(links_app, name="links")


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
        got = issue(s, u, actor=_actor(), expires_at=expires)
        return u.name, got.url, got.expires_at

    name, url, expires = _act(go)
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
        return u.name, revoke(s, u, actor=_actor())

    name, n = _act(go)
    out.print(f"已停用 {name} 的 {n} 个链接。" if n else f"{name} 没有可停用的链接。")


@app.command("web")
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
        raise _fail(str(exc), EXIT_USAGE) from None
    start = _parse_when(at, "--at") if at else None
    ledger = _ledger()  # migrated once, here, before any worker starts
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


users_app = _group("网页账号：协调单位（可审核、检查、重发）和只读账号。")
app.add_typer(users_app, name="users")


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
            raise _fail("两次输入的密码不一致，未保存。", EXIT_USAGE)
    try:
        _act(lambda s: add_user(s, name, role, password, actor=_actor()))
    except LoginError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    kind = "协调单位" if role == "coordinator" else "只读"
    out.print(f"[green]已保存账号 {name}[/green]（{kind}）。")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="用户名", metavar="用户名")]) -> None:
    """停用账号并退出其已登录的浏览器（审计记录保留）。

    例：duban users disable 王科长
    """
    from ledger.users import LoginError, disable_user

    try:
        _act(lambda s: disable_user(s, name, actor=_actor()))
    except LoginError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    out.print(f"已停用账号 {name}。")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库结构升级到当前版本：新建、从旧版本升级，或说明无需升级。
    只有本命令（以及单机 duban up 对自己的 SQLite 数据库）会改动数据库结构；
    其他命令遇到版本不符的数据库会拒绝运行（退出码 3）。升级前先停止 worker。

    例：DUBAN_DATABASE_URL=postgresql://duban@db/duban duban db upgrade
    """
    from ledger.db import make_engine

    try:  # unwatched: a migration may rewrite a large table for minutes
        done = upgrade(make_engine(config.database_url(), wait=0))
    except Exception as exc:
        raise _fail(f"数据库升级失败：{exc}", EXIT_ENV) from exc
    out.print(done.describe())


@app.command("demo")
def demo(
    at: Annotated[str, typer.Option("--at", help="按某日查看台账")] = "2021-09-20",
) -> None:
    """演示：导入中山市单位名录和参考计划（中府办函〔2021〕91号），显示 9月20日检查时的台账。

    例：duban demo
    """
    root = Path(__file__).resolve().parent.parent / "plans"
    out.print(f"数据目录：{config.home()}    数据库：{config.database_url()}")
    units_import(root / "units" / "zhongshan.csv", jurisdiction=None, replace=False, yes=False)
    plan_load(root / "zhongshan-2021.yaml")
    status(plan="zhongshan-2021-zwgk", unit=None, at=at)


def main() -> None:
    """The ``duban`` program: a database that fails or stops answering in any command is
    a message and exit 3, never a traceback or a wait without end."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    try:
        app()
    except DatabaseError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        sys.exit(EXIT_ENV)
    except DBAPIError as exc:
        err.print(
            f"[red]数据库不可用，本次操作未完成（已提交的不受影响）："
            f"{escape(str(exc).splitlines()[0])}[/red]"
        )
        sys.exit(EXIT_ENV)
    except PoolTimeout as exc:
        err.print(f"[red]数据库连接全部占用或无响应，本次操作未完成：{escape(str(exc))}[/red]")
        sys.exit(EXIT_ENV)
