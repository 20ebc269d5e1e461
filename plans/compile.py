"""From a plan file to what the ledger stores: items, assignments, occurrences.

``read_plan`` turns a YAML file into a ``PlanSpec`` and a list of problems that
name file, line and field. ``compile_plan`` resolves unit names against the
directory, expands groups, and expands due rules into concrete occurrences.
Both are pure: the same inputs always give the same output, so the ledger can
upsert by stable keys and a re-load changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pendulum
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from plans.directory import Directory
from plans.duerules import DueRuleError, Occurrence, Period, expand, parse_rule
from plans.model import CHECKPOINT_KINDS, Checkpoint, PlanSpec, Task
from plans.source import FieldPath, LineMap, Problem, SourceError, format_path, load_yaml
from plans.workdays import WorkCalendar

ROLE_RANK = {"lead": 0, "responsible": 1, "support": 2}
ASSIGNMENT_ROLES = {"lead": "牵头", "responsible": "责任", "support": "配合"}
# Groups whose members depend on the plan itself, not on the directory.
DYNAMIC_GROUPS = {"各责任单位": "responsible", "各单位": "responsible", "各牵头单位": "lead"}

_PYDANTIC_CN = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（拼写错误？可用字段见 duban plan schema）",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "string_type": "应为文字",
    "list_type": "应为列表（如 [a, b]）",
    "bool_parsing": "应为 true 或 false",
    "time_parsing": "时间格式应为 HH:MM",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "model_type": "应为映射（键: 值）",
    "dict_type": "应为映射（键: 值）",
}


def _pydantic_message(err: ErrorDetails) -> str:
    kind = err["type"]
    if kind == "literal_error":
        return f"应为以下之一：{err['ctx']['expected']}（实际为 {err['input']!r}）"
    if kind in ("value_error", "assertion_error"):
        return str(err["msg"]).removeprefix("Value error, ")
    return _PYDANTIC_CN.get(kind, err["msg"])


def read_plan(
    path: Path, text: str | None = None
) -> tuple[PlanSpec | None, LineMap, list[Problem]]:
    """Parse and validate the structure of a plan file (not yet its unit names)."""
    name = str(path)
    try:
        data, lines = load_yaml(path, text)
    except SourceError as exc:
        return None, LineMap(), exc.problems
    if not isinstance(data, dict):
        return None, lines, [Problem(name, 1, "", "计划文件顶层应为映射（id: …, title: …）")]
    try:
        plan = PlanSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc: FieldPath = tuple(err["loc"])
            problems.append(
                Problem(name, lines.line_of(loc), format_path(loc), _pydantic_message(err))
            )
        return None, lines, problems
    return plan, lines, []


@dataclass
class CompiledItem:
    """A task or checkpoint as the ledger stores it."""

    key: str
    kind: str  # "task" or a checkpoint kind
    seq: int
    text: str
    title: str
    section: list[str]
    path: str | None
    due: list[str]
    assignments: dict[str, str]  # unit name -> lead | responsible | support
    occurrences: list[Occurrence]
    standing: bool = False  # a task with no date of its own: progress owed at the checks


@dataclass
class Compiled:
    plan: PlanSpec
    items: list[CompiledItem] = field(default_factory=list)
    coordinator: str = ""
    problems: list[Problem] = field(default_factory=list)
    jurisdiction: str = ""  # whose directory the names were resolved in
    progress: list[str] = field(default_factory=list)  # rules of standing tasks' reports
    progress_source: str = ""  # where they come from, in Chinese, for plan show

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def assignment_count(self) -> int:
        return sum(len(i.assignments) for i in self.items)

    @property
    def milestone_count(self) -> int:
        return sum(len(i.assignments) * len(i.occurrences) for i in self.items)


def checkpoint_dates(plan: PlanSpec, kind: str = "check") -> list[dt.date]:
    """The dated rules of the plan's checkpoints of ``kind`` (check, lookback): the days
    its scheduled checks run."""
    dates = set()
    for cp in plan.checkpoints:
        if cp.kind != kind:
            continue
        for text in cp.due:
            rule = parse_rule(text)
            if rule.kind == "date" and rule.date:
                dates.add(rule.date)
    return sorted(dates)


PROGRESS_KINDS = ("check", "report")  # checkpoints whose dates drive progress by default


def is_standing(rules: list[str]) -> bool:
    """A task with no date of its own (no rule, or only 持续推进/长期坚持 ``ongoing``):
    supervised by the progress its units report at the plan's checks."""
    return all(parse_rule(r).kind == "ongoing" for r in rules)


