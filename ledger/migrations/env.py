"""Alembic environment: runs on the engine duban hands over (see ledger.db).

On SQLite, a batch migration rebuilds a table (copy, drop, rename). With
foreign keys on, dropping ``units`` would cascade into ``contacts`` and
``group_members``; so they are switched off for the migration (SQLite only
honours that outside a transaction) and checked before it commits.

On Postgres a migration may rewrite every row of a large table: it runs without the
statement timeout the other processes have (``ledger.db``), but keeps the lock
timeout, so a migration started while workers still hold the tables fails in 30 s
with Postgres's own message instead of queueing every worker behind it.
"""

from alembic import context

from ledger.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    else:
        connection.exec_driver_sql("SET statement_timeout = 0")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
