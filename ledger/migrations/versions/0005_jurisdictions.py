"""unit directories per jurisdiction; escalation actually taken

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

A directory belongs to a jurisdiction (中山市, 重庆市 …): unit and group names
are unique within one, not across the ledger, and a plan records the
jurisdiction it draws on. Rows from before get the empty jurisdiction, which
a plan or directory without one still resolves against.

``milestones.escalated`` keeps the highest escalation step really sent in
the current cycle, apart from ``step`` (the ladder position, which also moves
past rungs skipped as stale): only what was sent goes into a 通报.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _column() -> sa.Column:
    return sa.Column("jurisdiction", sa.String(length=100), nullable=False, server_default="")


def upgrade() -> None:
    for table in ("units", "groups"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(_column())
            batch.drop_constraint(f"uq_{table}_name", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_jurisdiction", ["jurisdiction", "name"])
    with op.batch_alter_table("plans") as batch:
        batch.add_column(_column())
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(sa.Column("escalated", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE milestones SET escalated = step WHERE step IN ('cuiban', 'duban', 'tongbao')"
    )


def downgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        batch.drop_column("escalated")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("jurisdiction")
    for table in ("groups", "units"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_jurisdiction", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_name", ["name"])
            batch.drop_column("jurisdiction")
