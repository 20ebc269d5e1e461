"""A plan file checked and loaded against the ledger: what ``duban plan validate`` and
``duban plan load`` do, shared with the web's draft review so that both ways check a
plan the same way (the same directory, the same compiler, the same problems)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ledger.db import transaction
from ledger.directory_sync import jurisdictions, ledger_units
from ledger.load import PlanLoad, file_hash, load_plan, plan_events
from plans.compile import Compiled, compile_plan, read_plan
from plans.directory import Directory, read_directory
from plans.model import PlanSpec
from plans.source import LineMap, Problem
from plans.workdays import CalendarGapWarning, WorkCalendar


@dataclass
class PlanFileError(Exception):
    """The plan cannot be checked at all: it does not parse, or no directory is known for
    its jurisdiction. ``problems`` are the file's own, line by line."""

    message: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def jurisdiction_of(plan: PlanSpec, plan_file: Path) -> str:
    """The plan's ``jurisdiction``, else the one its ``directory`` file names, else ''."""
    if plan.jurisdiction:
        return plan.jurisdiction
    if plan.directory and (plan_file.parent / plan.directory).exists():
        return read_directory(plan_file.parent / plan.directory).jurisdiction or ""
    return ""


def units_file_directory(path: Path, jurisdiction: str = "") -> Directory:
    df = read_directory(path)
    if df.errors:
        raise PlanFileError(f"单位名录 {path} 有错误，请先改正", df.problems)
    return Directory.build(df.units, df.jurisdiction or jurisdiction)


def plan_directory(
    factory: sessionmaker[Session],
    plan: PlanSpec,
    plan_file: Path,
    units_file: Path | None = None,
    *,
    file_fallback: bool = False,
    contacts: bool = False,
) -> tuple[Directory, str]:
    """The directory a plan is checked against, and a phrase saying which one it is.

    ``units_file`` names a file; otherwise it is the ledger's directory of the plan's
    jurisdiction, exactly as loading will use it. Callers that leave the ledger alone
    (show, preview, simulate) may fall back to the plan's own ``directory`` file when the
    ledger has none yet. ``contacts``: with the units' contacts (preview and simulate
    address notices; validating does not need them).
    """
    if units_file is None:
        j = jurisdiction_of(plan, plan_file)
        with transaction(factory) as s:
            units, known = ledger_units(s, j, contacts=contacts), jurisdictions(s)
        if units:
            return Directory.build(
                units, j
            ), f"台账中{j or '未指明辖区'}的单位名录（{len(units)} 个单位）"
        if not (file_fallback and plan.directory):
            hint = (
                f"duban units import {plan_file.parent / plan.directory}"
                if plan.directory
                else "duban units import 单位名录.csv"
            )
            if not j:
                have = "、".join(known)
                raise PlanFileError(
                    f"计划 {plan_file} 没有写明辖区，也没有 directory 名录文件，无法核对单位。"
                    + (
                        f"台账中已有这些辖区的单位名录：{have}；在计划中写上其一"
                        f"（jurisdiction: {known[0]}），"
                        if known
                        else "台账中还没有任何单位名录：先导入本辖区的名录"
                        "（duban units template --out 名录.xlsx 生成模板，"
                        "填好后 duban units import），"
                        "再在计划中写上辖区（jurisdiction: 名录第一行的辖区），"
                    )
                    + "或用 --units 名录文件 校验"
                )
            raise PlanFileError(
                f"台账中还没有{j}的单位名录，请先导入：{hint}（或用 --units 指定名录文件校验）"
                + (
                    ""
                    if plan.directory
                    else f"。还没有名录文件的，用 duban units template --jurisdiction {j} 生成模板"
                )
            )
        units_file = plan_file.parent / plan.directory
    directory = units_file_directory(units_file, plan.jurisdiction or "")
    j = directory.jurisdiction
    return directory, f"单位名录文件 {units_file}（{j or '未指明辖区'}）"


def read_plan_file(path: Path) -> tuple[PlanSpec, LineMap]:
    plan, lines, problems = read_plan(path)
    if plan is None:
        raise PlanFileError(f"计划文件 {path} 有 {len(problems)} 处错误，未作任何改动。", problems)
    return plan, lines


def compile_file(
    plan: PlanSpec,
    lines: LineMap,
    path: Path,
    directory: Directory,
    cal: WorkCalendar,
    events: dict | None = None,
) -> Compiled:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarGapWarning)  # reported as problems instead
        return compile_plan(plan, directory, cal, file=str(path), lines=lines, events=events)


def check_file(
    factory: sessionmaker[Session],
    path: Path,
    cal: WorkCalendar,
    units_file: Path | None = None,
    *,
    file_fallback: bool = False,
) -> tuple[Compiled, str]:
    """``duban plan validate``: the compiled plan (its ``problems``) and which directory."""
    plan, lines = read_plan_file(path)
    directory, used = plan_directory(factory, plan, path, units_file, file_fallback=file_fallback)
    return compile_file(plan, lines, path, directory, cal), used


def load_file(
    factory: sessionmaker[Session],
    path: Path,
    cal: WorkCalendar,
    *,
    actor: str,
    directory_changes: bool = False,
) -> tuple[Compiled, PlanLoad | None]:
    """``duban plan load``: the compiled plan, and the load's result (None when the plan
    has errors and nothing was changed). Raises ``DirectoryDrift`` as load_plan does."""
    plan, lines = read_plan_file(path)
    directory, _ = plan_directory(factory, plan, path)
    with transaction(factory) as s:
        events = plan_events(s, plan.id)
    compiled = compile_file(plan, lines, path, directory, cal, events)
    if compiled.errors:
        return compiled, None
    with transaction(factory) as s, warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarGapWarning)  # compile_file reported it
        result = load_plan(
            s,
            compiled,
            source=path.resolve(),
            digest=file_hash(path),
            cal=cal,
            actor=actor,
            directory_changes=directory_changes,
        )
    return compiled, result
