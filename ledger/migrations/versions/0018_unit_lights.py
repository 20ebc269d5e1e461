"""unit lights: each unit's light counts per plan, kept for the board

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

The board orders a plan's units by their lights and counts them. Counting them from the
milestones reads the whole plan (10^6 rows for a province) on every view; a unit's
counts change only when one of its milestones changes (a report, a review, an extension,
a load) or when time crosses one of its deadlines. So each (plan, unit) keeps its counts
with the moments they stay good until, and the database itself marks them stale
(``changes``) whenever a milestone of that unit is inserted, deleted, or changes state or
deadline, whoever writes it. The board recounts only stale units (``ledger/board.py``).

SQLite fires a row trigger. Postgres marks inserts and deletes with a statement trigger
over the transition tables, so a load of 10^6 milestones marks its 16,000 units once,
not once per row, and updates with a row trigger whose WHEN (state, deadline) is checked
without calling the function, so updates of other columns (the sweep's) cost nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARK = (
    "INSERT INTO unit_lights (plan_id, unit_id, changes) {rows} "
    "ON CONFLICT (plan_id, unit_id) DO UPDATE SET changes = unit_lights.changes + 1"
)

SQLITE = [
    f"""CREATE TRIGGER unit_lights_insert AFTER INSERT ON milestones BEGIN
        {_MARK.format(rows="SELECT NEW.plan_id, NEW.unit_id, 1 WHERE true")}; END""",
    f"""CREATE TRIGGER unit_lights_update AFTER UPDATE OF state, due_at, plan_id, unit_id
        ON milestones BEGIN
        {_MARK.format(rows="SELECT NEW.plan_id, NEW.unit_id, 1 WHERE true")};
        {
        _MARK.format(
            rows="SELECT OLD.plan_id, OLD.unit_id, 1 "
            "WHERE OLD.plan_id != NEW.plan_id OR OLD.unit_id != NEW.unit_id"
        )
    };
        END""",
    f"""CREATE TRIGGER unit_lights_delete AFTER DELETE ON milestones BEGIN
        {_MARK.format(rows="SELECT OLD.plan_id, OLD.unit_id, 1 WHERE true")}; END""",
]

POSTGRES = [
    f"""CREATE FUNCTION unit_lights_mark() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        {_MARK.format(rows="SELECT DISTINCT plan_id, unit_id, 1 FROM new_rows")};
      ELSE
        {_MARK.format(rows="SELECT DISTINCT plan_id, unit_id, 1 FROM old_rows")};
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION unit_lights_mark_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {_MARK.format(rows="VALUES (NEW.plan_id, NEW.unit_id, 1)")};
      IF OLD.plan_id != NEW.plan_id OR OLD.unit_id != NEW.unit_id THEN
        {_MARK.format(rows="VALUES (OLD.plan_id, OLD.unit_id, 1)")};
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER unit_lights_insert AFTER INSERT ON milestones
       REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unit_lights_mark()""",
    # A row trigger whose WHEN is checked without calling the function: the sweep's
    # many updates of next_action_at cost nothing here.
    """CREATE TRIGGER unit_lights_update AFTER UPDATE ON milestones FOR EACH ROW
       WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.due_at IS DISTINCT FROM NEW.due_at
             OR OLD.plan_id != NEW.plan_id OR OLD.unit_id != NEW.unit_id)
       EXECUTE FUNCTION unit_lights_mark_row()""",
    """CREATE TRIGGER unit_lights_delete AFTER DELETE ON milestones
       REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION unit_lights_mark()""",
]


def upgrade() -> None:
    op.create_table(
        "unit_lights",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("red", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("yellow", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("blue", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("green", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("soon_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_red_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_yellow_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("plan_id", "unit_id"),
    )
    op.execute(
        "INSERT INTO unit_lights (plan_id, unit_id, changes) "
        "SELECT DISTINCT plan_id, unit_id, 1 FROM milestones"
    )
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER unit_lights_{name} ON milestones")
        op.execute("DROP FUNCTION unit_lights_mark()")
        op.execute("DROP FUNCTION unit_lights_mark_row()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER unit_lights_{name}")
    op.drop_table("unit_lights")
