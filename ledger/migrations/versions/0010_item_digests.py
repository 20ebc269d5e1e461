"""what each item was last loaded from

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

Reloading a plan compares an item's stored assignments and milestones only when its
deadlines or units differ from those of the last load; the digests say which. Empty
after the upgrade, so the first reload compares everything once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("schedule_digest", sa.String(32), nullable=True))
        batch.add_column(sa.Column("units_digest", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("units_digest")
        batch.drop_column("schedule_digest")
