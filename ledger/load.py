"""Bringing plans into the ledger (a unit directory comes in through
``ledger.directory_sync``; ``ledger.plan_writer`` writes a load's assignments and
milestones).

A load is an upsert by stable keys (plan id, item id, unit, occurrence), so its cost
follows the plan's size, not the ledger's; a plan is compared a batch of items at a
time from plain rows, and an item whose deadlines and units are those of its last
load is not read at all. Nothing a unit did is ever deleted: a task dropped from an
edited plan is archived with its open milestones, and its reports and sent notices
stay.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pendulum
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ledger.audit import audit
from ledger.directory_sync import DirectoryError, UnitSync, ledger_directory, sync_units
from ledger.labels import LOAD_LABELS
from ledger.models import Item, Plan, PlanEvent, Unit, utcnow
from ledger.plan_writer import FirstActions, PlanWriter
from plans import directory as d
from plans.compile import Compiled
from plans.policy import progress_policy
from plans.workdays import WorkCalendar


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

    writer = PlanWriter(
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


def reload_plan(
    session: Session, plan: Plan, cal: WorkCalendar, *, actor: str, directory_changes: bool = False
) -> PlanLoad:
    """Recompile a loaded plan from the document stored at load time (no file needed)
    against its jurisdiction's directory and events as they are now, and upsert it."""
    from plans.compile import compile_plan
    from plans.model import PlanSpec

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
    units: list[d.UnitEntry],
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