def progress_rules(
    plan: PlanSpec, problem: Callable[..., None] | None = None
) -> tuple[list[str], str]:
    """When units report progress on standing tasks, and where that comes from (Chinese).

    ``progress:`` names checkpoint ids and/or due rules; when it is silent, the dates of
    the plan's checks and completion report; else the end of the plan's period.
    """
    cps = {c.id: c for c in plan.checkpoints}
    rules: list[str] = []
    said: list[str] = []
    for j, entry in enumerate(plan.progress):
        if entry in cps:
            rules += cps[entry].due
            said.append(f"{CHECKPOINT_KINDS[cps[entry].kind]}“{cps[entry].title or entry}”")
            continue
        try:
            rules.append(parse_rule(entry).text)
            said.append(entry)
        except DueRuleError as exc:
            if problem:
                problem(("progress", j), f"{entry!r} 既不是检查节点的 id，也不是期限规则：{exc}")
    if plan.progress:
        source = "按计划 progress 设定：" + "、".join(said)
    else:
        named = [c for c in plan.checkpoints if c.kind in PROGRESS_KINDS and c.due]
        rules = [r for c in named for r in c.due]
        source = "按计划的" + "、".join(
            f"{CHECKPOINT_KINDS[c.kind]}“{c.title or c.id}”" for c in named
        )
    rules = [r for r in rules if parse_rule(r).kind != "ongoing"]
    if not rules:
        rules = [plan.period_end.isoformat()]
        source = "计划未设检查日期，按计划期末"
    return list(dict.fromkeys(rules)), source


