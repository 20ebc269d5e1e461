"""``duban plan``: validate, load, show, deploy a plan file, and its JSON Schema.
Also the plan-file steps other doors share (a plan and the directory it runs with)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from duban.cli.common import EXIT_ENV, T, actor, fail, group, open_db, out, print_problems
from ledger import config
from ledger.load import DirectoryDrift, describe_counts
from ledger.planfile import PlanFileError, check_file, load_file, plan_directory, read_plan_file
from plans.compile import ASSIGNMENT_ROLES, Compiled, CompiledItem, read_plan
from plans.directory import Directory
from plans.duerules import Occurrence
from plans.duewords import describe_rule
from plans.model import CHECKPOINT_KINDS, PlanSpec, json_schema
from plans.source import LineMap

plan_app = group("计划文件：校验、加载、查看、部署、导出格式说明。")


def _planfile(fn: Callable[[], T]) -> T:
    """A ``ledger.planfile`` step, its refusal printed with the file's problems."""
    try:
        return fn()
    except PlanFileError as exc:
        print_problems(exc.problems)
        raise fail(exc.message) from exc


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
            open_db(), plan, plan_file, units_file, file_fallback=file_fallback, contacts=contacts
        )
    )


def _read_plan(path: Path) -> tuple[PlanSpec, LineMap]:
    return _planfile(lambda: read_plan_file(path))


def _compile(
    path: Path, units_file: Path | None, *, file_fallback: bool = False
) -> tuple[Compiled, str]:
    return _planfile(
        lambda: check_file(
            open_db(), path, config.calendar(), units_file, file_fallback=file_fallback
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
    print_problems(compiled.problems)
    if compiled.errors:
        raise fail(f"{file}: {len(compiled.errors)} 处错误。")
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
                open_db(), file, config.calendar(), actor=actor(), directory_changes=yes
            )
        )
    except DirectoryDrift as exc:
        raise fail(
            f"未作任何改动。计划 {exc.plan_key}：{'；'.join(exc.lines)}；确需如此请加 --yes"
        ) from exc
    print_problems(compiled.problems)
    if result is None:
        raise fail(f"{file}: {len(compiled.errors)} 处错误，未作任何改动。")
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
    print_problems(c.problems)
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
        f"（{'、'.join(ASSIGNMENT_ROLES.values())}），{c.milestone_count} 个时限节点。"
    )


def _dates(occurrences: list[Occurrence]) -> list[str]:
    return [str(o.due_date) if o.due_date else "待事件发生后起算" for o in occurrences]


def _dues(item: CompiledItem) -> str:
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
        raise fail("请给出一个计划文件，或用 --all 部署台账中的全部计划（二者选一）。")
    if file is not None:
        plan, _, problems = read_plan(file)
        if plan is None:
            print_problems(problems)
            raise fail(f"计划文件 {file} 有错误。")
        specs = [plan]
    else:
        specs = loaded_plans(config.database_url())
    pool = work_pool(pool)
    if write is not None:
        if not pool:
            raise fail("--write 须同时给出 --pool（prefect.yaml 的部署由工作池中的 worker 运行）")
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
        raise fail("未设置 PREFECT_API_URL：请先启动 Prefect 服务，或直接运行 duban up", EXIT_ENV)
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
        raise fail(f"部署失败：{exc}{hint}", EXIT_ENV) from exc
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


def plan_and_units(file: Path, units: Path | None) -> tuple[PlanSpec, Directory]:
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
