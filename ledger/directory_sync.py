"""Bringing a unit directory into the ledger: one jurisdiction's units, with their
groups, contacts and aliases, upserted by name; and the stored directory read back in
the file model (export, name resolution, compiling plans).

Units missing from a replacing file are deactivated, never deleted: plans and reports
refer to them. What a directory change does to loaded plans is ``ledger.load``'s
``import_directory``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ledger.audit import audit
from ledger.models import Contact, Group, Unit, utcnow
from ledger.order import UNIT_ORDER
from plans import directory as d


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


def as_model(u: Unit, contacts: bool = True) -> d.UnitEntry:
    """A stored unit in the file model (export, name resolution, change detection);
    without ``contacts`` for name resolution, which needs none (16,000 units of a
    province have 48,000)."""
    return d.UnitEntry(
        name=u.name,
        aliases=u.aliases,
        kind=u.kind,
        parent=u.parent.name if u.parent else None,
        groups=[g.name for g in u.groups],
        contacts=[]
        if not contacts
        else [
            d.ContactEntry(
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


def _state(m: d.UnitEntry) -> tuple:
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
    session: Session,
    units: list[d.UnitEntry],
    *,
    jurisdiction: str,
    actor: str,
    replace: bool = False,
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
        wanted: dict[str, d.ContactEntry] = {c.role: c for c in m.contacts if not c.empty}
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
        for role in d.CONTACT_ROLES:  # 经办人, 分管领导, 主要负责人
            if role in by_role and role not in wanted:
                row.contacts.remove(by_role[role])
                result.contacts_removed.append(f"{m.name} {d.CONTACT_ROLES[role]}")
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
) -> list[d.UnitEntry]:
    """One jurisdiction's directory as stored, in the file model (export, resolution)."""
    return [
        as_model(u, contacts)
        for u in _stored_units(session, jurisdiction, contacts)
        if u.active or not active_only
    ]


def ledger_directory(session: Session, jurisdiction: str) -> d.Directory:
    """For resolving and compiling plans: names, aliases, groups; no contacts."""
    return d.Directory.build(ledger_units(session, jurisdiction, contacts=False), jurisdiction)
