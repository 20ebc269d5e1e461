"""milestones without the keys and index that slowed a province's load; plans keep
their latest deadline

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26

Loading a plan of 10^6 milestones on Postgres was mostly the database checking
and indexing each row. Two of those costs bought nothing:

- A milestone's ``plan_id`` and ``unit_id`` are its assignment's, copied so the
  sweep's and the pages' indexes can lead with them. Their own foreign keys
  checked again, row by row, what the assignment's keys already hold (about a
  third of the load). The assignment's key stays, and with it the cascade from a
  plan through its items and assignments.
- The index on ``due_date`` served one question, the latest deadline in the
  ledger (does the working-day calendar know its year?). Each plan now keeps its
  latest deadline in ``plans.last_due``, filled here from its milestones.
- The index on ``assignments.unit_id`` alone: assignments are looked up by item
  and unit (the unique index), a unit's work through its milestones' indexes,
  and units are never deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("last_due", sa.Date(), nullable=True))
    op.execute(
        "UPDATE plans SET last_due = (SELECT max(due_date) FROM milestones "
        "WHERE milestones.plan_id = plans.id)"
    )
    op.drop_index("ix_milestones_due_date", table_name="milestones")
    op.drop_index("ix_assignments_unit_id", table_name="assignments")
    with op.batch_alter_table("milestones") as batch:
        batch.drop_constraint("fk_milestones_plan_id_plans", type_="foreignkey")
        batch.drop_constraint("fk_milestones_unit_id_units", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        batch.create_foreign_key(
            "fk_milestones_plan_id_plans", "plans", ["plan_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key("fk_milestones_unit_id_units", "units", ["unit_id"], ["id"])
    op.create_index("ix_milestones_due_date", "milestones", ["due_date"])
    op.create_index("ix_assignments_unit_id", "assignments", ["unit_id"])
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("last_due")
