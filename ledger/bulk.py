"""Writing many rows at once, on each backend's fast path.

A plan of a province is 10^6 milestones. SQLAlchemy's executemany builds a
parameter dict per row and runs every value through its type (about 70 µs a
row); here the values are converted once per distinct template and the rows go
to the driver as tuples: ``COPY … FROM STDIN`` on Postgres, ``executemany`` on
SQLite. Only for inserts whose rows need no ids back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect


class Converter:
    """Column values as the driver wants them (the column types' own bind processing)."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect) -> None:
        self.columns = tuple(columns)
        procs = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        self.procs = [(i, p) for i, p in enumerate(procs) if p is not None]  # the rest pass
        self.native = dialect.name == "postgresql"  # COPY adapts Python values itself
        self.memo: dict[tuple[int, Any], Any] = {}  # a batch's rows share a few times

    def __call__(self, values: dict[str, Any]) -> tuple:
        row = [values[c] for c in self.columns]
        if self.native:  # JSON columns go as their text; COPY parses it
            return tuple(
                json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in row
            )
        memo = self.memo
        for i, p in self.procs:
            v = row[i]
            if v is None:
                continue
            if isinstance(v, dt.date):  # and datetimes: converting them is the slow part
                key = (i, v)
                if key not in memo:
                    memo[key] = p(v)
                row[i] = memo[key]
            else:
                row[i] = p(v)
        return tuple(row)


def copy_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert converted rows (see ``Converter``) in the connection's transaction."""
    cols = ", ".join(columns)
    n = 0
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
                n += 1
        return n
    rows = list(rows)
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", rows)
    return len(rows)


def executemany(
    conn: Connection, sql: str, table: Table, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> int:
    """SQLite: ``sql`` (with ``?`` marks for ``columns``) once per row, the values
    converted by the columns' types; the number of rows it changed."""
    convert = Converter(table, columns, conn.dialect)
    result = conn.exec_driver_sql(sql, [convert(r) for r in rows])
    return int(result.rowcount)
