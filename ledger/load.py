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

@dataclass
class UnitSync:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)


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


def sync_units(session: Session, units: list[d.Unit], *, actor: str,
               replace: bool = False) -> UnitSync:
    """Upsert units by name. With ``replace``, units missing from the file are
    deactivated (kept, since plans and reports refer to them)."""
    result = UnitSync()
    existing = {u.name: u for u in session.scalars(
        select(Unit).options(selectinload(Unit.contacts), selectinload(Unit.groups),
                             selectinload(Unit.parent)))}
    groups = {g.name: g for g in session.scalars(select(Group))}
    for m in units:
        row = existing.get(m.name)
        if row is not None and row.active and _state(as_model(row)) == _state(m):
            result.unchanged += 1
            continue
        if row is None:
            row = Unit(name=m.name, kind=m.kind, aliases=[])
            session.add(row)
            existing[m.name] = row
            result.created.append(m.name)
        else:
            result.updated.append(m.name)
        row.kind, row.aliases, row.active, row.updated_at = m.kind, list(m.aliases), True, utcnow()
        row.groups = [groups.get(g) or groups.setdefault(g, Group(name=g)) for g in m.groups]
        by_role = {c.role: c for c in row.contacts}
        wanted = {c.role: c for c in m.contacts if not c.empty}
        for role, c in wanted.items():
            target = by_role.get(role) or Contact(role=role)
            if role not in by_role:
                row.contacts.append(target)
            target.name, target.mobile, target.email = c.name, c.mobile, c.email
            target.wecom_id, target.dingtalk_id, target.channels = c.wecom_id, c.dingtalk_id, \
                list(c.channels)
        for role, c in by_role.items():
            if role not in wanted:
                row.contacts.remove(c)
    for m in units:  # parents after every unit exists
        row = existing[m.name]
        row.parent = existing.get(m.parent) if m.parent else None
    if replace:
        names = {m.name for m in units}
        for name, row in existing.items():
            if name not in names and row.active:
                row.active = False
                result.deactivated.append(name)
    if result.created or result.updated or result.deactivated:
        audit(session, actor, "units.sync", entity="unit", created=result.created,
              updated=result.updated, deactivated=result.deactivated)
    return result


def ledger_units(session: Session, *, active_only: bool = True) -> list[d.Unit]:
    """The directory as stored, in the file model (for export and resolution)."""
    q = select(Unit).options(selectinload(Unit.contacts), selectinload(Unit.groups),
                             selectinload(Unit.parent)).order_by(Unit.id)
    return [as_model(u) for u in session.scalars(q) if u.active or not active_only]


def ledger_directory(session: Session) -> d.Directory:
    return d.Directory.build(ledger_units(session))


# ---------------------------------------------------------------- plans

def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan_events(session: Session, plan_key: str) -> dict[str, pendulum.DateTime]:
    rows = session.execute(
        select(PlanEvent.name, PlanEvent.occurred_at).join(Plan).where(Plan.key == plan_key))
    return {name: pendulum.instance(at) for name, at in rows}


@dataclass
class PlanLoad:
    plan_key: str
    unchanged: bool = False
    created: bool = False
    counts: dict[str, int] = field(default_factory=dict)

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
        "state": "open" if armed else "waiting", "cycle": 0, "step": None,
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
            m.cycle, m.step = (m.cycle or 0) + 1, None
        assert occ.due_date is not None
        m.next_action_at = first(occ.due_date, m.policy, tz)


def load_plan(session: Session, compiled: Compiled, *, source: Path, digest: str,
              cal: WorkCalendar, actor: str) -> PlanLoad:
    """Upsert a compiled plan. The same file twice changes nothing.

    The comparison always runs, even for an unchanged file: the directory
    (group members) or recorded events may have changed since the last load.
    """
    spec = compiled.plan
    result = PlanLoad(spec.id)
    plan = session.scalar(select(Plan).where(Plan.key == spec.id))
    units = {u.name: u for u in session.scalars(select(Unit))}
    now = utcnow()
    document = spec.model_dump(mode="json")
    fields = dict(title=spec.title, doc_no=spec.doc_no, issuer=spec.issuer, issued=spec.issued,
                  year=spec.year, coordinator_id=units[compiled.coordinator].id,
                  timezone=spec.timezone, predecessor_key=spec.predecessor,
                  source_path=str(source), file_hash=digest, document=document)
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
        for unit_id, a in have.items():
            if unit_id not in wanted_units and a.archived_at is None:
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
