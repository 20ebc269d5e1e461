"""Bringing files into the ledger: the unit directory and plans.

Both loads are upserts by stable keys (unit name; plan id, item id, unit,
occurrence), so their cost follows the plan's size, not the ledger's; a plan
is compared a batch of items at a time from plain rows, and an item whose
deadlines and units are those of its last load is not read at all. Nothing a unit did is ever
deleted: a task dropped from an edited plan is archived with its open
milestones, and its reports and sent notices stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pendulum
from sqlalchemy import (
    Column,
    CursorResult,
    Integer,
    MetaData,
    Row,
    Table,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.types import NullType

from ledger.audit import audit
from ledger.bulk import Converter, copy_rows
from ledger.models import (
    OPEN_STATES,
    Assignment,
    Contact,
    Group,
    Item,
    Milestone,
    Plan,
    PlanEvent,
    PolicySnapshot,
    Unit,
    utcnow,
)
from ledger.order import UNIT_ORDER
from plans import directory as d
from plans.compile import Compiled
from plans.duerules import Occurrence
from plans.policy import Policy, first_action_at, progress_policy
from plans.workdays import WorkCalendar

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


def as_model(u: Unit, contacts: bool = True) -> d.Unit:
    """A stored unit in the file model (export, name resolution, change detection);
    without ``contacts`` for name resolution, which needs none (16,000 units of a
    province have 48,000)."""
    return d.Unit(
        name=u.name,
        aliases=u.aliases,
        kind=u.kind,
        parent=u.parent.name if u.parent else None,
        groups=[g.name for g in u.groups],
        contacts=[]
        if not contacts
        else [
            d.Contact(
                role=c.role,
                name=c.name,
                mobile=c.mobile,
                email=c.email,
                wecom_id=c.wecom_id,
                dingtalk_id=c.dingtalk_id,
                channels=c.channels,
            )
            for c in u.contacts
        ],
    )


def _state(m: d.Unit) -> tuple:
    return (
        m.kind,
        m.parent,
        sorted(m.aliases),
        sorted(m.groups),
        sorted(
            (c.role, c.name, c.mobile, c.email, c.wecom_id, c.dingtalk_id, tuple(c.channels))
            for c in m.contacts
            if not c.empty
        ),
    )


def _stored_units(session: Session, jurisdiction: str, contacts: bool = True) -> list[Unit]:
    loads = [selectinload(Unit.groups), selectinload(Unit.parent)]
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.jurisdiction == jurisdiction)
            .options(*loads, *([selectinload(Unit.contacts)] if contacts else []))
            .order_by(*UNIT_ORDER)
        )
    )


def sync_units(
    session: Session, units: list[d.Unit], *, jurisdiction: str, actor: str, replace: bool = False
) -> UnitSync:
    """Upsert one jurisdiction's units by name. With ``replace``, its units missing
    from the file are deactivated (kept, since plans and reports refer to them).

    An alias that is already another unit's name or alias in this jurisdiction
    is refused (``DirectoryError``): it would silently redirect that unit's work.
    """
    result = UnitSync()
    existing = {u.name: u for u in _stored_units(session, jurisdiction)}
    names = {m.name for m in units}
    kept = [as_model(u) for n, u in existing.items() if n not in names and u.active and not replace]
    conflicts = d.alias_conflicts(units, kept)
    if conflicts:
        raise DirectoryError([f"{unit}：{msg}" for unit, msg in conflicts])
    groups = {
        g.name: g for g in session.scalars(select(Group).where(Group.jurisdiction == jurisdiction))
    }
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
                result.moved.append(
                    f"{m.name}（{'、'.join(before) or '无分组'} → "
                    f"{'、'.join(sorted(m.groups)) or '无分组'}）"
                )
        row.kind, row.aliases, row.active, row.updated_at = m.kind, list(m.aliases), True, utcnow()
        row.groups = [
            groups.get(g) or groups.setdefault(g, Group(jurisdiction=jurisdiction, name=g))
            for g in m.groups
        ]
        by_role = {c.role: c for c in row.contacts}
        wanted: dict[str, d.Contact] = {c.role: c for c in m.contacts if not c.empty}
        for role, c in wanted.items():
            target = by_role.get(role) or Contact(role=role)
            if role not in by_role:
                row.contacts.append(target)
            target.name, target.mobile, target.email = c.name, c.mobile, c.email
            target.wecom_id, target.dingtalk_id, target.channels = (
                c.wecom_id,
                c.dingtalk_id,
                list(c.channels),
            )
        for role in d.ROLE_NAMES:  # 经办人, 分管领导, 主要负责人
            if role in by_role and role not in wanted:
                row.contacts.remove(by_role[role])
                result.contacts_removed.append(f"{m.name} {d.ROLE_NAMES[role]}")
    positions = d.directory_positions(units)
    for m in units:  # parents after every unit exists
        row = existing[m.name]
        row.parent = existing.get(m.parent) if m.parent else None
        row.position = positions[m.name]  # the directory's order (ledger.order)
    if replace:
        for name, row in existing.items():
            if name not in names and row.active:
                row.active = False
                result.deactivated.append(name)
    if result.created or result.updated or result.deactivated:
        audit(
            session,
            actor,
            "units.sync",
            entity="unit",
            jurisdiction=jurisdiction,
            created=result.created,
            updated=result.updated,
            deactivated=result.deactivated,
            moved=result.moved,
            contacts_removed=result.contacts_removed,
        )
    return result


def jurisdictions(session: Session) -> list[str]:
    """The jurisdictions whose directories the ledger holds."""
    return list(session.scalars(select(Unit.jurisdiction).distinct().order_by(Unit.jurisdiction)))


def ledger_units(
    session: Session, jurisdiction: str, *, active_only: bool = True, contacts: bool = True
) -> list[d.Unit]:
    """One jurisdiction's directory as stored, in the file model (export, resolution)."""
    return [
        as_model(u, contacts)
        for u in _stored_units(session, jurisdiction, contacts)
        if u.active or not active_only
    ]


