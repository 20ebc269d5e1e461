"""units keep the directory's order

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

Offices read lists of units in the order their directory lists them (a group's units
together), not by code point. Each unit keeps its place in the last imported
directory; units imported before this revision keep the order they were created in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE units SET position = id")


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("position")
