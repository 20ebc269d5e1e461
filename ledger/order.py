"""The order units are listed in: the directory's, as the office wrote it.

Offices read every list of units (status, scores, the 通报, the board, exports)
in their directory's order, a group's units together (市直各部门, then the
区县, then the 镇街 …), never by code point (临空经济区管委会 before 乐至县).
Each unit keeps its place from the last directory imported (``Unit.position``,
set by ``plans.directory.directory_positions``); ties, for units the last file
did not list, fall back to the order they were created in.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Unit

# ``select(...).order_by(*UNIT_ORDER)``: the one sort key for units in SQL
UNIT_ORDER = (Unit.position, Unit.id)


def unit_key(unit: Unit) -> tuple[int, int]:
    """The same order for units already loaded: ``sorted(units, key=unit_key)``."""
    return (unit.position, unit.id)


def positions(
    session: Session, jurisdiction: str | None = None, names: Iterable[str] | None = None
) -> dict[str, tuple[int, int]]:
    """Sort keys by unit name, for rows that carry only the name (a report's lines):
    ``sorted(rows, key=lambda r: keys.get(r.unit, (maxsize, 0)))``."""
    q = select(Unit.name, Unit.position, Unit.id)
    if jurisdiction is not None:
        q = q.where(Unit.jurisdiction == jurisdiction)
    if names is not None:
        q = q.where(Unit.name.in_(set(names)))
    return {name: (pos, uid) for name, pos, uid in session.execute(q)}