def ledger_directory(session: Session, jurisdiction: str) -> d.Directory:
    """For resolving and compiling plans: names, aliases, groups; no contacts."""
    return d.Directory.build(ledger_units(session, jurisdiction, contacts=False), jurisdiction)


# ---------------------------------------------------------------- plans


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan_events(session: Session, plan_key: str) -> dict[str, pendulum.DateTime]:
    rows = session.execute(
        select(PlanEvent.name, PlanEvent.occurred_at).join(Plan).where(Plan.key == plan_key)
    )
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


def policy_snapshot(session: Session, document: dict[str, Any]) -> int:
    """The id of the stored snapshot of ``document``, stored now if no milestone has
    started under this policy before (two loads storing the same new policy at once
    both get the one row: the insert ignores a digest already there)."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    find = select(PolicySnapshot.id).where(PolicySnapshot.digest == digest)
    if (found := session.scalar(find)) is not None:
        return found
    dialect = session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        upsert(PolicySnapshot)
        .values(digest=digest, document=document, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["digest"])
    )
    return session.scalars(find).one()


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
    tasks = {
        t["id"]: (tuple(t.get("lead", [])), tuple(t.get("units", [])), tuple(t.get("support", [])))
        for t in document.get("tasks", [])
    }
    everyone = tuple(sorted(tasks.items()))
    cps = {c["id"]: (tuple(c.get("units", [])), everyone) for c in document.get("checkpoints", [])}
    return tasks | cps


def load_plan(
    session: Session,
    compiled: Compiled,
    *,
    source: Path,
    digest: str,
    cal: WorkCalendar,
    actor: str,
    directory_changes: bool = False,
) -> PlanLoad:
    """Upsert a compiled plan. The same file twice changes nothing.

    The comparison always runs, even for an unchanged file: recorded events
    may have changed since the last load. Work is archived only for what the
    plan file changed; an assignment that would go only because the directory
    moved under the plan raises ``DirectoryDrift`` unless ``directory_changes``
    says the directory change was confirmed (``units import --yes``).

    Assignments and milestones are compared and written a batch of items at a
    time (``BATCH`` assignments), from plain rows: a plan of 10^6 milestones
    never sits in memory whole, and only what changed is written.
    """
    spec = compiled.plan
    result = PlanLoad(spec.id)
    plan = session.scalar(select(Plan).where(Plan.key == spec.id))
    jurisdiction = compiled.jurisdiction
    if plan is not None and plan.jurisdiction != jurisdiction:
        raise DirectoryDrift(
            spec.id,
            [
                f"已按“{plan.jurisdiction or '未指明辖区'}”的单位名录加载，不能改用"
                f"“{jurisdiction or '未指明辖区'}”的名录（会归档全部分工）"
            ],
        )
    unit_ids = {
        name: uid
        for name, uid in session.execute(
            select(Unit.name, Unit.id).where(Unit.jurisdiction == jurisdiction)
        )
    }
    now = utcnow()
    document = spec.model_dump(mode="json")
    old_specs = _unit_specs(plan.document) if plan is not None else {}
    new_specs = _unit_specs(document)
    fields = dict(
        title=spec.title,
        doc_no=spec.doc_no,
        issuer=spec.issuer,
        issued=spec.issued,
        year=spec.year,
        coordinator_id=unit_ids[compiled.coordinator],
        jurisdiction=jurisdiction,
        timezone=spec.timezone,
        predecessor_key=spec.predecessor,
        source_path=str(source),
        file_hash=digest,
        document=document,
    )
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

    plan.reach(
        max((o.due_date for i in compiled.items for o in i.occurrences if o.due_date), default=None)
    )
    # Items the plan file does not own (回头看 rectifications) are left alone.
    items = {
        i.key: i
        for i in session.scalars(
            select(Item).where(Item.plan_id == plan.id, Item.kind != "rectification")
        )
    }
    rows: list[tuple[Item, Any, bool]] = []
    policies = {
        False: spec.policy.model_dump(mode="json"),
        True: progress_policy(spec.policy).model_dump(mode="json"),
    }
    policy_tz = {k: json.dumps([p, spec.timezone], sort_keys=True) for k, p in policies.items()}
    for spec_item in compiled.items:
        row = items.get(spec_item.key)
        values = dict(
            kind=spec_item.kind,
            seq=spec_item.seq,
            title=spec_item.title,
            text=spec_item.text,
            section=spec_item.section,
            path=spec_item.path,
            due=spec_item.due,
            standing=spec_item.standing,
            archived_at=None,
        )
        digests = _digests(spec_item, unit_ids, policy_tz[spec_item.standing])
        stored: tuple[str | None, str | None]
        if row is None:
            row = Item(plan=plan, key=spec_item.key, **values)
            session.add(row)
            result.bump("items_created")
            stored = (None, None)
        else:
            stored = (None, None) if row.archived_at else (row.schedule_digest, row.units_digest)
            if any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                result.bump("items_updated")
        if stored != digests:  # what the last load reconciled is what the plan says now
            row.schedule_digest, row.units_digest = digests
            rows.append((row, spec_item, stored[0] != digests[0]))
    session.flush()  # new items get their ids

    writer = _PlanWriter(
        session,
        plan,
        policies,
        FirstActions(cal),
        spec.timezone,
        now,
        result,
        unit_ids,
        fresh=result.created,
    )
    batch: list[tuple[Item, Any, bool, bool]] = []
    size = 0
    for row, spec_item, full in rows:
        old = old_specs.get(spec_item.key)
        batch.append(
            (row, spec_item, old is not None and old == new_specs.get(spec_item.key), full)
        )
        size += len(spec_item.assignments) * max(1, len(spec_item.occurrences))
        if size >= BATCH:
            writer.sync(batch)
            batch, size = [], 0
    writer.sync(batch)
    writer.close()
    wanted = {spec_item.key for spec_item in compiled.items}
    for key, row in items.items():
        if key not in wanted and row.archived_at is None:
            row.archived_at = now
            result.bump("items_archived")
            writer.archive_item(row.id)
    if result.drift and not directory_changes:
        shown = "、".join(result.drift[:8]) + (
            f" 等 {len(result.drift)} 条" if len(result.drift) > 8 else ""
        )
        raise DirectoryDrift(
            spec.id,
            [
                f"计划文件未改动这些条目的单位，但按台账现有名录加载会归档其分工：{shown}。"
                "名录的调整须经 duban units import … --yes 确认（确认时会同步已加载的计划）"
            ],
        )
    if not result.created and not result.counts:
        result.unchanged = True
        return result
    plan.loaded_at = now
    _analyze(session, result)
    audit(
        session,
        actor,
        "plan.load",
        plan_id=plan.id,
        entity="plan",
        key=spec.id,
        file=str(source),
        sha256=digest,
        created=result.created,
        **result.counts,
    )
    return result


def _analyze(session: Session, result: PlanLoad) -> None:
    """Refresh Postgres's statistics after a load that wrote many rows. Until its
    autovacuum gets round to it, the planner takes the ledger for the few rows it last
    counted and may answer the sweep's due query by reading a whole index of states
    instead of the partial index of due work. (Within the load's transaction: ANALYZE
    counts the rows it has written.)"""
    written = sum(v for k, v in result.counts.items() if k.startswith("milestones_"))
    if written >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE assignments, milestones"))


ANALYZE_AFTER = 10_000  # milestones written by one load
BATCH = 20_000  # milestones compared and written per round of queries
_IN = 5_000  # ids per IN list (SQLite allows 32,766 parameters a statement)
ARCHIVABLE = ("waiting", "open", "rectifying")
# Stored rows as the driver gives them (no type processing), compared with the new
# rows' values in the same form: a reload reads 10^6 rows without building objects.
_STORED = tuple(
    type_coerce(c, NullType())
    for c in (
        Milestone.id,
        Milestone.assignment_id,
        Milestone.occurrence,
        Milestone.rule,
        Milestone.times,
        Milestone.due_date,
        Milestone.window_start,
        Milestone.due_at,
        Milestone.state,
        Milestone.next_action_at,
        Milestone.step,
    )
)
_NEW = (
    "occurrence",
    "rule",
    "times",
    "due_date",
    "window_start",
    "due_at",
    "state",
    "cycle",
    "step",
    "escalated",
    "next_action_at",
    "policy_id",
    "created_at",
    "updated_at",
    "closed_at",
)


def _digests(item: Any, unit_ids: dict[str, int], policy_tz: str) -> tuple[str, str]:
    """What a load reconciles an item's stored work with: its deadlines (with the policy
    that schedules them) and its units. An item whose two digests are as stored is
    skipped, so reloading an unchanged plan reads none of its milestones."""
    schedule = (
        json.dumps(
            [
                [
                    o.key,
                    o.rule,
                    o.times,
                    str(o.due_date),
                    str(o.window_start),
                    o.due_at.isoformat() if o.due_at else None,
                ]
                for o in item.occurrences
            ],
            ensure_ascii=False,
        )
        + policy_tz
    )
    units = repr(sorted((unit_ids[n], r) for n, r in item.assignments.items()))
    return (
        hashlib.sha256(schedule.encode()).hexdigest()[:32],
        hashlib.sha256(units.encode()).hexdigest()[:32],
    )


def _plain(at: pendulum.DateTime | None) -> dt.datetime | None:
    """A standard UTC datetime (pendulum's compare far slower, 10^6 times a load)."""
    if at is None:
        return None
    u = at.in_timezone("UTC")
    return dt.datetime(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=dt.UTC
    )


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _IN):
        yield ids[i : i + _IN]


