"""heartbeats of the recurring jobs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

One row per recurring job (each plan's sweep, the dispatcher): when it last ran, how
long it took, whether it succeeded and when it last did. ``/healthz`` turns red when a
plan's sweep or the dispatcher has not run when it should have; ``/metrics`` exports
the durations and last successes. Written by whichever machine ran the job, so one web
process sees every worker's runs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("started_at", ledger.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", ledger.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("last_ok_at", ledger.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
