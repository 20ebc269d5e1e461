"""acknowledgements: 签收 and 已阅 of each 催办单/督办单

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

A unit acknowledges (签收) each 催办单/督办单 on its page, with the name of the person
who did; opening the page records that it was read (已阅). A plan whose policy chases
unacknowledged documents stores on each the moment it is to be chased
(``ack_due_at``); the sweep finds the due ones by a partial index on that moment, so it
reads what is due, not every document ever issued.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.models

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNACKNOWLEDGED = "acknowledged_at IS NULL AND ack_due_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        for name in ("read_at", "acknowledged_at", "ack_due_at"):
            batch.add_column(
                sa.Column(name, ledger.models.UTCDateTime(timezone=True), nullable=True)
            )
        batch.add_column(sa.Column("acknowledged_by", sa.String(50), nullable=True))
    op.create_index(
        "ix_documents_ack_due",
        "documents",
        ["ack_due_at"],
        postgresql_where=sa.text(UNACKNOWLEDGED),
        sqlite_where=sa.text(UNACKNOWLEDGED),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_ack_due", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        for name in ("acknowledged_by", "ack_due_at", "acknowledged_at", "read_at"):
            batch.drop_column(name)
