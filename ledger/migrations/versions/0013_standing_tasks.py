"""standing tasks: progress owed at the plan's checks

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

A task with no date of its own (持续推进, 长期坚持) is supervised through the progress
its units report at each of the plan's checks: ``items.standing`` marks it, and a
progress report records the unit's own reading of where the task stands
(``reports.progress``: done / ongoing / not_started). Existing standing tasks get their
progress milestones at the next ``duban plan load`` of their plan.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("standing", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("progress", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("progress")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("standing")