def compile_plan(
    plan: PlanSpec,
    directory: Directory,
    cal: WorkCalendar,
    *,
    file: str = "",
    lines: LineMap | None = None,
    events: dict[str, pendulum.DateTime] | None = None,
) -> Compiled:
    """Resolve units, expand groups and due rules; collect every problem found."""
    lines = lines or LineMap()
    out = Compiled(plan, jurisdiction=directory.jurisdiction)

    def problem(path: FieldPath, msg: str, severity: str = "error") -> None:
        out.problems.append(Problem(file, lines.line_of(path), format_path(path), msg, severity))

    def resolve(names: list[str], path: FieldPath, allow_dynamic: bool) -> list[str]:
        units: list[str] = []
        for i, raw in enumerate(names):
            if allow_dynamic and raw in DYNAMIC_GROUPS:
                units.append(raw)
                continue
            hit = directory.resolve(raw)
            if hit is None:
                hint = directory.suggest(raw)
                problem(
                    (*path, i),
                    f"单位名录中没有 {raw!r}"
                    + (f"，是否指 {hint}？" if hint else "；请先导入单位名录或补充别名"),
                )
            elif hit[0] == "group":
                members = directory.members(hit[1])
                if not members:
                    problem((*path, i), f"分组 {hit[1]} 没有成员")
                units.extend(members)
            else:
                units.append(hit[1])
        return units

    if plan.jurisdiction and directory.jurisdiction != plan.jurisdiction:
        problem(
            ("jurisdiction",),
            f"计划属于 {plan.jurisdiction}，但所用单位名录属于 "
            f"{directory.jurisdiction or '未指明的辖区'}：请改用 {plan.jurisdiction} 的名录",
        )
    coord = directory.resolve(plan.coordinator)
    if coord is None or coord[0] != "unit":
        hint = directory.suggest(plan.coordinator)
        problem(
            ("coordinator",),
            f"协调单位 {plan.coordinator!r} 不是名录中的单位"
            + (f"，是否指 {hint}？" if hint else ""),
        )
    else:
        out.coordinator = coord[1]

    seen: dict[str, FieldPath] = {}
    sections: tuple[tuple[str, Sequence[Checkpoint | Task]], ...] = (
        ("checkpoints", plan.checkpoints),
        ("tasks", plan.tasks),
    )
    for kind, entries in sections:
        for i, entry in enumerate(entries):
            if entry.id in seen:
                first = seen[entry.id]
                problem(
                    (kind, i, "id"), f"id {entry.id!r} 重复（第 {lines.line_of(first)} 行已用过）"
                )
            else:
                seen[entry.id] = (kind, i, "id")

    tz = plan.timezone
    period = Period(plan.period_start, plan.period_end, plan.issued, tz)
    for year in sorted({plan.year, plan.issued.year, plan.period_end.year}):
        if msg := cal.check_year(year):
            problem(("year",), msg, "warning")
    events = events or {}

    def occurrences(rules: list[str], path: FieldPath) -> list[Occurrence]:
        occ: list[Occurrence] = []
        for j, text in enumerate(rules):
            rule = parse_rule(text)
            got = expand(rule, period, events, cal)
            if (
                rule.kind == "date"
                and rule.date
                and not (plan.issued <= rule.date <= plan.period_end + dt.timedelta(days=366))
            ):
                problem(
                    (*path, j),
                    f"截止日期 {rule.date} 不在计划期内（{plan.issued}起），请核对",
                    "warning",
                )
            if rule.is_event and not got[0].armed:
                problem(
                    (*path, j),
                    f"期限相对于事件“{rule.anchor}”，记录事件日期后才开始计时"
                    f"（duban event {plan.id} {rule.anchor} --date …）",
                    "warning",
                )
            occ.extend(got)
        keys: set[str] = set()
        unique: list[Occurrence] = []
        for o in occ:
            if o.key not in keys:
                keys.add(o.key)
                unique.append(o)
        return unique

    out.progress, out.progress_source = progress_rules(plan, problem)
    # Two checks on one day (a monthly check's December and the year-end report) ask
    # for one round of progress, not two identical rows.
    days: set[dt.date] = set()
    progress_occ: list[Occurrence] = []
    for o in occurrences(out.progress, ("progress",)):
        if o.due_date is not None:
            if o.due_date in days:
                continue
            days.add(o.due_date)
        progress_occ.append(o)

    roles_by_task: list[dict[str, str]] = []
    for i, task in enumerate(plan.tasks):
        assigned: dict[str, str] = {}
        for role, names in (
            ("lead", task.lead),
            ("responsible", task.units),
            ("support", task.support),
        ):
            for unit in resolve(
                names, ("tasks", i, role if role != "responsible" else "units"), allow_dynamic=False
            ):
                if unit not in assigned or ROLE_RANK[role] < ROLE_RANK[assigned[unit]]:
                    assigned[unit] = role
        if not assigned and not (task.lead or task.units or task.support):
            problem(("tasks", i), "没有牵头或责任单位，不会进入台账", "warning")
        roles_by_task.append(assigned)
        rules = task.due or plan.default_due
        standing = is_standing(rules)
        occ = (
            progress_occ
            if standing
            else occurrences(rules, ("tasks", i, "due") if task.due else ("default_due",))
        )
        out.items.append(
            CompiledItem(
                task.id,
                "task",
                i,
                task.text,
                task.short_title,
                task.section,
                task.path,
                list(rules),
                assigned,
                occ,
                standing,
            )
        )

    def dynamic(role: str) -> list[str]:
        names = {
            u for a in roles_by_task for u, r in a.items() if role == "responsible" or r == role
        }
        names.discard(out.coordinator)  # the coordinator never reports to itself
        return sorted(names)

    for i, cp in enumerate(plan.checkpoints):
        assigned = {}
        for unit in resolve(cp.units, ("checkpoints", i, "units"), allow_dynamic=True):
            for u in dynamic(DYNAMIC_GROUPS[unit]) if unit in DYNAMIC_GROUPS else [unit]:
                assigned.setdefault(u, "responsible")
        occ = occurrences(cp.due, ("checkpoints", i, "due"))
        title = cp.title or (cp.text if len(cp.text) <= 30 else cp.text[:29] + "…")
        out.items.append(
            CompiledItem(
                cp.id,
                cp.kind,
                len(plan.tasks) + i,
                cp.text,
                title,
                [],
                None,
                list(cp.due),
                assigned,
                occ,
            )
        )

    for i, target in enumerate(plan.targets):
        resolve([target.unit], ("targets", i, "unit"), allow_dynamic=False)
    return out
