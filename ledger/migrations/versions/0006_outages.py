"""delivery deadlines and channel outages

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

A delivery is retried for as long as its message is useful (``give_up_at``:
a reminder until its deadline, an escalation until the next rung, at most two
days), not a fixed number of times. ``channel_outages`` records each stretch in
which a channel kind fails, so the operator hears once when it starts and once
when it ends, not once per message.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(
            sa.Column("give_up_at", ledger.models.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "channel_outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("started_at", ledger.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", ledger.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("given_up", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_outages")),
    )
    op.create_index(
        "ix_channel_outages_channel_ended_at", "channel_outages", ["channel", "ended_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_channel_outages_channel_ended_at", table_name="channel_outages")
    op.drop_table("channel_outages")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("give_up_at")
