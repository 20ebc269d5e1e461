"""Bringing files into the ledger: the unit directory and plans.

Both loads are upserts by stable keys (unit name; plan id, item id, unit,
occurrence) computed in memory from a handful of queries, so their cost
follows the plan's size, not the ledger's. Nothing a unit did is ever
deleted: a task dropped from an edited plan is archived with its open
milestones, and its reports and sent notices stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pendulum
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from ledger.models import (
    OPEN_STATES,
    Assignment,
    AuditEvent,
    Contact,
    Group,
    Item,
    Milestone,
    Plan,
    PlanEvent,
    Unit,
    utcnow,
)
from plans import directory as d
from plans.compile import Compiled
from plans.duerules import Occurrence
from plans.policy import Policy, first_action_at
from plans.workdays import WorkCalendar


def audit(session: Session, actor: str, action: str, *, plan_id: int | None = None,
          entity: str = "", key: str = "", **detail: object) -> None:
    session.add(AuditEvent(actor=actor, action=action, plan_id=plan_id, entity=entity,
                           entity_key=key, detail=detail))


# ---------------------------------------------------------------- directory

class DirectoryError(ValueError):
    """A directory that cannot be imported as it is; each line says what and where."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("；".join(lines))
        self.lines = lines


@dataclass
class UnitSync:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # 单位（旧分组 → 新分组）
    contacts_removed: list[str] = field(default_factory=list)  # 单位 角色


def as_model(u: Unit) -> d.Unit:
    """A stored unit in the file model (export, name resolution, change detection)."""
    return d.Unit(
        name=u.name, aliases=u.aliases, kind=u.kind,  # type: ignore[arg-type]
        parent=u.parent.name if u.parent else None, groups=[g.name for g in u.groups],
        contacts=[d.Contact(role=c.role, name=c.name, mobile=c.mobile,  # type: ignore[arg-type]
                            email=c.email, wecom_id=c.wecom_id, dingtalk_id=c.dingtalk_id,
                            channels=c.channels) for c in u.contacts])


def _state(m: d.Unit) -> tuple:
    return (m.kind, m.parent, sorted(m.aliases), sorted(m.groups),
            sorted((c.role, c.name, c.mobile, c.email, c.wecom_id, c.dingtalk_id,
                    tuple(c.channels)) for c in m.contacts if not c.empty))


def _stored_units(session: Session, jurisdiction: str) -> list[Unit]:
    return list(session.scalars(
        select(Unit).where(Unit.jurisdiction == jurisdiction)
        .options(selectinload(Unit.contacts), selectinload(Unit.groups),
                 selectinload(Unit.parent)).order_by(Unit.id)))


def sync_units(session: Session, units: list[d.Unit], *, jurisdiction: str, actor: str,
               replace: bool = False) -> UnitSync:
    """Upsert one jurisdiction's units by name. With ``replace``, its units missing
    from the file are deactivated (kept, since plans and reports refer to them).

    An alias that is already another unit's name or alias in this jurisdiction
    is refused (``DirectoryError``): it would silently redirect that unit's work.
    """
    result = UnitSync()
    existing = {u.name: u for u in _stored_units(session, jurisdiction)}
    names = {m.name for m in units}
    kept = [as_model(u) for n, u in existing.items() if n not in names and u.active
            and not replace]
    conflicts = d.alias_conflicts(units, kept)
    if conflicts:
        raise DirectoryError([f"{unit}：{msg}" for unit, msg in conflicts])
    groups = {g.name: g for g in session.scalars(
        select(Group).where(Group.jurisdiction == jurisdiction))}
    for m in units:
        row = existing.get(m.name)
        if row is not None and row.active and _state(as_model(row)) == _state(m):
            result.unchanged += 1
            continue
        if row is None:
            row = Unit(jurisdiction=jurisdiction, name=m.name, kind=m.kind, aliases=[])
            session.add(row)
            existing[m.name] = row
            result.created.append(m.name)
        else:
            result.updated.append(m.name)
            before = sorted(g.name for g in row.groups)
            if before != sorted(m.groups):
                result.moved.append(f"{m.name}（{'、'.join(before) or '无分组'} → "
                                    f"{'、'.join(sorted(m.groups)) or '无分组'}）")
        row.kind, row.aliases, row.active, row.updated_at = m.kind, list(m.aliases), True, utcnow()
        row.groups = [groups.get(g) or groups.setdefault(g, Group(jurisdiction=jurisdiction,
                                                                  name=g)) for g in m.groups]
        by_role = {c.role: c for c in row.contacts}
        wanted = {c.role: c for c in m.contacts if not c.empty}
        for role, c in wanted.items():
            target = by_role.get(role) or Contact(role=role)
            if role not in by_role:
                row.contacts.append(target)
            target.name, target.mobile, target.email = c.name, c.mobile, c.email
            target.wecom_id, target.dingtalk_id, target.channels = c.wecom_id, c.dingtalk_id, \
                list(c.channels)
        for role in d.ROLE_NAMES:  # 经办人, 分管领导, 主要负责人
            if role in by_role and role not in wanted:
                row.contacts.remove(by_role[role])
                result.contacts_removed.append(f"{m.name} {d.ROLE_NAMES[role]}")
    for m in units:  # parents after every unit exists
        row = existing[m.name]
        row.parent = existing.get(m.parent) if m.parent else None
    if replace:
        for name, row in existing.items():
            if name not in names and row.active:
                row.active = False
                result.deactivated.append(name)
    if result.created or result.updated or result.deactivated:
        audit(session, actor, "units.sync", entity="unit", jurisdiction=jurisdiction,
              created=result.created, updated=result.updated, deactivated=result.deactivated,
              moved=result.moved, contacts_removed=result.contacts_removed)
    return result