def _settled(m: Row[Any], tail: tuple) -> bool:
    """Whether ``_schedule`` would leave a stored milestone (a ``_STORED`` row) as it
    is, ``tail`` being the occurrence's new row: the common case of a reload."""
    _, _, _, rule, times, due_date, window_start, due_at, state, next_action_at, step = m
    if (rule, times, due_date, window_start, due_at) != tail[1:6] or state == "archived":
        return False
    if due_at is None:
        return state == "waiting" and next_action_at is None
    if state == "waiting":
        return False
    return not (state in OPEN_STATES and next_action_at is None and step is None)


class _PlanWriter:
    """One load's comparison of stored assignments and milestones with the compiled
    plan, a batch of items at a time; writes only the differences."""

    def __init__(
        self,
        session: Session,
        plan: Plan,
        policies: dict[bool, dict],
        first: FirstActions,
        tz: str,
        now: dt.datetime,
        result: PlanLoad,
        unit_ids: dict[str, int],
        *,
        fresh: bool,
    ) -> None:
        self.session, self.plan, self.first = session, plan, first
        self.policies = policies  # by standing: a deadline's policy, a progress report's
        self.policy_ids: dict[bool, int] = {}
        self.tz, self.now, self.result, self.unit_ids, self.fresh = tz, now, result, unit_ids, fresh
        self.conn = session.connection()
        self.new_cols = ("assignment_id", "unit_id", "plan_id", *_NEW)
        self.convert = Converter(Milestone.__table__, _NEW, self.conn.dialect)
        self.templates: Table | None = None

    def _policy_id(self, standing: bool) -> int:
        """The snapshot's id, stored on first use (a plan with no standing task stores
        no progress policy)."""
        if standing not in self.policy_ids:
            self.policy_ids[standing] = policy_snapshot(self.session, self.policies[standing])
        return self.policy_ids[standing]

    def _template(self, occ: Occurrence, standing: bool) -> dict[str, Any]:
        """A new milestone's values shared by every unit of the occurrence."""
        armed = occ.due_at is not None and occ.due_date is not None
        policy = self.policies[standing]
        return {
            "occurrence": occ.key,
            "rule": occ.rule,
            "times": occ.times,
            "due_date": occ.due_date,
            "window_start": occ.window_start,
            "due_at": _plain(occ.due_at),
            "state": "open" if armed else "waiting",
            "cycle": 0,
            "step": None,
            "escalated": None,
            "policy_id": self._policy_id(standing),
            "next_action_at": self.first(occ.due_date, policy, self.tz)  # type: ignore[arg-type]
            if armed
            else None,
            "created_at": self.now,
            "updated_at": self.now,
            "closed_at": None,
        }

    def sync(self, batch: list[tuple[Item, Any, bool, bool]]) -> None:
        if not batch:
            return
        s, result = self.session, self.result
        item_ids = [row.id for row, _, _, _ in batch]
        have: dict[int, dict[int, Row[Any]]] = {}
        if not self.fresh:
            for found in s.execute(
                select(
                    Assignment.id,
                    Assignment.item_id,
                    Assignment.unit_id,
                    Assignment.role,
                    Assignment.archived_at,
                ).where(Assignment.item_id.in_(item_ids))
            ):
                have.setdefault(found.item_id, {})[found.unit_id] = found
        new_assignments: list[tuple] = []
        new_milestones: list[tuple] = []
        touch: dict[int, Occurrence] = {}  # stored milestones whose schedule changes
        takeover: dict[int, Occurrence] = {}  # orphans that take a new occurrence
        archive_m: list[int] = []
        archive_a: list[int] = []
        role_updates: list[dict[str, Any]] = []
        templates: dict[tuple[int, str], tuple] = {}
        compare: list[tuple[int, int, list[tuple[Occurrence, tuple]]]] = []
        full_items, extra = [], []
        for row, spec_item, drifted, full in batch:
            item_id = row.id
            existing = have.get(item_id, {})
            dues = (
                [
                    (o, self._tail(templates, item_id, o, spec_item.standing))
                    for o in spec_item.occurrences
                ]
                if existing
                else []
            )
            if full and existing:
                full_items.append(item_id)
            wanted_units = set()
            for unit_name, role in spec_item.assignments.items():
                uid = self.unit_ids[unit_name]
                wanted_units.add(uid)
                a = existing.get(uid)
                if a is None:  # inserted below, then its milestones
                    new_assignments.append((item_id, uid, role))  # plain ints and text
                    continue
                if a.role != role or a.archived_at is not None:
                    role_updates.append({"id": a.id, "role": role, "archived_at": None})
                    result.bump("assignments_updated")
                # Deadlines are compared only where the plan's own changed (or the work
                # comes back): a deadline moved by an approved extension or a 整改
                # stays as the coordinator set it.
                if full or a.archived_at is not None:
                    compare.append((a.id, uid, dues))
                    if not full:
                        extra.append(a.id)
            for uid, a in existing.items():
                if uid not in wanted_units and a.archived_at is None:
                    if drifted:
                        name = next((n for n, i in self.unit_ids.items() if i == uid), str(uid))
                        result.drift.append(f"{spec_item.key} {name}")
                    archive_a.append(a.id)
                    result.bump("assignments_archived")
        stored: dict[int, list[Row[Any]]] = {}
        if full_items:
            for kept in s.execute(
                select(*_STORED).join(Assignment).where(Assignment.item_id.in_(full_items))
            ):
                stored.setdefault(kept[1], []).append(kept)
        for chunk in _chunks(extra):
            for kept in s.execute(select(*_STORED).where(Milestone.assignment_id.in_(chunk))):
                stored.setdefault(kept[1], []).append(kept)
        for aid, uid, dues in compare:
            # Milestones whose occurrence vanished take over new occurrences in order:
            # an edited deadline is the same obligation, and its reports stay with it.
            ms = stored.get(aid, [])
            by_key = {m[2]: m for m in ms}
            keys = {o.key for o, _ in dues}
            orphans = [m[0] for m in ms if m[2] not in keys and m[8] != "archived"]
            for occ, tail in dues:
                m = by_key.get(occ.key)
                if m is None:
                    if orphans:
                        takeover[orphans.pop(0)] = occ
                    else:
                        new_milestones.append((aid, uid, self.plan.id, *tail))
                elif not _settled(m, tail):
                    touch[m[0]] = occ
            archive_m += orphans
        if role_updates:
            s.execute(update(Assignment), role_updates)
        self._archive_assignments(archive_a)
        self._archive_milestones(Milestone.id, archive_m)
        self._reschedule(touch, takeover)
        if new_assignments:
            self._insert_new(new_assignments, batch)
        if new_milestones:
            copy_rows(self.conn, Milestone.__table__, self.new_cols, new_milestones)
            result.bump("milestones_created", len(new_milestones))
        s.flush()

    def _tail(
        self, templates: dict[tuple[int, str], tuple], item_id: int, occ: Occurrence, standing: bool
    ) -> tuple:
        """The template converted once, for comparing and for the odd single insert."""
        key = (item_id, occ.key)
        if key not in templates:
            templates[key] = self.convert(self._template(occ, standing))
        return templates[key]

    def _insert_new(self, rows: list[tuple], batch: list[tuple[Item, Any, bool, bool]]) -> None:
        """New assignments, then their milestones in one INSERT … SELECT joining them
        to the occurrences' templates in a temporary table: the database makes the
        10^6 rows of a province's plan, not Python."""
        conn, plan_id = self.conn, self.plan.id
        before = conn.scalar(select(func.max(Assignment.id))) or 0
        copy_rows(conn, Assignment.__table__, ("item_id", "unit_id", "role"), rows)
        self.result.bump("assignments_created", len(rows))
        if self.templates is None:
            self.templates = Table(
                "duban_load_templates",
                MetaData(),
                Column("item_id", Integer),
                *(Column(c, Milestone.__table__.c[c].type) for c in _NEW),
                prefixes=["TEMPORARY"],
            )
            self.templates.create(conn)
        t = self.templates
        new_items = {r[0] for r in rows}
        shared = [
            {"item_id": row.id, **self._template(occ, spec_item.standing)}
            for row, spec_item, _, _ in batch
            if row.id in new_items
            for occ in spec_item.occurrences
        ]
        if not shared:  # tasks without deadlines: assignments only
            return
        conn.execute(insert(t), shared)
        conn.execute(
            insert(Milestone).from_select(
                ["assignment_id", "unit_id", "plan_id", *_NEW],
                select(
                    Assignment.id,
                    Assignment.unit_id,
                    literal(plan_id, Integer),
                    *(t.c[c] for c in _NEW),
                )
                .join(t, t.c.item_id == Assignment.item_id)
                .where(Assignment.item_id.in_(sorted(new_items)), Assignment.id > before),
            )
        )
        per_item = {row.id: len(spec_item.occurrences) for row, spec_item, _, _ in batch}
        self.result.bump("milestones_created", sum(per_item[r[0]] for r in rows))
        conn.execute(delete(t))

    def close(self) -> None:
        if self.templates is not None:
            self.templates.drop(self.conn)

    def _reschedule(self, touch: dict[int, Occurrence], takeover: dict[int, Occurrence]) -> None:
        """The few milestones whose deadline or state changes, as objects (``_schedule``)."""
        for ids in _chunks(list(touch) + list(takeover)):
            for m in self.session.scalars(select(Milestone).where(Milestone.id.in_(ids))):
                if m.id in takeover:
                    _schedule(m, takeover[m.id], self.first, self.tz)
                    m.updated_at = self.now
                    self.result.bump("milestones_updated")
                    continue
                before = (m.due_at, m.due_date, m.state, m.next_action_at, m.window_start, m.times)
                if m.state == "archived":
                    m.state = "open"
                _schedule(m, touch[m.id], self.first, self.tz)
                if before != (
                    m.due_at,
                    m.due_date,
                    m.state,
                    m.next_action_at,
                    m.window_start,
                    m.times,
                ):
                    m.updated_at = self.now
                    self.result.bump("milestones_updated")

    def _archive_milestones(self, column: Any, ids: list[int]) -> None:
        """Archive the open milestones among those whose ``column`` is in ``ids``."""
        for chunk in _chunks(ids):
            n = cast(
                CursorResult[Any],
                self.session.execute(
                    update(Milestone)
                    .where(column.in_(chunk), Milestone.state.in_(ARCHIVABLE))
                    .values(state="archived", next_action_at=None, updated_at=self.now)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            if n:
                self.result.bump("milestones_archived", n)

    def _archive_assignments(self, ids: list[int]) -> None:
        for chunk in _chunks(ids):
            self.session.execute(
                update(Assignment)
                .where(Assignment.id.in_(chunk))
                .values(archived_at=self.now)
                .execution_options(synchronize_session=False)
            )
        self._archive_milestones(Milestone.assignment_id, ids)

    def archive_item(self, item_id: int) -> None:
        """An item dropped from the plan: its assignments and open milestones."""
        n = cast(
            CursorResult[Any],
            self.session.execute(
                update(Assignment)
                .where(Assignment.item_id == item_id, Assignment.archived_at.is_(None))
                .values(archived_at=self.now)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if n:
            self.result.bump("assignments_archived", n)
        self._archive_milestones(
            Milestone.assignment_id,
            list(self.session.scalars(select(Assignment.id).where(Assignment.item_id == item_id))),
        )


def reload_plan(
    session: Session, plan: Plan, cal: WorkCalendar, *, actor: str, directory_changes: bool = False
) -> PlanLoad:
    """Recompile a loaded plan from the document stored at load time (no file needed)
    against its jurisdiction's directory and events as they are now, and upsert it."""
    from plans.compile import compile_plan
    from plans.model import Plan as PlanSpec

    spec = PlanSpec.model_validate(plan.document)
    compiled = compile_plan(
        spec,
        ledger_directory(session, plan.jurisdiction),
        cal,
        events=plan_events(session, plan.key),
    )
    if compiled.errors:
        raise DirectoryError(
            [
                f"计划 {plan.key} 已不能按当前单位名录编译：{e.field}：{e.message}"
                for e in compiled.errors
            ]
        )
    return load_plan(
        session,
        compiled,
        source=Path(plan.source_path),
        digest=plan.file_hash,
        cal=cal,
        actor=actor,
        directory_changes=directory_changes,
    )


LOAD_LABELS = {
    "plan_fields_updated": "修改计划信息",
    "items_created": "新增条目",
    "items_updated": "修改条目",
    "items_archived": "归档条目",
    "assignments_created": "新增分工",
    "assignments_updated": "修改分工",
    "assignments_archived": "归档分工",
    "milestones_created": "新增时限节点",
    "milestones_updated": "调整时限节点",
    "milestones_archived": "归档时限节点",
}


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
        return bool(self.plans) or (
            self.loaded and bool(s.moved or s.contacts_removed or s.deactivated)
        )

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


def import_directory(
    session: Session,
    units: list[d.Unit],
    *,
    jurisdiction: str,
    cal: WorkCalendar,
    actor: str,
    replace: bool = False,
) -> DirectoryImport:
    """Import a directory and bring the jurisdiction's loaded plans in line with it.

    Run it in a transaction and roll back to preview: the result says what the
    import changes in loaded plans (assignments created or archived, units
    moved between groups, contacts removed) before anything is kept.
    """
    sync = sync_units(session, units, jurisdiction=jurisdiction, actor=actor, replace=replace)
    result = DirectoryImport(jurisdiction, sync)
    plans = session.scalars(
        select(Plan).where(Plan.jurisdiction == jurisdiction).order_by(Plan.key)
    ).all()
    result.loaded = bool(plans)
    if sync.created or sync.updated or sync.deactivated:
        session.flush()
        for plan in plans:
            r = reload_plan(session, plan, cal, actor=actor, directory_changes=True)
            changed = {k: v for k, v in r.counts.items() if k != "plan_fields_updated" and v}
            if changed:
                result.plans[plan.key] = changed
    return result
