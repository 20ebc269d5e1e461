"""Writing a loaded plan's assignments and milestones (``ledger.load``'s ``load_plan``
drives it): the policy snapshots milestones start under, their first ladder action,
their schedule from an occurrence, and ``PlanWriter``, which compares a batch of items'
stored rows with the compiled plan and writes only the differences.

Stored rows are read as plain rows, never objects: a reload of 10^6 milestones builds
none. New milestones are made by the database (``INSERT … SELECT`` joining new
assignments to per-occurrence templates in a temporary table); new assignments go in
by ``COPY`` on Postgres.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

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
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from ledger.bulk import Converter, copy_rows
from ledger.models import OPEN_STATES, Assignment, Item, Milestone, Plan, PolicySnapshot, utcnow
from plans.duerules import Occurrence
from plans.policy import Policy, first_action_at
from plans.workdays import WorkCalendar

if TYPE_CHECKING:
    from ledger.load import PlanLoad


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


class PlanWriter:
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