def jurisdictions(session: Session) -> list[str]:
    """The jurisdictions whose directories the ledger holds."""
    return list(session.scalars(select(Unit.jurisdiction).distinct().order_by(Unit.jurisdiction)))


def ledger_units(session: Session, jurisdiction: str, *, active_only: bool = True
                 ) -> list[d.Unit]:
    """One jurisdiction's directory as stored, in the file model (export, resolution)."""
    return [as_model(u) for u in _stored_units(session, jurisdiction)
            if u.active or not active_only]


def ledger_directory(session: Session, jurisdiction: str) -> d.Directory:
    return d.Directory.build(ledger_units(session, jurisdiction), jurisdiction)


# ---------------------------------------------------------------- plans

def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan_events(session: Session, plan_key: str) -> dict[str, pendulum.DateTime]:
    rows = session.execute(
        select(PlanEvent.name, PlanEvent.occurred_at).join(Plan).where(Plan.key == plan_key))
    return {name: pendulum.instance(at) for name, at in rows}


class DirectoryDrift(ValueError):
    """Loading would archive work only because the directory changed under the plan."""

    def __init__(self, plan_key: str, lines: list[str]) -> None:
        super().__init__(f"{plan_key}: " + "；".join(lines))
        self.plan_key, self.lines = plan_key, lines


