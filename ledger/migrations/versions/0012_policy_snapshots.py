"""policy snapshots stored once, shared by the milestones that started under them

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26

Every milestone carried its own copy of the policy it started under (about 460 bytes
of JSON): 460 MB of copies in a province's ledger of 10^6 milestones, written by every
load and read by every sweep. Each distinct policy is now a row of ``policies``; a
milestone keeps its id. The snapshot stays a snapshot: a plan whose policy changes
gets a new row, and milestones that started under the old one keep it.
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", ledger.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
        sa.UniqueConstraint("digest", name=op.f("uq_policies_digest")),
    )
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(sa.Column("policy_id", sa.Integer(), nullable=True))
    conn = op.get_bind()
    policies = sa.table(
        "policies",
        sa.column("id", sa.Integer),
        sa.column("digest", sa.String),
        sa.column("document", sa.JSON),
        sa.column("created_at", ledger.models.UTCDateTime()),
    )
    ids: dict[str, int] = {}
    texts = conn.execute(sa.text("SELECT DISTINCT CAST(policy AS TEXT) FROM milestones")).scalars()
    for stored in list(texts):
        document = json.loads(stored)
        canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        if digest not in ids:
            ids[digest] = conn.execute(
                sa.insert(policies)
                .values(digest=digest, document=document, created_at=ledger.models.utcnow())
                .returning(policies.c.id)
            ).scalar_one()
        conn.execute(
            sa.text("UPDATE milestones SET policy_id = :id WHERE CAST(policy AS TEXT) = :stored"),
            {"id": ids[digest], "stored": stored},
        )
    with op.batch_alter_table("milestones") as batch:
        batch.alter_column("policy_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("policy")


def downgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(sa.Column("policy", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE milestones SET policy = (SELECT document FROM policies "
        "WHERE policies.id = milestones.policy_id)"
    )
    with op.batch_alter_table("milestones") as batch:
        batch.alter_column("policy", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("policy_id")
    op.drop_table("policies")
