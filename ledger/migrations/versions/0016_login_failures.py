"""failed sign-ins counted in the ledger, per address and per name from an address

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

Login limits lived in one web process's memory (every worker counted apart) and
five wrong passwords locked a coordinator's name for everybody, so anyone could
lock the office out. Each failure is now a row (name as typed, address, time) that
every worker reads; a name is refused only from the address that failed it. The
per-user counters it replaces are dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.models

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", ledger.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_address_at", "login_failures", ["address", "at"])
    op.create_index("ix_login_failures_name_address", "login_failures", ["name", "address"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    with op.batch_alter_table("users") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("locked_until", ledger.models.UTCDateTime(timezone=True), nullable=True)
        )
    op.drop_table("login_failures")
