"""The ledger (台账): duban's state in a relational database through SQLAlchemy 2.0.

Units, groups and contacts; plans, tasks and checkpoints (one ``items`` table),
assignments, milestones with their indexed ``next_action_at``, unit reports,
the notice outbox and an append-only audit log. SQLite (WAL) is the embedded
default and Postgres the scale path; the schema is managed by Alembic
migrations shipped in ``ledger/migrations``. Plans come in from ``plans``;
nothing here knows about Prefect or delivery channels.
"""