@dataclass
class PlanLoad:
    plan_key: str
    unchanged: bool = False
    created: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    drift: list[str] = field(default_factory=list)  # 条目 单位: archived, units unchanged

    def bump(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


class FirstActions:
    """First ladder rung per (deadline, policy, time zone), computed once per load."""

    def __init__(self, cal: WorkCalendar) -> None:
        self.cal = cal
        self.cache: dict[tuple[dt.date, str, str], dt.datetime | None] = {}

    def __call__(self, due: dt.date, policy: dict, tz: str) -> dt.datetime | None:
        key = (due, json.dumps(policy, sort_keys=True), tz)
        if key not in self.cache:
            first = first_action_at(due, Policy.model_validate(policy), self.cal, tz)
            self.cache[key] = first.in_timezone("UTC") if first else None
        return self.cache[key]


def _new_milestone(plan_id: int, assignment_id: int, unit_id: int, occ: Occurrence,
                   policy: dict, first: FirstActions, tz: str, now: dt.datetime) -> dict:
    """The row of a new milestone, for a bulk insert."""
    armed = occ.due_at is not None and occ.due_date is not None
    return {
        "assignment_id": assignment_id, "plan_id": plan_id, "unit_id": unit_id,
        "occurrence": occ.key, "rule": occ.rule, "times": occ.times,
        "due_date": occ.due_date, "window_start": occ.window_start,
        "due_at": occ.due_at.in_timezone("UTC") if occ.due_at else None,
        "state": "open" if armed else "waiting", "cycle": 0, "step": None, "escalated": None,
        "next_action_at": first(occ.due_date, policy, tz) if armed else None,  # type: ignore[arg-type]
        "policy": policy, "created_at": now, "updated_at": now, "closed_at": None,
    }


def _schedule(m: Milestone, occ: Occurrence, first: FirstActions, tz: str) -> None:
    """Set due fields from an occurrence; (re)start the ladder when the deadline moved.

    A moved deadline on an open milestone is a new cycle: its reminders run
    again for the new date, under new idempotency keys.
    """
    due_at = occ.due_at.in_timezone("UTC") if occ.due_at else None
    moved = m.due_at is not None and due_at != m.due_at
    m.occurrence, m.rule, m.times = occ.key, occ.rule, occ.times
    m.due_date, m.window_start, m.due_at = occ.due_date, occ.window_start, due_at
    if due_at is None:
        m.state, m.next_action_at = "waiting", None
        return
    fresh = m.state == "waiting" or (m.next_action_at is None and m.step is None)
    if m.state == "waiting":
        m.state = "open"
    if m.state in OPEN_STATES and (moved or fresh):
        if m.step is not None:
            m.cycle, m.step, m.escalated = (m.cycle or 0) + 1, None, None
        assert occ.due_date is not None
        m.next_action_at = first(occ.due_date, m.policy, tz)


def _unit_specs(document: dict) -> dict[str, tuple]:
    """Per item key, the unit names the plan file gave it (to tell file edits from drift).

    A checkpoint of a plan-relative group (各责任单位) depends on every task's units.
    """
    tasks = {t["id"]: (tuple(t.get("lead", [])), tuple(t.get("units", [])),
                       tuple(t.get("support", [])))
             for t in document.get("tasks", [])}
    everyone = tuple(sorted(tasks.items()))
    cps = {c["id"]: (tuple(c.get("units", [])), everyone) for c in document.get("checkpoints", [])}
    return tasks | cps


def load_plan(session: Session, compiled: Compiled, *, source: Path, digest: str,
              cal: WorkCalendar, actor: str, directory_changes: bool = False) -> PlanLoad:
    """Upsert a compiled plan. The same file twice changes nothing.

    The comparison always runs, even for an unchanged file: recorded events
    may have changed since the last load. Work is archived only for what the
    plan file changed; an assignment that would go only because the directory
    moved under the plan raises ``DirectoryDrift`` unless ``directory_changes``
    says the directory change was confirmed (``units import --yes``).
    """
    spec = compiled.plan
    result = PlanLoad(spec.id)
    plan = session.scalar(select(Plan).where(Plan.key == spec.id))
    jurisdiction = compiled.jurisdiction
    if plan is not None and plan.jurisdiction != jurisdiction:
        raise DirectoryDrift(spec.id, [
            f"已按“{plan.jurisdiction or '未指明辖区'}”的单位名录加载，不能改用"
            f"“{jurisdiction or '未指明辖区'}”的名录（会归档全部分工）"])
    units = {u.name: u for u in session.scalars(
        select(Unit).where(Unit.jurisdiction == jurisdiction))}
    now = utcnow()
    document = spec.model_dump(mode="json")
    old_specs = _unit_specs(plan.document) if plan is not None else {}
    new_specs = _unit_specs(document)
    fields = dict(title=spec.title, doc_no=spec.doc_no, issuer=spec.issuer, issued=spec.issued,
                  year=spec.year, coordinator_id=units[compiled.coordinator].id,
                  jurisdiction=jurisdiction, timezone=spec.timezone,
                  predecessor_key=spec.predecessor, source_path=str(source), file_hash=digest,
                  document=document)
    if plan is None:
        plan = Plan(key=spec.id, **fields)
        session.add(plan)
        session.flush()
        result.created = True
    else:
        changed = [k for k, v in fields.items() if getattr(plan, k) != v]
        for k in changed:
            setattr(plan, k, fields[k])
        if changed:
            result.bump("plan_fields_updated", len(changed))
    tz = spec.timezone
    policy = spec.policy.model_dump(mode="json")
    first = FirstActions(cal)
    new_milestones: list[dict] = []
    new_assignments: list[tuple[Item, int, str, list[Occurrence]]] = []

    # Items the plan file does not own (回头看 rectifications) are left alone.
    items = {i.key: i for i in session.scalars(
        select(Item).where(Item.plan_id == plan.id, Item.kind != "rectification"))}
    assigns: dict[int, dict[int, Assignment]] = {}
    for a in session.scalars(select(Assignment).join(Item).where(Item.plan_id == plan.id)):
        assigns.setdefault(a.item_id, {})[a.unit_id] = a
    miles: dict[int, list[Milestone]] = {}
    for m in session.scalars(select(Milestone).where(Milestone.plan_id == plan.id)
                             .order_by(Milestone.id)):
        miles.setdefault(m.assignment_id, []).append(m)

    def archive_milestones(ms: Iterable[Milestone]) -> None:
        for m in ms:
            if m.state in ("waiting", "open", "rectifying"):
                m.state, m.next_action_at, m.updated_at = "archived", None, now
                result.bump("milestones_archived")

    wanted_keys = set()
    for spec_item in compiled.items:
        wanted_keys.add(spec_item.key)
        row = items.get(spec_item.key)
        values = dict(kind=spec_item.kind, seq=spec_item.seq, title=spec_item.title,
                      text=spec_item.text, section=spec_item.section, path=spec_item.path,
                      due=spec_item.due, archived_at=None)
        if row is None:
            row = Item(plan=plan, key=spec_item.key, **values)
            session.add(row)
            result.bump("items_created")
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            result.bump("items_updated")
        have = assigns.get(row.id, {}) if row.id is not None else {}
        wanted_units = set()
        for unit_name, role in spec_item.assignments.items():
            unit = units[unit_name]
            wanted_units.add(unit.id)
            a = have.get(unit.id)
            if a is None:  # inserted in bulk below, with its milestones
                new_assignments.append((row, unit.id, role, spec_item.occurrences))
                continue
            if a.role != role or a.archived_at is not None:
                a.role, a.archived_at = role, None
                result.bump("assignments_updated")
            new_milestones += _sync_milestones(plan, a, spec_item.occurrences,
                                               miles.get(a.id, []), policy, first, tz, now,
                                               result, archive_milestones)
        drifted = spec_item.key in old_specs and old_specs[spec_item.key] == \
            new_specs.get(spec_item.key)
        for unit_id, a in have.items():
            if unit_id not in wanted_units and a.archived_at is None:
                if drifted:
                    name = next((n for n, u in units.items() if u.id == unit_id), str(unit_id))
                    result.drift.append(f"{spec_item.key} {name}")
                a.archived_at = now
                result.bump("assignments_archived")
                archive_milestones(miles.get(a.id, []))
    for key, row in items.items():
        if key not in wanted_keys and row.archived_at is None:
            row.archived_at = now
            result.bump("items_archived")
            for a in assigns.get(row.id, {}).values():
                if a.archived_at is None:
                    a.archived_at = now
                    result.bump("assignments_archived")
                archive_milestones(miles.get(a.id, []))
    if new_assignments:
        session.flush()  # new items get their ids
        table = Assignment.__table__
        made = session.connection().execute(
            insert(table).returning(table.c.id, table.c.item_id, table.c.unit_id),
            [{"item_id": row.id, "unit_id": unit_id, "role": role, "archived_at": None}
             for row, unit_id, role, _ in new_assignments]).all()
        ids = {(item_id, unit_id): aid for aid, item_id, unit_id in made}
        result.bump("assignments_created", len(made))
        for row, unit_id, _, occurrences in new_assignments:
            aid = ids[(row.id, unit_id)]
            new_milestones += [_new_milestone(plan.id, aid, unit_id, occ, policy, first, tz, now)
                               for occ in occurrences]
    if result.drift and not directory_changes:
        shown = "、".join(result.drift[:8]) + (f" 等 {len(result.drift)} 条" if
                                              len(result.drift) > 8 else "")
        raise DirectoryDrift(spec.id, [
            f"计划文件未改动这些条目的单位，但按台账现有名录加载会归档其分工：{shown}。"
            "名录的调整须经 duban units import … --yes 确认（确认时会同步已加载的计划）"])
    if new_milestones:
        session.connection().execute(insert(Milestone.__table__), new_milestones)
        result.bump("milestones_created", len(new_milestones))
    if not result.created and not result.counts:
        result.unchanged = True
        return result
    plan.loaded_at = now
    audit(session, actor, "plan.load", plan_id=plan.id, entity="plan", key=spec.id,
          file=str(source), sha256=digest, created=result.created, **result.counts)
    return result


def _sync_milestones(plan: Plan, a: Assignment, wanted: list[Occurrence],
                     have: list[Milestone], policy: dict, first: FirstActions, tz: str,
                     now: dt.datetime, result: PlanLoad,
                     archive: Callable[[Iterable[Milestone]], None]) -> list[dict]:
    """Match occurrences to milestones by key; a changed deadline keeps its milestone.

    Returns the rows of milestones to create (inserted in bulk by the caller).
    """
    by_key = {m.occurrence: m for m in have}
    fresh = [o for o in wanted if o.key not in by_key]
    wanted_keys = {o.key for o in wanted}
    # Milestones whose occurrence vanished take over new occurrences in order:
    # an edited deadline is the same obligation, and its reports must stay with it.
    orphans = [m for m in have if m.occurrence not in wanted_keys and m.state != "archived"]
    for occ in wanted:
        m = by_key.get(occ.key)
        if m is None:
            continue
        before = (m.due_at, m.due_date, m.state, m.next_action_at, m.window_start, m.times)
        if m.state == "archived":
            m.state = "open"
        _schedule(m, occ, first, tz)
        if before != (m.due_at, m.due_date, m.state, m.next_action_at, m.window_start, m.times):
            m.updated_at = now
            result.bump("milestones_updated")
    created = []
    for occ in fresh:
        if orphans:
            m = orphans.pop(0)
            _schedule(m, occ, first, tz)
            m.updated_at = now
            result.bump("milestones_updated")
            continue
        created.append(_new_milestone(plan.id, a.id, a.unit_id, occ, policy, first, tz, now))
    archive(orphans)
    return created


def reload_plan(session: Session, plan: Plan, cal: WorkCalendar, *, actor: str,
                directory_changes: bool = False) -> PlanLoad:
    """Recompile a loaded plan from the document stored at load time (no file needed)
    against its jurisdiction's directory and events as they are now, and upsert it."""
    from plans.compile import compile_plan
    from plans.model import Plan as PlanSpec

    spec = PlanSpec.model_validate(plan.document)
    compiled = compile_plan(spec, ledger_directory(session, plan.jurisdiction), cal,
                            events=plan_events(session, plan.key))
    if compiled.errors:
        raise DirectoryError([f"计划 {plan.key} 已不能按当前单位名录编译：{e.field}：{e.message}"
                              for e in compiled.errors])
    return load_plan(session, compiled, source=Path(plan.source_path), digest=plan.file_hash,
                     cal=cal, actor=actor, directory_changes=directory_changes)


LOAD_LABELS = {"plan_fields_updated": "修改计划信息", "items_created": "新增条目",
               "items_updated": "修改条目", "items_archived": "归档条目",
               "assignments_created": "新增分工", "assignments_updated": "修改分工",
               "assignments_archived": "归档分工", "milestones_created": "新增时限节点",
               "milestones_updated": "调整时限节点", "milestones_archived": "归档时限节点"}


def describe_counts(counts: dict[str, int]) -> str:
    return "，".join(f"{LOAD_LABELS[k]} {v}" for k, v in counts.items() if v) or "无变化"


@dataclass
class DirectoryImport:
    """What importing a directory does: to the units, and to each loaded plan."""

    jurisdiction: str
    sync: UnitSync
    plans: dict[str, dict[str, int]] = field(default_factory=dict)
    loaded: bool = False  # the jurisdiction has loaded plans

    @property
    def touches_plans(self) -> bool:
        """Whether loaded work changes: this is what needs the coordinator's --yes."""
        s = self.sync
        return bool(self.plans) or (self.loaded and bool(s.moved or s.contacts_removed
                                                          or s.deactivated))

    def lines(self) -> list[str]:
        s, out = self.sync, []
        if s.moved:
            out.append(f"调整分组 {len(s.moved)} 个单位：{'；'.join(s.moved)}")
        if s.contacts_removed:
            out.append(f"删除联系人 {len(s.contacts_removed)} 人：{'、'.join(s.contacts_removed)}")
        if s.deactivated:
            out.append(f"停用 {len(s.deactivated)} 个单位：{'、'.join(s.deactivated)}")
        out += [f"计划 {key}：{describe_counts(c)}" for key, c in self.plans.items()]
        return out


def import_directory(session: Session, units: list[d.Unit], *, jurisdiction: str,
                     cal: WorkCalendar, actor: str, replace: bool = False) -> DirectoryImport:
    """Import a directory and bring the jurisdiction's loaded plans in line with it.

    Run it in a transaction and roll back to preview: the result says what the
    import changes in loaded plans (assignments created or archived, units
    moved between groups, contacts removed) before anything is kept.
    """
    sync = sync_units(session, units, jurisdiction=jurisdiction, actor=actor, replace=replace)
    result = DirectoryImport(jurisdiction, sync)
    plans = session.scalars(select(Plan).where(Plan.jurisdiction == jurisdiction)
                            .order_by(Plan.key)).all()
    result.loaded = bool(plans)
    if sync.created or sync.updated or sync.deactivated:
        session.flush()
        for plan in plans:
            r = reload_plan(session, plan, cal, actor=actor, directory_changes=True)
            changed = {k: v for k, v in r.counts.items() if k != "plan_fields_updated" and v}
            if changed:
                result.plans[plan.key] = changed
    return result
