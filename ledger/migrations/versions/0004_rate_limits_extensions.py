"""rate limits and extension requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

``deliveries.claimed_at`` (indexed with the channel) lets dispatchers on
several machines count a key's sends in the last minute; a report of kind
``extension`` carries the deadline the unit asks for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(
            sa.Column("claimed_at", ledger.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_deliveries_channel_claimed_at", ["channel", "claimed_at"])
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("requested_due_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("requested_due_date")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_channel_claimed_at")
        batch.drop_column("claimed_at")
