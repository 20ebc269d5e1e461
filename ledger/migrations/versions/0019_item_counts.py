"""item counts: each task's milestones by state and deadline, kept by the database

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04

The tasks page shows every task's completion over all its units: for a province, 60
tasks over 16,000 units each. Counting that from the milestones reads the whole plan;
but a task's milestones share few deadlines (one for a dated task, one per round for a
standing one), so its counts by (state, deadline) are a handful of rows. The triggers
below keep them exact on every insert, delete, and change of state or deadline, whoever
writes it; red and yellow are then a sum over those rows at the moment asked. A missing
deadline is stored as the far future (never red, never yellow).

The state ``assigned`` counts the task's current assignments (its units), kept by
triggers on ``assignments`` the same way. On Postgres inserts and deletes are counted by
statement triggers over the transition tables (a load's 10^6 rows in one grouped
statement), updates by a row trigger whose WHEN (state, deadline) is checked without
calling the function, so the sweep's updates of other columns cost nothing here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_SQLITE = "'9999-12-31 00:00:00.000000'"
NEVER_PG = "'infinity'::timestamptz"
_ADD = (
    "INSERT INTO item_counts (plan_id, item_id, state, due_at, n) {rows} "
    "ON CONFLICT (plan_id, item_id, state, due_at) DO UPDATE SET n = item_counts.n + "
    "excluded.n"
)
_ITEM = "(SELECT item_id FROM assignments WHERE id = {row}.assignment_id)"


def _sqlite_sub(row: str) -> str:
    return (
        f"UPDATE item_counts SET n = n - 1 WHERE plan_id = {row}.plan_id "
        f"AND item_id = {_ITEM.format(row=row)} AND state = {row}.state "
        f"AND due_at = coalesce({row}.due_at, {NEVER_SQLITE})"
    )


def _sqlite_add(row: str, when: str = "true") -> str:
    return _ADD.format(
        rows=f"SELECT {row}.plan_id, {_ITEM.format(row=row)}, {row}.state, "
        f"coalesce({row}.due_at, {NEVER_SQLITE}), 1 WHERE {when}"
    )


SQLITE = [
    f"""CREATE TRIGGER item_counts_insert AFTER INSERT ON milestones
        WHEN NEW.state != 'archived' BEGIN {_sqlite_add("NEW")}; END""",
    f"""CREATE TRIGGER item_counts_update AFTER UPDATE OF state, due_at ON milestones
        WHEN OLD.state IS NOT NEW.state OR OLD.due_at IS NOT NEW.due_at BEGIN
        {_sqlite_sub("OLD")} AND OLD.state != 'archived';
        {_sqlite_add("NEW", "NEW.state != 'archived'")}; END""",
    f"""CREATE TRIGGER item_counts_delete AFTER DELETE ON milestones
        WHEN OLD.state != 'archived' BEGIN {_sqlite_sub("OLD")}; END""",
    f"""CREATE TRIGGER item_counts_assign AFTER INSERT ON assignments
        WHEN NEW.archived_at IS NULL BEGIN
        {
        _ADD.format(
            rows="SELECT i.plan_id, NEW.item_id, 'assigned', "
            + NEVER_SQLITE
            + ", 1 FROM items i WHERE i.id = NEW.item_id"
        )
    }; END""",
    f"""CREATE TRIGGER item_counts_unassign AFTER UPDATE OF archived_at ON assignments
        WHEN (OLD.archived_at IS NULL) != (NEW.archived_at IS NULL) BEGIN
        {
        _ADD.format(
            rows="SELECT i.plan_id, NEW.item_id, 'assigned', "
            + NEVER_SQLITE
            + ", CASE WHEN NEW.archived_at IS NULL THEN 1 ELSE -1 END "
            "FROM items i WHERE i.id = NEW.item_id"
        )
    }; END""",
    f"""CREATE TRIGGER item_counts_assignment_delete AFTER DELETE ON assignments
        WHEN OLD.archived_at IS NULL BEGIN
        {
        _ADD.format(
            rows="SELECT i.plan_id, OLD.item_id, 'assigned', "
            + NEVER_SQLITE
            + ", -1 FROM items i WHERE i.id = OLD.item_id"
        )
    }; END""",
]


def _pg_rows(table: str, sign: str) -> str:
    return (
        f"SELECT x.plan_id, a.item_id, x.state, coalesce(x.due_at, {NEVER_PG}), "
        f"{sign}count(*) FROM {table} x JOIN assignments a ON a.id = x.assignment_id "
        "WHERE x.state != 'archived' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    )


def _pg_one(row: str, sign: str) -> str:
    return (
        f"IF {row}.state != 'archived' THEN "
        + _ADD.format(
            rows=f"VALUES ({row}.plan_id, (SELECT item_id FROM assignments "
            f"WHERE id = {row}.assignment_id), {row}.state, "
            f"coalesce({row}.due_at, {NEVER_PG}), {sign}1)"
        )
        + "; END IF;"
    )


POSTGRES = [
    f"""CREATE FUNCTION item_counts_mark() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        {_ADD.format(rows=_pg_rows("new_rows", ""))};
      ELSE
        {_ADD.format(rows=_pg_rows("old_rows", "-"))};
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION item_counts_mark_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {_pg_one("OLD", "-")}
      {_pg_one("NEW", "")}
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER item_counts_insert AFTER INSERT ON milestones
       REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION item_counts_mark()""",
    """CREATE TRIGGER item_counts_update AFTER UPDATE ON milestones FOR EACH ROW
       WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.due_at IS DISTINCT FROM NEW.due_at)
       EXECUTE FUNCTION item_counts_mark_row()""",
    """CREATE TRIGGER item_counts_delete AFTER DELETE ON milestones
       REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION item_counts_mark()""",
    f"""CREATE FUNCTION item_counts_assign() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        {
        _ADD.format(
            rows="SELECT i.plan_id, x.item_id, 'assigned', "
            + NEVER_PG
            + ", count(*) FROM new_rows x JOIN items i ON i.id = x.item_id "
            "WHERE x.archived_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2"
        )
    };
      ELSE
        {
        _ADD.format(
            rows="SELECT i.plan_id, x.item_id, 'assigned', "
            + NEVER_PG
            + ", -count(*) FROM old_rows x JOIN items i ON i.id = x.item_id "
            "WHERE x.archived_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2"
        )
    };
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION item_counts_unassign_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {
        _ADD.format(
            rows="SELECT i.plan_id, NEW.item_id, 'assigned', "
            + NEVER_PG
            + ", CASE WHEN NEW.archived_at IS NULL THEN 1 ELSE -1 END "
            "FROM items i WHERE i.id = NEW.item_id"
        )
    };
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER item_counts_assign AFTER INSERT ON assignments
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION item_counts_assign()""",
    """CREATE TRIGGER item_counts_unassign AFTER UPDATE ON assignments FOR EACH ROW
       WHEN ((OLD.archived_at IS NULL) != (NEW.archived_at IS NULL))
       EXECUTE FUNCTION item_counts_unassign_row()""",
    """CREATE TRIGGER item_counts_assignment_delete AFTER DELETE ON assignments
       REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION item_counts_assign()""",
]


def upgrade() -> None:
    op.create_table(
        "item_counts",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("plan_id", "item_id", "state", "due_at"),
    )
    pg = op.get_bind().dialect.name == "postgresql"
    never = NEVER_PG if pg else NEVER_SQLITE
    op.execute(
        "INSERT INTO item_counts (plan_id, item_id, state, due_at, n) "
        f"SELECT m.plan_id, a.item_id, m.state, coalesce(m.due_at, {never}), count(*) "
        "FROM milestones m JOIN assignments a ON a.id = m.assignment_id "
        "WHERE m.state != 'archived' GROUP BY 1, 2, 3, 4"
    )
    op.execute(
        "INSERT INTO item_counts (plan_id, item_id, state, due_at, n) "
        f"SELECT i.plan_id, a.item_id, 'assigned', {never}, count(*) "
        "FROM assignments a JOIN items i ON i.id = a.item_id "
        "WHERE a.archived_at IS NULL GROUP BY 1, 2"
    )
    for statement in POSTGRES if pg else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER item_counts_{name} ON milestones")
        for name in ("assign", "unassign", "assignment_delete"):
            op.execute(f"DROP TRIGGER item_counts_{name} ON assignments")
        for name in ("mark", "mark_row", "assign", "unassign_row"):
            op.execute(f"DROP FUNCTION item_counts_{name}()")
    else:
        for name in ("insert", "update", "delete", "assign", "unassign", "assignment_delete"):
            op.execute(f"DROP TRIGGER item_counts_{name}")
    op.drop_table("item_counts")
