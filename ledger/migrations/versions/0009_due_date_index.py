"""milestones by due date

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

The calendar check (is every year the ledger has deadlines in known to the working-day
calendar?) asks for the latest due date: an index answers it without reading the ledger.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_milestones_due_date", "milestones", ["due_date"])


def downgrade() -> None:
    op.drop_index("ix_milestones_due_date", table_name="milestones")
