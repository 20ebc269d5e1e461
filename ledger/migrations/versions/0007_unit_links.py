"""unit links

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

A unit answers its notices from a link: a short random token, stored hashed,
expiring, revocable.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", ledger.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", ledger.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", ledger.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_links_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_unit_links_token_hash")),
    )
    op.create_index(op.f("ix_unit_links_unit_id"), "unit_links", ["unit_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_links_unit_id"), table_name="unit_links")
    op.drop_table("unit_links")
