"""notices by recipient

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

The dispatcher claims whole recipients (every due notice of each, so a recipient's day
is one digest however large the backlog): it looks their notices up by recipient, which
this index answers without reading the whole due set once per batch.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_notices_recipient_status", "notices", ["recipient", "status"])


def downgrade() -> None:
    op.drop_index("ix_notices_recipient_status", table_name="notices")
